// LayersModel -> the graph engine's layer graph: every layer, in the model's topological order, with the
// layers it reads (a Sequential chain, or a functional model's DAG: residual adds, concatenated
// branches, fused inputs). A model with one input and one output whose layers the engine all knows is
// translated; anything else (several inputs, a layer applied twice, an unknown layer or option) comes
// back as a reason, and the trial trains on the eager path, which says so. Reads the model, changes nothing.
import type { LayersModel } from '@tensorflow/tfjs';
import { FUSION, MASKED_POOLING, MULTI_HEAD_SELF_ATTENTION, POSITIONAL_ENCODING } from '../models/attention';
import { RANDOM_FOURIER_FEATURES } from '../models/svm-rbf';

export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'swish', 'gelu', 'mish', 'softmax'] as const;
export type GraphActivation = (typeof ACTIVATIONS)[number];

export type LayerSpec =
  | { kind: 'dense'; name: string; activation: GraphActivation; kernel: number; bias: number | null }
  | {
      kind: 'conv2d';
      name: string;
      /** Conv1D: input [batch, steps, channels], kernel [k, in, out]; strides and dilations [1, along the steps]. */
      oneD: boolean;
      strides: [number, number];
      dilations: [number, number];
      padding: 'SAME' | 'VALID';
      activation: GraphActivation;
      kernel: number;
      bias: number | null;
    }
  | { kind: 'pool'; name: string; op: 'MaxPool' | 'AvgPool'; poolSize: [number, number]; strides: [number, number]; padding: 'SAME' | 'VALID' }
  | { kind: 'flatten'; name: string }
  /** Reshape: every example to `targetShape` (all sizes known). */
  | { kind: 'reshape'; name: string; targetShape: number[] }
  | { kind: 'activation'; name: string; activation: GraphActivation }
  | { kind: 'leakyRelu'; name: string; alpha: number }
  | { kind: 'dropout'; name: string; rate: number }
  | { kind: 'embedding'; name: string; embeddings: number }
  | LstmSpec
  | { kind: 'batchNorm'; name: string; epsilon: number; momentum: number; gamma: number; beta: number; movingMean: number; movingVariance: number }
  | { kind: 'bidirectional'; name: string; forward: LstmSpec; backward: LstmSpec }
  /** GlobalMaxPooling1D / GlobalAveragePooling1D: over the steps (axis 1). */
  | { kind: 'globalPool'; name: string; op: 'Max' | 'Mean' }
  /** training/models/attention.ts MaskedPooling: inputs [x, token ids]; over the non-padding steps only. */
  | { kind: 'maskedPool'; name: string; op: 'Max' | 'Mean' }
  /** Merge layers: the sum or product of all inputs, in order, or their concatenation along `axis`. */
  | { kind: 'add'; name: string }
  | { kind: 'multiply'; name: string }
  | { kind: 'concatenate'; name: string; axis: number }
  /** cnn-lstm's gated fusion (training/models/attention.ts): g * conv Wc + (1 - g) * recurrent Wr. */
  | { kind: 'gatedFusion'; name: string; convKernel: number; recurrentKernel: number; gateKernel: number; gateBias: number }
  /** cnn-lstm's attention fusion: the recurrent output attends over the convolution's steps (mask: a third input, the token ids). */
  | { kind: 'attentionFusion'; name: string; queryKernel: number; mask: boolean }
  /** LayerNormalization over the last axis. */
  | { kind: 'layerNorm'; name: string; epsilon: number; gamma: number; beta: number }
  /** training/models/attention.ts MultiHeadSelfAttention: projections [query, key, value, output]; mask: a second input, the token ids. */
  | {
      kind: 'selfAttention';
      name: string;
      heads: number;
      mask: boolean;
      kernels: [number, number, number, number];
      biases: [number | null, number | null, number | null, number | null];
    }
  /** training/models/svm-rbf.ts RandomFourierFeatures: cos(x kernel + bias) * sqrt(2 / features), fixed weights. */
  | { kind: 'randomFourier'; name: string; features: number; kernel: number; bias: number }
  /** training/models/attention.ts PositionalEncoding: the sinusoidal table added, a constant. */
  | { kind: 'positionalEncoding'; name: string };

/** A layer and what it reads: earlier nodes by index, -1 for the model's input. */
export interface GraphNode {
  layer: LayerSpec;
  inputs: number[];
}

