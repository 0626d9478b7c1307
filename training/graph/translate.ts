// LayersModel -> the graph engine's layer list. Only a plain chain of layers the engine knows is
// translated; anything else (another topology, an unknown layer or option) comes back as a reason,
// and the trial trains on the eager path, which says so. Reads the model, changes nothing.
import type { LayersModel } from '@tensorflow/tfjs';

export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'swish', 'gelu', 'mish', 'softmax'] as const;
export type GraphActivation = (typeof ACTIVATIONS)[number];

export type LayerSpec =
  | { kind: 'dense'; name: string; activation: GraphActivation; kernel: number; bias: number | null }
  | {
      kind: 'conv2d';
      name: string;
      strides: [number, number];
      dilations: [number, number];
      padding: 'SAME' | 'VALID';
      activation: GraphActivation;
      kernel: number;
      bias: number | null;
    }
  | { kind: 'pool'; name: string; op: 'MaxPool' | 'AvgPool'; poolSize: [number, number]; strides: [number, number]; padding: 'SAME' | 'VALID' }
  | { kind: 'flatten'; name: string }
  | { kind: 'activation'; name: string; activation: GraphActivation }
  | { kind: 'leakyRelu'; name: string; alpha: number }
  | { kind: 'dropout'; name: string; rate: number }
  | { kind: 'embedding'; name: string; embeddings: number }
  | LstmSpec
  | { kind: 'batchNorm'; name: string; epsilon: number; momentum: number; gamma: number; beta: number; movingMean: number; movingVariance: number }
  | { kind: 'bidirectional'; name: string; forward: LstmSpec; backward: LstmSpec };

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
  layers: LayerSpec[];
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
  const layers: LayerSpec[] = [];
  const penalties: GraphModel['penalties'] = [];
  let previous: Layer | null = null;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    checkChain(layer, previous);
    previous = layer;
    const config = layer.getConfig() as Config;
    const name = layer.name;
    const own = (i: number) => {
      const variable = layer.weights[i];
      const index = variable ? weightIndex.get(variable) : undefined;
      if (index === undefined) throw new Unsupported(`layer ${name}: weights outside the model's list`);
      return index;
    };
    switch (className) {
      case 'Dense': {
        requireNull(config, name, ['biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']);
        const rank = (layer.input as { shape: unknown[] }).shape.length;
        if (rank !== 2) throw new Unsupported(`layer ${name}: dense over a rank-${rank} input`);
        const kernel = own(0);
        const penalty = regularizer(config, name);
        if (penalty) penalties.push({ weight: kernel, ...penalty });
        layers.push({ kind: 'dense', name, activation: activationOf(config, name), kernel, bias: config.useBias === false ? null : own(1) });
        break;
      }
      case 'Conv2D': {
        requireNull(config, name, ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']);
        channelsLast(config, name);
        layers.push({
          kind: 'conv2d',
          name,
          strides: pair(config.strides ?? 1, `layer ${name}: strides`),
          dilations: pair(config.dilationRate ?? 1, `layer ${name}: dilationRate`),
          padding: padding(config, name),
          activation: activationOf(config, name),
          kernel: own(0),
          bias: config.useBias === false ? null : own(1),
        });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        channelsLast(config, name);
        const poolSize = pair(config.poolSize ?? 2, `layer ${name}: poolSize`);
        layers.push({
          kind: 'pool',
          name,
          op: className === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool',
          poolSize,
          strides: pair(config.strides ?? poolSize, `layer ${name}: strides`),
          padding: padding(config, name),
        });
        break;
      }
      case 'Flatten':
        channelsLast(config, name);
        layers.push({ kind: 'flatten', name });
        break;
      case 'Activation':
        layers.push({ kind: 'activation', name, activation: activationOf(config, name) });
        break;
      case 'LeakyReLU':
        layers.push({ kind: 'leakyRelu', name, alpha: Number(config.alpha ?? 0.3) });
        break;
      case 'Dropout':
        requireNull(config, name, ['noiseShape']);
        layers.push({ kind: 'dropout', name, rate: Number(config.rate) });
        break;
      case 'Embedding':
        requireNull(config, name, ['embeddingsRegularizer', 'activityRegularizer', 'embeddingsConstraint']);
        if (config.maskZero) throw new Unsupported(`layer ${name}: maskZero`);
        layers.push({ kind: 'embedding', name, embeddings: own(0) });
        break;
      case 'LSTM':
        layers.push(lstmSpec(config, name, false, own, 0));
        break;
      case 'BatchNormalization': {
        requireNull(config, name, ['betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint']);
        if (config.axis !== -1 && config.axis !== (layer.input as { shape: unknown[] }).shape.length - 1) throw new Unsupported(`layer ${name}: axis ${String(config.axis)}`);
        if (config.center === false || config.scale === false) throw new Unsupported(`layer ${name}: center or scale off`);
        const byName = (suffix: string) => {
          const at = layer.weights.findIndex((w) => w.originalName.endsWith(`/${suffix}`));
          if (at < 0) throw new Unsupported(`layer ${name}: no ${suffix} weight`);
          return own(at);
        };
        layers.push({
          kind: 'batchNorm',
          name,
          epsilon: Number(config.epsilon),
          momentum: Number(config.momentum),
          gamma: byName('gamma'),
          beta: byName('beta'),
          movingMean: byName('moving_mean'),
          movingVariance: byName('moving_variance'),
        });
        break;
      }
      case 'Bidirectional': {
        const inner = config.layer as { className?: string; config?: Config } | undefined;
        if (inner?.className !== 'LSTM' || !inner.config) throw new Unsupported(`layer ${name}: a bidirectional ${String(inner?.className)}`);
        if (config.mergeMode !== 'concat') throw new Unsupported(`layer ${name}: mergeMode ${String(config.mergeMode)}`);
        // tfjs lists the forward layer's weights, then the backward one's.
        const forward = lstmSpec(inner.config, `${name}/forward`, false, own, 0);
        const backward = lstmSpec(inner.config, `${name}/backward`, true, own, forward.bias === null ? 2 : 3);
        layers.push({ kind: 'bidirectional', name, forward, backward });
        break;
      }
      default:
        throw new Unsupported(`layer ${name} (${className})`);
    }
  }
  if (layers.length === 0) throw new Unsupported('a model without layers');
  // Token ids: tfjs casts the (float32-declared) input of an embedding to int32; the data are int32 already.
  const inputDtype = layers[0]!.kind === 'embedding' ? 'int32' : input.dtype;
  return { inputShape: input.shape.slice(1).map((d) => d ?? -1), inputDtype, layers, weights, penalties };
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

/** Each layer must take exactly the previous layer's single output: a plain chain. */
function checkChain(layer: Layer, previous: Layer | null): void {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1) throw new Unsupported(`layer ${layer.name} used ${nodes.length} times`);
  const inbound = nodes[0]!.inboundLayers;
  const fromInput = inbound.length === 1 && inbound[0]!.getClassName() === 'InputLayer';
  if (previous === null ? !fromInput : inbound.length !== 1 || inbound[0] !== previous) {
    throw new Unsupported(`a model that is not a plain chain of layers (at layer ${layer.name})`);
  }
}