export interface LstmSpec {
  kind: 'lstm';
  name: string;
  units: number;
  activation: GraphActivation;
  recurrentActivation: GraphActivation;
  returnSequences: boolean;
  /** Runs from the last time step to the first (the backward half of a bidirectional layer). */
  reverse: boolean;
  /** Dropout rates of the inputs and of the recurrent state (one mask per step of training, as tfjs). */
  dropout: number;
  recurrentDropout: number;
  kernel: number;
  recurrentKernel: number;
  bias: number | null;
}

export interface WeightSpec {
  /** The tfjs variable name (unique in the process): optimizer slots are named after it. */
  name: string;
  shape: number[];
  trainable: boolean;
}

export interface GraphModel {
  /** Per-example input shape and dtype. */
  inputShape: number[];
  inputDtype: 'float32' | 'int32';
  /** In topological order; the last is the model's output. */
  nodes: GraphNode[];
  /** model.weights, in the order getWeights()/setWeights() use. */
  weights: WeightSpec[];
  /** L1/L2 penalties added to the loss, as tfjs adds a kernel regularizer's. */
  penalties: { weight: number; l1: number; l2: number }[];
}

export type Translation = { model: GraphModel } | { reason: string };

type Config = Record<string, unknown>;
type Layer = LayersModel['layers'][number];

class Unsupported extends Error {}

function pair(value: unknown, what: string): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) return [value[0] as number, value[1] as number];
  throw new Unsupported(`${what} ${JSON.stringify(value)}`);
}

function single(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return value[0];
  throw new Unsupported(`${what} ${JSON.stringify(value)}`);
}

function activationOf(config: Config, layer: string): GraphActivation {
  const name = config.activation ?? 'linear';
  if (typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name)) return name as GraphActivation;
  throw new Unsupported(`layer ${layer}: activation ${JSON.stringify(name)}`);
}

function padding(config: Config, layer: string): 'SAME' | 'VALID' {
  if (config.padding === 'same') return 'SAME';
  if (config.padding === 'valid' || config.padding === undefined) return 'VALID';
  throw new Unsupported(`layer ${layer}: padding ${JSON.stringify(config.padding)}`);
}

function requireNull(config: Config, layer: string, keys: string[]): void {
  for (const key of keys) {
    if (config[key] != null) throw new Unsupported(`layer ${layer}: ${key}`);
  }
}

function channelsLast(config: Config, layer: string): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') throw new Unsupported(`layer ${layer}: dataFormat ${String(config.dataFormat)}`);
}

/** The L1L2 kernel regularizer's factors, or null. */
function regularizer(config: Config, layer: string): { l1: number; l2: number } | null {
  const reg = config.kernelRegularizer as { className?: string; config?: { l1?: number; l2?: number } } | null | undefined;
  if (reg == null) return null;
  if (reg.className !== 'L1L2') throw new Unsupported(`layer ${layer}: kernel regularizer ${String(reg.className)}`);
  return { l1: reg.config?.l1 ?? 0, l2: reg.config?.l2 ?? 0 };
}

/** The graph engine's description of `model`, or why it cannot train it. */
export function translateModel(model: LayersModel): Translation {
  try {
    return { model: translate(model) };
  } catch (error) {
    if (error instanceof Unsupported) return { reason: `the graph engine does not support ${error.message}` };
    throw error;
  }
}

function translate(model: LayersModel): GraphModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Unsupported(`${model.inputs.length} inputs and ${model.outputs.length} outputs`);
  const input = model.inputs[0]!;
  if (input.dtype !== 'float32' && input.dtype !== 'int32') throw new Unsupported(`input dtype ${input.dtype}`);
  const weightIndex = new Map(model.weights.map((w, i) => [w, i]));
  const weights = model.weights.map((w) => ({ name: w.name, shape: w.shape.map((d) => d ?? -1), trainable: w.trainable }));
  const nodes: GraphNode[] = [];
  const penalties: GraphModel['penalties'] = [];
  const nodeOf = new Map<Layer, number>();
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const inputs = inboundOf(layer, nodeOf);
    const own = (i: number) => {
      const variable = layer.weights[i];
      const index = variable ? weightIndex.get(variable) : undefined;
      if (index === undefined) throw new Unsupported(`layer ${layer.name}: weights outside the model's list`);
      return index;
    };
    const spec = layerSpec(layer, inputs.length, own, penalties);
    nodeOf.set(layer, nodes.length);
    nodes.push({ layer: spec, inputs });
  }
  if (nodes.length === 0) throw new Unsupported('a model without layers');
  if (nodeOf.get(model.outputs[0]!.sourceLayer as Layer) !== nodes.length - 1) throw new Unsupported('a model whose output is not its last layer');
  return { inputShape: input.shape.slice(1).map((d) => d ?? -1), inputDtype: inputDtype(nodes, input.dtype), nodes, weights, penalties };
}

/** Whether the node's spec masks padding: its last input is then the token ids. */
function masks(layer: LayerSpec): boolean {
  return layer.kind === 'maskedPool' || ((layer.kind === 'selfAttention' || layer.kind === 'attentionFusion') && layer.mask);
}

/**
 * Token ids: tfjs casts the (float32-declared) input of an embedding to int32, and the data are int32
 * already. The input then feeds embeddings and, as their last input (the padding mask), masked
 * attention and pooling only; a mask reads nothing but those token ids.
 */
function inputDtype(nodes: GraphNode[], declared: 'float32' | 'int32'): 'float32' | 'int32' {
  const masked = nodes.filter((n) => masks(n.layer));
  const strayMask = masked.find((n) => n.inputs.at(-1) !== -1);
  if (strayMask) throw new Unsupported(`layer ${strayMask.layer.name}: a padding mask from another layer than the model's input`);
  const readers = nodes.filter((n) => n.inputs.includes(-1));
  const embedded = readers.filter((n) => n.layer.kind === 'embedding');
  const other = readers.find((n) => n.layer.kind !== 'embedding' && !(masks(n.layer) && n.inputs.indexOf(-1) === n.inputs.length - 1));
  if (embedded.length === 0) {
    if (masked.length > 0) throw new Unsupported(`layer ${masked[0]!.layer.name}: a padding mask from an input no embedding reads`);
    return declared;
  }
  if (other) throw new Unsupported(`an input read by an embedding and by layer ${other.layer.name}`);
  return 'int32';
}

/** The nodes a layer reads (-1: the model's input); each layer must be applied once, to earlier layers' outputs. */
function inboundOf(layer: Layer, nodeOf: Map<Layer, number>): number[] {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) throw new Unsupported(`layer ${layer.name} used ${nodes.length} times`);
  return nodes[0]!.inboundLayers.map((source) => {
    if (source.getClassName() === 'InputLayer') return -1;
    const index = nodeOf.get(source);
    if (index === undefined) throw new Unsupported(`layer ${layer.name}: an input from ${source.name}, which is not before it in the model`);
    return index;
  });
}

/** One layer's spec; `inputs` is how many tensors it reads. */
function layerSpec(layer: Layer, inputs: number, own: (i: number) => number, penalties: GraphModel['penalties']): LayerSpec {
  const className = layer.getClassName();
  const config = layer.getConfig() as Config;
  const name = layer.name;
  const merge = ['Add', 'Multiply', 'Concatenate', FUSION].includes(className);
  // Masked layers take the token ids as one more input.
  const expected = className === MASKED_POOLING || (className === MULTI_HEAD_SELF_ATTENTION && config.maskPadding === true) ? 2 : 1;
  if (merge ? inputs < 2 : inputs !== expected) throw new Unsupported(`layer ${name} (${className}) with ${inputs} inputs`);
  switch (className) {
    case 'Dense': {
      requireNull(config, name, ['biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']);
      // Over a sequence [batch, steps, width] too: the engine applies it to every step, as tfjs's dot does.
      const rank = (layer.input as { shape: unknown[] }).shape.length;
      if (rank !== 2 && rank !== 3) throw new Unsupported(`layer ${name}: dense over a rank-${rank} input`);
      const kernel = own(0);
      const penalty = regularizer(config, name);
      if (penalty) penalties.push({ weight: kernel, ...penalty });
      return { kind: 'dense', name, activation: activationOf(config, name), kernel, bias: config.useBias === false ? null : own(1) };
    }
    case 'Conv2D':
    case 'Conv1D': {
      requireNull(config, name, ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']);
      channelsLast(config, name);
      // A 1-D convolution is a 2-D one over [batch, 1, steps, channels] (as tfjs computes it).
      const oneD = className === 'Conv1D';
      const twoD = (value: unknown, what: string): [number, number] => (oneD ? [1, single(value, what)] : pair(value, what));
      return {
        kind: 'conv2d',
        name,
        oneD,
        strides: twoD(config.strides ?? 1, `layer ${name}: strides`),
        dilations: twoD(config.dilationRate ?? 1, `layer ${name}: dilationRate`),
        padding: padding(config, name),
        activation: activationOf(config, name),
        kernel: own(0),
        bias: config.useBias === false ? null : own(1),
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      channelsLast(config, name);
      const poolSize = pair(config.poolSize ?? 2, `layer ${name}: poolSize`);
      return {
        kind: 'pool',
        name,
        op: className === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool',
        poolSize,
        strides: pair(config.strides ?? poolSize, `layer ${name}: strides`),
        padding: padding(config, name),
      };
    }
    case 'GlobalMaxPooling1D':
    case 'GlobalAveragePooling1D':
      channelsLast(config, name);
      return { kind: 'globalPool', name, op: className === 'GlobalMaxPooling1D' ? 'Max' : 'Mean' };
    case 'Flatten':
      channelsLast(config, name);
      return { kind: 'flatten', name };
    case 'Reshape': {
      const target = config.targetShape;
      if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && d > 0)) throw new Unsupported(`layer ${name}: targetShape ${JSON.stringify(target)}`);
      return { kind: 'reshape', name, targetShape: target as number[] };
    }
    case 'Activation':
      return { kind: 'activation', name, activation: activationOf(config, name) };
    case 'LeakyReLU':
      return { kind: 'leakyRelu', name, alpha: Number(config.alpha ?? 0.3) };
    case 'Dropout':
      requireNull(config, name, ['noiseShape']);
      return { kind: 'dropout', name, rate: Number(config.rate) };
    case 'Embedding':
      requireNull(config, name, ['embeddingsRegularizer', 'activityRegularizer', 'embeddingsConstraint']);
      if (config.maskZero) throw new Unsupported(`layer ${name}: maskZero`);
      return { kind: 'embedding', name, embeddings: own(0) };
    case 'LSTM':
      return lstmSpec(config, name, false, own, 0);
    case 'BatchNormalization': {
      requireNull(config, name, ['betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint']);
      if (config.axis !== -1 && config.axis !== (layer.input as { shape: unknown[] }).shape.length - 1) throw new Unsupported(`layer ${name}: axis ${String(config.axis)}`);
      if (config.center === false || config.scale === false) throw new Unsupported(`layer ${name}: center or scale off`);
      return {
        kind: 'batchNorm',
        name,
        epsilon: Number(config.epsilon),
        momentum: Number(config.momentum),
        gamma: byName(layer, own, 'gamma'),
        beta: byName(layer, own, 'beta'),
        movingMean: byName(layer, own, 'moving_mean'),
        movingVariance: byName(layer, own, 'moving_variance'),
      };
    }
    case 'Bidirectional': {
      const inner = config.layer as { className?: string; config?: Config } | undefined;
      if (inner?.className !== 'LSTM' || !inner.config) throw new Unsupported(`layer ${name}: a bidirectional ${String(inner?.className)}`);
      if (config.mergeMode !== 'concat') throw new Unsupported(`layer ${name}: mergeMode ${String(config.mergeMode)}`);
      // tfjs lists the forward layer's weights, then the backward one's.
      const forward = lstmSpec(inner.config, `${name}/forward`, false, own, 0);
      const backward = lstmSpec(inner.config, `${name}/backward`, true, own, forward.bias === null ? 2 : 3);
      return { kind: 'bidirectional', name, forward, backward };
    }
    case 'Add':
      return { kind: 'add', name };
    case 'Multiply':
      return { kind: 'multiply', name };
    case 'Concatenate':
      return { kind: 'concatenate', name, axis: Number(config.axis ?? -1) };
    case FUSION: {
      const mask = config.mode === 'attention' && config.maskPadding === true;
      if (inputs !== (mask ? 3 : 2)) throw new Unsupported(`layer ${name} (${className}) with ${inputs} inputs`);
      if (config.mode === 'attention') return { kind: 'attentionFusion', name, queryKernel: byName(layer, own, 'query_kernel'), mask };
      if (config.mode !== 'gated') throw new Unsupported(`layer ${name} (${className}): fusion ${String(config.mode)}`);
      return {
        kind: 'gatedFusion',
        name,
        convKernel: byName(layer, own, 'conv_kernel'),
        recurrentKernel: byName(layer, own, 'recurrent_kernel'),
        gateKernel: byName(layer, own, 'gate_kernel'),
        gateBias: byName(layer, own, 'gate_bias'),
      };
    }
    case 'LayerNormalization': {
      requireNull(config, name, ['betaRegularizer', 'gammaRegularizer']);
      const axis = config.axis;
      const last = (layer.input as { shape: unknown[] }).shape.length - 1;
      const lastOnly = (a: unknown) => a === -1 || a === last;
      if (!(lastOnly(axis) || (Array.isArray(axis) && axis.length === 1 && lastOnly(axis[0])))) throw new Unsupported(`layer ${name}: axis ${JSON.stringify(axis)}`);
      if (config.center === false || config.scale === false) throw new Unsupported(`layer ${name}: center or scale off`);
      return { kind: 'layerNorm', name, epsilon: Number(config.epsilon), gamma: byName(layer, own, 'gamma'), beta: byName(layer, own, 'beta') };
    }
    case MULTI_HEAD_SELF_ATTENTION: {
      const parts = ['query', 'key', 'value', 'output'];
      const kernels = parts.map((part) => byName(layer, own, `${part}_kernel`)) as [number, number, number, number];
      const biases = parts.map((part) => byName(layer, own, `${part}_bias`, true)) as [number | null, number | null, number | null, number | null];
      return { kind: 'selfAttention', name, heads: Number(config.heads), mask: config.maskPadding === true, kernels, biases };
    }
    case MASKED_POOLING:
      if (config.op !== 'avg' && config.op !== 'max') throw new Unsupported(`layer ${name} (${className}): op ${JSON.stringify(config.op)}`);
      return { kind: 'maskedPool', name, op: config.op === 'max' ? 'Max' : 'Mean' };
    case POSITIONAL_ENCODING:
      return { kind: 'positionalEncoding', name };
    case RANDOM_FOURIER_FEATURES: {
      if ((layer.input as { shape: unknown[] }).shape.length !== 2) throw new Unsupported(`layer ${name}: random features of a rank-${(layer.input as { shape: unknown[] }).shape.length} input`);
      return { kind: 'randomFourier', name, features: Number(config.features), kernel: byName(layer, own, 'kernel'), bias: byName(layer, own, 'bias') };
    }
    default:
      throw new Unsupported(`layer ${name} (${className})`);
  }
}

/** The layer's weight named `suffix` (its model index); null when `optional` and absent. */
function byName(layer: Layer, own: (i: number) => number, suffix: string): number;
function byName(layer: Layer, own: (i: number) => number, suffix: string, optional: true): number | null;
function byName(layer: Layer, own: (i: number) => number, suffix: string, optional = false): number | null {
  const at = layer.weights.findIndex((w) => w.originalName.endsWith(`/${suffix}`));
  if (at >= 0) return own(at);
  if (optional) return null;
  throw new Unsupported(`layer ${layer.name}: no ${suffix} weight`);
}

/** An LSTM layer's configuration; its kernel, recurrent kernel and bias are the layer's weights from `first` on. */
function lstmSpec(config: Config, name: string, reverse: boolean, own: (i: number) => number, first: number): LstmSpec {
  requireNull(config, name, ['kernelRegularizer', 'recurrentRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'recurrentConstraint', 'biasConstraint']);
  for (const key of ['returnState', 'goBackwards', 'stateful']) if (config[key]) throw new Unsupported(`layer ${name}: ${key}`);
  return {
    kind: 'lstm',
    name,
    units: Number(config.units),
    activation: activationOf(config, name),
    recurrentActivation: activationOf({ activation: config.recurrentActivation }, name),
    returnSequences: Boolean(config.returnSequences),
    reverse,
    dropout: Number(config.dropout ?? 0),
    recurrentDropout: Number(config.recurrentDropout ?? 0),
    kernel: own(first),
    recurrentKernel: own(first + 1),
    bias: config.useBias === false ? null : own(first + 2),
  };
}

