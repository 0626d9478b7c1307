// The graph engine: one TensorFlow graph per trial holding the forward pass of a translated model
// (its layers in topological order, each reading earlier layers' outputs), the loss the eager engine
// compiles (categorical cross-entropy on probabilities, as tfjs computes it, or a regression loss:
// mse, mae, huber), TF_AddGradients' backward pass and the optimizer's update ops, each written with
// the same arithmetic as the tfjs optimizer it stands for, so both engines agree to float rounding. Weights and
// optimizer slots live in TensorFlow resource variables between steps; a training step is one
// TF_SessionRun. The optimizer state maps to and from tfjs's getWeights() format (iteration count, then
// each slot for every trainable weight), so a checkpoint written by either engine resumes on the other.
// Validation runs in the same graph: the forward pass in inference mode (as tfjs's model.evaluate: no
// dropout, batch normalization with its moving statistics, no weight penalties) over the same variables.
import type { LayerProbe } from '../health';
import { HUBER_DELTA, classifies, type LossKind } from '../loss';
import { MASK_LOGIT, positionTable } from '../models/attention';
import type { OptimizerConfig } from '../optimizer';
import type { SplitArrays } from '../split-arrays';
import { GraphBuilder, hostTensor } from './builder';
import type { DType, EngineHandle, GraphAddon, HostTensor, Output, TrainStepsRequest } from './native';
import { trainingSessionConfig } from './session-config';
import type { GraphActivation, GraphModel, LayerSpec, LstmSpec } from './translate';

/** tfjs's backend epsilon: the cross-entropy clips probabilities to [1e-7, 1 - 1e-7]. */
const EPSILON = 1e-7;

/** The losses the graph engine computes: all but a family's own. */
export type GraphLoss = Exclude<LossKind, { kind: 'custom' }>;

export interface GraphEngineOptions {
  model: GraphModel;
  optimizer: OptimizerConfig;
  loss: GraphLoss;
  /** The model's output width: classes (one-hot targets), or regression targets. */
  numClasses: number;
  /** The health probe's layers (training/probe.ts graphProbeLayers): when given, probe() computes them in the graph. */
  probe?: ProbeLayerSpec[];
}

/**
 * One tfjs layer as the health probe reports it (training/probe.ts), in model.layers order: its
 * trainable weights (model.weights indices) and, for a ReLU-family layer, the node whose output is watched.
 */
export interface ProbeLayerSpec {
  name: string;
  weights: number[];
  node?: number;
}

/**
 * The metrics model.fit logs beside the loss, under its names: `acc` for the cross-entropy, `mse` and
 * `mae` for a regression loss (training/task.ts TASK_METRICS).
 */
export function metricNames(loss: GraphLoss): string[] {
  return classifies(loss) ? ['acc'] : ['mse', 'mae'];
}

export interface NamedTensor {
  name: string;
  tensor: HostTensor;
}

interface Variable {
  resource: Output;
  /** The one read per step: forward, backward and update all use this value. */
  read: Output;
  init: Output;
  assignInit: number;
  shape: number[];
}

/** Optimizer slots per trainable weight, in tfjs's getWeights() order and naming. */
function slotNames(config: OptimizerConfig): string[] {
  switch (config.optimizer) {
    case 'adam':
    case 'adamw':
      return ['m', 'v'];
    case 'sgd':
      return config.momentum > 0 ? ['momentum'] : [];
    case 'rmsprop':
      return ['rms', 'momentum'];
  }
}

/**
 * beta^(steps + 1) as the Adam update's variable holds it after `steps` steps: beta, then multiplied by
 * beta in float32 at every step (a product of two float32 values is exact in a double, so one fround
 * per step rounds as TensorFlow does). A resumed trial thus continues with the very same value an
 * uninterrupted one has; tfjs's setWeights uses pow() instead, a few float32 ulps away.
 */
export function adamPower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let power = b;
  for (let i = 0; i < steps; i++) power = Math.fround(power * b);
  return power;
}

/** Examples per session run of a validation pass: large, as nothing is kept for a backward pass. */
export const EVAL_BATCH_SIZE = 512;

/** Whether a layer computes otherwise in training than in inference (dropout masks, batch statistics). */
function trainingDiffers(layer: LayerSpec): boolean {
  switch (layer.kind) {
    case 'dropout':
      return layer.rate > 0;
    case 'batchNorm':
      return true;
    case 'lstm':
      return layer.dropout > 0 || layer.recurrentDropout > 0;
    case 'bidirectional':
      return trainingDiffers(layer.forward) || trainingDiffers(layer.backward);
    default:
      return false;
  }
}

/**
 * A validation pass's results as model.evaluate returns them, on either engine (training/validation.ts):
 * the mean loss, then the compiled metrics' means (metricNames, TASK_METRICS order).
 */
export interface Evaluation {
  loss: number;
  values: number[];
}

export interface EpochStats {
  /** Loss and metrics (metricNames) of every batch, and its example count. */
  losses: number[];
  metrics: Record<string, number[]>;
  rows: number[];
}

/** Batches start..start+count-1 of an epoch whose examples (`x`, `y`: a split's flat arrays) come in `order`. */
interface BatchRequest extends SplitArrays {
  order: Int32Array;
  batchSize: number;
  start: number;
  count: number;
}

export class GraphEngine {
  private readonly g: GraphBuilder;
  private readonly weights: Variable[] = [];
  /** slots[s][t]: slot s of the t-th trainable weight. */
  private readonly slots: Variable[][] = [];
  private readonly scalars: Variable[] = [];
  private readonly trainable: number[];
  /** Assigns of non-trained state each step (batch normalization's moving averages). */
  private readonly stateUpdates: number[] = [];
  private x!: Output;
  private y!: Output;
  private lr!: Output;
  private decayKeep: Output | null = null;
  private seed: Output | null = null;
  private loss!: Output;
  /** The metricNames values of a batch. */
  private metrics: Output[] = [];
  /** A batch's loss (without weight penalties) and metricNames values in inference mode. */
  private evaluation: Output[] = [];
  /** The health probe's fetches: per-layer gradient norms (one vector), then each watched layer's unit maxima. */
  private probeFetches: { norms: Output | null; maxima: Output[] } | null = null;
  /** 0..n-1, the order a validation pass takes its n examples in (kept between passes). */
  private identity = new Int32Array(0);
  private train!: number;
  /** Resource names are unique per engine, in case TensorFlow shares resources between sessions. */
  private readonly prefix = `tuneflow_${Math.random().toString(36).slice(2)}`;
  /** Steps taken, as tfjs optimizers count them (`iter`). */
  iterations = 0;
  /** Ops in the graph (forward, gradients, updates, and each variable's initializer), for the bench. */
  opCount = 0;
  /** Of those, the health probe's (norms, maxima and, where it has its own, its backward pass). */
  private probeOps = 0;

  private constructor(
    private readonly addon: GraphAddon,
    private options: GraphEngineOptions,
  ) {
    this.g = new GraphBuilder(addon, addon.newGraph());
    this.trainable = options.model.weights.flatMap((w, i) => (w.trainable ? [i] : []));
  }

  /**
   * Builds the graph and starts its session; weights and optimizer state start as given (else zero
   * slots), in one session run: each new combination of feeds and fetches costs TensorFlow an executor.
   */
  static create(
    addon: GraphAddon,
    options: GraphEngineOptions,
    weights: HostTensor[],
    threads = { intraOp: 0, interOp: 0 },
    optimizerState: NamedTensor[] | null = null,
  ): GraphEngine {
    const engine = new GraphEngine(addon, options);
    engine.build();
    addon.startSession(engine.handle, trainingSessionConfig(threads));
    const state = engine.optimizerPairs(optimizerState);
    engine.assignAll([...engine.weightPairs(weights), ...state.pairs]);
    engine.iterations = state.iterations;
    return engine;
  }

  private get handle(): EngineHandle {
    return this.g.handle;
  }

  private variable(scope: string, shape: number[]): Variable {
    const g = this.g;
    const resource = g.out('VarHandleOp', [], { dtype: { type: 'float32' }, shape: { shape }, shared_name: { s: `${this.prefix}_${scope}` } }, scope);
    const read = g.out('ReadVariableOp', [resource], { dtype: { type: 'float32' } }, scope);
    const init = g.placeholder('float32', shape, `${scope}/init`);
    const assignInit = g.op('AssignVariableOp', [resource, init], { dtype: { type: 'float32' } }, null, `${scope}/init`);
    return { resource, read, init, assignInit, shape };
  }

  private assign(variable: Variable, value: Output): number {
    return this.g.op('AssignVariableOp', [variable.resource, value], { dtype: { type: 'float32' } }, null, 'update');
  }

  private build(): void {
    const { model, numClasses, optimizer } = this.options;
    const g = this.g;
    model.weights.forEach((w, i) => this.weights.push(this.variable(`w${i}`, w.shape)));
    for (const slot of slotNames(optimizer)) this.slots.push(this.trainable.map((t) => this.variable(`${slot}${t}`, model.weights[t]!.shape)));
    if (optimizer.optimizer === 'adam' || optimizer.optimizer === 'adamw') this.scalars.push(this.variable('accBeta1', []), this.variable('accBeta2', []));

    this.x = g.placeholder(model.inputDtype as DType, [-1, ...model.inputShape], 'x');
    this.y = g.placeholder('float32', [-1, numClasses], 'y');
    this.lr = g.placeholder('float32', [], 'lr');
    if (optimizer.weightDecay) this.decayKeep = g.placeholder('float32', [], 'decay');
    const layers = model.nodes.map((n) => n.layer);
    const lstms = layers.flatMap((l) => (l.kind === 'lstm' ? [l] : l.kind === 'bidirectional' ? [l.forward, l.backward] : []));
    if (layers.some((l) => l.kind === 'dropout') || lstms.some((l) => l.dropout > 0 || l.recurrentDropout > 0)) this.seed = g.placeholder('int64', [2], 'seed');

    const nodes = this.forward(true);
    const h = nodes.at(-1)!;
    this.loss = this.withPenalties(this.lossOf(h));
    this.metrics = this.metricsOf(h);
    // Validation: a forward pass of its own where a layer tells the modes apart, else the training one's ops.
    const differs = model.nodes.some((n) => trainingDiffers(n.layer));
    const inference = differs ? this.forward(false) : nodes;
    this.evaluation = [this.lossOf(inference.at(-1)!), ...this.metricsOf(inference.at(-1)!)];

    const reads = this.trainable.map((t) => this.weights[t]!.read);
    const grads = this.addon.addGradients(this.handle, 'grad', [this.loss], reads);
    const updates = this.updates(grads.map((grad, i) => {
      if (!grad) throw new Error(`graph engine: weight ${model.weights[this.trainable[i]!]!.name} does not reach the loss`);
      return grad;
    }));
    this.train = g.op('NoOp', [], {}, [...updates, ...this.stateUpdates], 'train');
    const beforeProbe = this.addon.graphOps(this.handle);
    // The probe's loss is the evaluation's (no penalties, inference mode): the training gradients where those are the same.
    if (this.options.probe) {
      try {
        this.buildProbe(this.options.probe, inference, differs || model.penalties.length > 0 ? null : grads);
      } catch {
        // The model still trains on the graph; the eager probe measures it (`probes` is false). Ops added
        // before the failure are never fetched, so sessions prune them.
        this.probeFetches = null;
      }
    }
    this.opCount = this.addon.graphOps(this.handle);
    this.probeOps = this.opCount - beforeProbe;
  }

  /** Every node's output: each reads earlier nodes' outputs (or the input); the last one is the model's output. */
  private forward(training: boolean): Output[] {
    const outputs: Output[] = [];
    this.options.model.nodes.forEach((node, i) => outputs.push(this.layer(node.layer, node.inputs.map((j) => (j < 0 ? this.x : outputs[j]!)), i, training)));
    return outputs;
  }

  /**
   * The health probe (training/probe.ts HealthProbe) in the graph: the gradients of the inference-mode
   * loss without penalties (`this.evaluation[0]`, the mean of the per-example loss the eager probe
   * differentiates; `trainingGrads` when those are the same), per layer sqrt(sum of squared gradients
   * over its trainable weights), and the per-unit maxima over all but the last axis of watched outputs.
   */
  private buildProbe(layers: ProbeLayerSpec[], outputs: Output[], trainingGrads: (Output | null)[] | null): void {
    const g = this.g;
    const grads = trainingGrads ?? this.addon.addGradients(this.handle, 'probe', [this.evaluation[0]!], this.trainable.map((t) => this.weights[t]!.read));
    const gradOf = new Map(this.trainable.map((t, i) => [t, grads[i]]));
    const squares = layers
      .filter((l) => l.weights.length > 0)
      .map((l) => {
        const parts = l.weights.map((w) => {
          const grad = gradOf.get(w);
          if (grad === undefined) throw new Error(`graph engine: the probe's layer ${l.name} has weight ${this.options.model.weights[w]?.name} that is not trained`);
          // A weight the loss does not reach has a zero gradient.
          return grad ? g.reduce('Sum', g.unary('Square', grad), this.weights[w]!.shape.map((_, i) => i)) : g.scalar(0);
        });
        return parts.length === 1 ? parts[0]! : g.out('AddN', [{ list: parts }], { N: { i: parts.length } });
      });
    const norms = squares.length > 0 ? g.unary('Sqrt', g.out('Pack', [{ list: squares }], { N: { i: squares.length }, axis: { i: 0 } })) : null;
    const maxima = layers.flatMap((l) => {
      if (l.node === undefined) return [];
      const rank = g.shape(outputs[l.node]!)?.length;
      if (rank === undefined || rank < 1) throw new Error(`graph engine: the probe watches layer ${l.name}, whose output has no known rank`);
      return [g.reduce('Max', outputs[l.node]!, Array.from({ length: rank - 1 }, (_, i) => i))];
    });
    this.probeFetches = { norms, maxima };
  }

  private activation(kind: GraphActivation, x: Output): Output {
    const g = this.g;
    switch (kind) {
      case 'linear':
        return x;
      case 'relu':
        return g.unary('Relu', x);
      case 'relu6':
        return g.unary('Relu6', x);
      case 'elu':
        return g.unary('Elu', x);
      case 'selu':
        return g.unary('Selu', x);
      case 'tanh':
        return g.unary('Tanh', x);
      case 'sigmoid':
        return g.unary('Sigmoid', x);
      case 'softplus':
        return g.unary('Softplus', x);
      case 'softmax':
        return g.unary('Softmax', x);
      case 'swish':
        return g.mul(g.unary('Sigmoid', x), x);
      case 'mish':
        return g.mul(x, g.unary('Tanh', g.unary('Softplus', x)));
      case 'gelu':
        return g.mul(x, g.mul(g.scalar(0.5), g.add(g.scalar(1), g.unary('Erf', g.div(x, g.scalar(Math.SQRT2))))));
    }
  }

  /**
   * A layer's output from its inputs (one, but for the merge layers); `index` numbers its dropout
   * streams. Out of `training` (validation) dropout is off and batch normalization uses its moving statistics.
   */
  private layer(layer: LayerSpec, inputs: Output[], index: number, training: boolean): Output {
    const g = this.g;
    const x = inputs[0]!;
    const read = (i: number) => this.weights[i]!.read;
    const bias = (h: Output, b: number | null) => (b === null ? h : g.out('BiasAdd', [h, read(b)]));
    switch (layer.kind) {
      case 'dense':
        return this.perStep(x, (rows) => this.activation(layer.activation, bias(g.out('MatMul', [rows, read(layer.kernel)]), layer.bias)));
      case 'conv2d': {
        // Conv1D as tfjs computes it: a conv2d over [batch, 1, steps, channels] with a [1, k, in, out] kernel.
        const conv = g.out('Conv2D', layer.oneD ? [g.expandDims(x, 1), g.expandDims(read(layer.kernel), 0)] : [x, read(layer.kernel)], {
          strides: { ints: [1, ...layer.strides, 1] },
          dilations: { ints: [1, ...layer.dilations, 1] },
          padding: { s: layer.padding },
        });
        return this.activation(layer.activation, bias(layer.oneD ? g.out('Squeeze', [conv], { squeeze_dims: { ints: [1] } }) : conv, layer.bias));
      }
      case 'pool':
        return g.out(layer.op, [x], { ksize: { ints: [1, ...layer.poolSize, 1] }, strides: { ints: [1, ...layer.strides, 1] }, padding: { s: layer.padding } });
      case 'flatten': {
        const shape = g.shape(x);
        if (!shape || shape.slice(1).some((d) => d < 0)) throw new Error(`graph engine: layer ${layer.name} flattens an input of unknown shape`);
        return g.out('Reshape', [x, g.ints([-1, shape.slice(1).reduce((a, b) => a * b, 1)])]);
      }
      case 'reshape':
        return g.out('Reshape', [x, g.ints([-1, ...layer.targetShape])]);
      case 'activation':
        return this.activation(layer.activation, x);
      case 'leakyRelu':
        return g.out('LeakyRelu', [x], { alpha: { f: layer.alpha } });
      case 'embedding':
        return g.out('GatherV2', [read(layer.embeddings), x, g.constant('int32', [], [0])]);
      case 'lstm':
        return this.lstm(layer, x, 4 * index, training);
      case 'batchNorm': {
        if (!training) {
          // tfjs in inference: (x - moving mean) * (rsqrt(moving variance + epsilon) * gamma) + beta.
          const scale = g.mul(g.unary('Rsqrt', g.add(read(layer.movingVariance), g.scalar(layer.epsilon))), read(layer.gamma));
          return g.add(g.mul(g.sub(x, read(layer.movingMean)), scale), read(layer.beta));
        }
        // tfjs in training: batch moments over all axes but the last (gradients flow through both), then
        // moving <- moving - (moving - batch value) * (1 - momentum) for the mean and the variance.
        const axes = (g.shape(x) ?? []).slice(0, -1).map((_, i) => i);
        const mean = g.reduce('Mean', x, axes, true);
        const centered = g.sub(x, mean);
        const variance = g.reduce('Mean', g.unary('Square', centered), axes, true);
        const normed = g.mul(centered, g.unary('Rsqrt', g.add(variance, g.scalar(layer.epsilon))));
        const decay = g.scalar(1 - layer.momentum);
        const flat = (v: Output) => g.out('Reshape', [v, g.ints([-1])]);
        for (const [weight, value] of [[layer.movingMean, mean], [layer.movingVariance, variance]] as const) {
          const moving = this.weights[weight]!;
          this.stateUpdates.push(this.assign(moving, g.sub(moving.read, g.mul(g.sub(moving.read, flat(value)), decay))));
        }
        return g.add(g.mul(normed, read(layer.gamma)), read(layer.beta));
      }
      case 'bidirectional':
        return g.out('ConcatV2', [{ list: [this.lstm(layer.forward, x, 4 * index, training), this.lstm(layer.backward, x, 4 * index + 2, training)] }, g.constant('int32', [], [-1])]);
      case 'dropout':
        return layer.rate <= 0 || !training ? x : g.mul(x, this.dropoutMask(x, layer.rate, 4 * index));
      case 'globalPool':
        return g.reduce(layer.op, x, [1]);
      case 'maskedPool': {
        // training/models/attention.ts MaskedPooling: the mean over the kept steps (count at least 1), or
        // the maximum with padding pushed down by 1e9, times min(count, 1) so an all-padding row gives 0.
        const keep = this.kept(inputs[1]!);
        const count = g.reduce('Sum', keep, [1], true);
        if (layer.op === 'Mean') return g.div(g.reduce('Sum', g.mul(x, g.expandDims(keep, 2)), [1]), g.out('Maximum', [count, g.scalar(1)]));
        return g.mul(g.reduce('Max', g.add(x, g.expandDims(this.maskLogits(keep), 2)), [1]), g.out('Minimum', [count, g.scalar(1)]));
      }
      case 'add':
        return inputs.slice(1).reduce((sum, input) => g.add(sum, input), x);
      case 'multiply':
        return inputs.slice(1).reduce((product, input) => g.mul(product, input), x);
      case 'concatenate':
        return g.out('ConcatV2', [{ list: inputs }, g.constant('int32', [], [layer.axis])]);
      case 'gatedFusion': {
        // training/models/attention.ts Fusion (gated): g = sigmoid([conv, recurrent] Wg + bg); g conv Wc + (1 - g) recurrent Wr.
        const [conv, recurrent] = inputs as [Output, Output];
        const joined = g.out('ConcatV2', [{ list: [conv, recurrent] }, g.constant('int32', [], [1])]);
        const gate = g.unary('Sigmoid', g.add(g.out('MatMul', [joined, read(layer.gateKernel)]), read(layer.gateBias)));
        const fromConv = g.mul(gate, g.out('MatMul', [conv, read(layer.convKernel)]));
        return g.add(fromConv, g.mul(g.sub(g.scalar(1), gate), g.out('MatMul', [recurrent, read(layer.recurrentKernel)])));
      }
      case 'attentionFusion': {
        // Fusion (attention): scores = softmax over the steps of conv . (recurrent Wq); context = sum of the weighted steps.
        const [conv, recurrent, tokens] = inputs as [Output, Output, Output | undefined];
        const query = g.expandDims(g.out('MatMul', [recurrent, read(layer.queryKernel)]), 2);
        const logits = g.out('Squeeze', [g.out('BatchMatMulV2', [conv, query])], { squeeze_dims: { ints: [2] } });
        const scores = g.unary('Softmax', layer.mask ? g.add(logits, this.maskLogits(this.kept(tokens!))) : logits);
        const context = g.reduce('Sum', g.mul(conv, g.expandDims(scores, 2)), [1]);
        return g.out('ConcatV2', [{ list: [context, recurrent] }, g.constant('int32', [], [1])]);
      }
      case 'layerNorm': {
        // tfjs: moments over the last axis, then (x - mean) * (rsqrt(variance + epsilon) * gamma) + beta.
        const mean = g.reduce('Mean', x, [-1], true);
        const centered = g.sub(x, mean);
        const variance = g.reduce('Mean', g.unary('Square', centered), [-1], true);
        const scale = g.mul(g.unary('Rsqrt', g.add(variance, g.scalar(layer.epsilon))), read(layer.gamma));
        return g.add(g.mul(centered, scale), read(layer.beta));
      }
      case 'selfAttention':
        return this.selfAttention(layer, x, layer.mask ? inputs[1]! : null);
      case 'randomFourier':
        // training/models/svm-rbf.ts: cos(x W + b) * sqrt(2 / D), W and b fixed (not trained).
        return g.mul(g.unary('Cos', bias(g.out('MatMul', [x, read(layer.kernel)]), layer.bias)), g.scalar(Math.sqrt(2 / layer.features)));
      case 'positionalEncoding': {
        const [, steps, width] = this.knownShape(x, layer.name, 3) as [number, number, number];
        return g.add(x, g.constant('float32', [steps, width], positionTable(steps, width)));
      }
    }
  }

  /** 1 at a token, 0 at padding (id 0): token ids [batch, steps] to float32, as attention.ts `kept`. */
  private kept(tokens: Output): Output {
    return this.g.cast(this.g.out('NotEqual', [tokens, this.g.constant(this.options.model.inputDtype, [], [0])]), 'float32');
  }

  /** (1 - kept) * MASK_LOGIT: what a padding step's logit gets added. */
  private maskLogits(keep: Output): Output {
    return this.g.mul(this.g.sub(this.g.scalar(1), keep), this.g.scalar(MASK_LOGIT));
  }

  /** The shape of `x`, which must have `rank` dimensions all known but the batch's. */
  private knownShape(x: Output, layer: string, rank: number): number[] {
    const shape = this.g.shape(x);
    if (!shape || shape.length !== rank || shape.slice(1).some((d) => d < 0)) throw new Error(`graph engine: layer ${layer} needs a rank-${rank} input of known shape, got [${shape}]`);
    return shape;
  }

  /** `f` of a [rows, width] matrix, applied to every step of a sequence [batch, steps, width] (tfjs's dot). */
  private perStep(x: Output, f: (rows: Output) => Output): Output {
    const g = this.g;
    const shape = g.shape(x);
    if (!shape || shape.length === 2) return f(x);
    const out = f(g.out('Reshape', [x, g.ints([-1, shape.at(-1)!])]));
    return g.out('Reshape', [out, g.ints([-1, ...shape.slice(1, -1), g.shape(out)!.at(-1)!])]);
  }

  /**
   * MultiHeadSelfAttention as training/models/attention.ts computes it: projections of the flattened
   * steps, heads [batch, heads, steps, size], softmax(q k^T / sqrt(size)) v, heads joined, the output projection.
   */
  private selfAttention(layer: Extract<LayerSpec, { kind: 'selfAttention' }>, x: Output, tokens: Output | null): Output {
    const g = this.g;
    const [, steps, width] = this.knownShape(x, layer.name, 3) as [number, number, number];
    const size = width / layer.heads;
    const project = (t: Output, i: number) => {
      const product = g.out('MatMul', [t, this.weights[layer.kernels[i]!]!.read]);
      const b = layer.biases[i];
      return b === null || b === undefined ? product : g.add(product, this.weights[b]!.read);
    };
    const flat = g.out('Reshape', [x, g.ints([-1, width])]);
    const heads = (i: number) => g.out('Transpose', [g.out('Reshape', [project(flat, i), g.ints([-1, steps, layer.heads, size])]), g.ints([0, 2, 1, 3])]);
    const [q, k, v] = [heads(0), heads(1), heads(2)];
    const logits = g.div(g.out('BatchMatMulV2', [q, k], { adj_x: { b: false }, adj_y: { b: true } }), g.scalar(Math.sqrt(size)));
    // With a mask: -1e9 added to the logits of padding keys, [batch, 1 (heads), 1 (queries), steps (keys)].
    const scores = tokens ? g.add(logits, g.out('Reshape', [this.maskLogits(this.kept(tokens)), g.ints([-1, 1, 1, steps])])) : logits;
    const context = g.out('Transpose', [g.out('BatchMatMulV2', [g.unary('Softmax', scores), v]), g.ints([0, 2, 1, 3])]);
    return g.out('Reshape', [project(g.out('Reshape', [context, g.ints([-1, width])]), 3), g.ints([-1, steps, width])]);
  }

  /**
   * Kept units scaled by 1 / (1 - rate), in the shape of `like`: a stateless mask from (epoch seed,
   * step, `stream`), so a resumed epoch draws the very same masks.
   */
  private dropoutMask(like: Output, rate: number, stream: number): Output {
    const g = this.g;
    const seed = g.add(this.seed!, g.constant('int64', [2], [0, stream * 2 ** 32]));
    const uniform = g.out('StatelessRandomUniform', [g.out('Shape', [like]), seed], { dtype: { type: 'float32' } });
    return g.mul(g.cast(g.out('GreaterEqual', [uniform, g.scalar(rate)]), 'float32'), g.scalar(1 / (1 - rate)));
  }

  /**
   * An LSTM unrolled over the (static) sequence length, with tfjs's LSTMCell arithmetic: z = x W + h U + b,
   * split into the i, f, c, o gates; c = f c + i act(z_c); h = o act(c); the state starts at zero. A
   * reversed one (a bidirectional layer's backward half) runs from the last step; its sequence output
   * is in the input's time order, as tfjs's Bidirectional reverses it back.
   */
  private lstm(layer: LstmSpec, x: Output, stream: number, training: boolean): Output {
    const g = this.g;
    const shape = g.shape(x);
    const steps = shape?.[1] ?? -1;
    if (!shape || shape.length !== 3 || steps < 1) throw new Error(`graph engine: layer ${layer.name} needs a sequence of known length, got [${shape}]`);
    const read = (i: number) => this.weights[i]!.read;
    const inputs = g.op('Unpack', [x], { num: { i: steps }, axis: { i: 1 } });
    // Zero state of the batch's size: [batch, units] from the first step's shape.
    const batch = g.out('StridedSlice', [g.out('Shape', [x]), g.ints([0]), g.ints([1]), g.ints([1])], { shrink_axis_mask: { i: 1 } });
    const zeros = g.out('Fill', [g.out('Pack', [{ list: [batch, g.constant('int32', [], [layer.units])] }], { N: { i: 2 } }), g.scalar(0)]);
    let h = zeros;
    let c = zeros;
    // As tfjs's LSTMCell: one input mask and one state mask per training step, the same at every time step.
    const inputMask = training && layer.dropout > 0 ? this.dropoutMask([inputs, 0], layer.dropout, stream) : null;
    const stateMask = training && layer.recurrentDropout > 0 ? this.dropoutMask(zeros, layer.recurrentDropout, stream + 1) : null;
    const outputs: Output[] = new Array<Output>(steps);
    for (let k = 0; k < steps; k++) {
      const t = layer.reverse ? steps - 1 - k : k;
      const input: Output = inputMask ? g.mul([inputs, t], inputMask) : [inputs, t];
      const state = stateMask ? g.mul(h, stateMask) : h;
      let z = g.add(g.out('MatMul', [input, read(layer.kernel)]), g.out('MatMul', [state, read(layer.recurrentKernel)]));
      if (layer.bias !== null) z = g.out('BiasAdd', [z, read(layer.bias)]);
      const gates = g.op('Split', [g.constant('int32', [], [1]), z], { num_split: { i: 4 } });
      const [zi, zf, zc, zo] = [0, 1, 2, 3].map((k) => [gates, k] as Output);
      const i = this.activation(layer.recurrentActivation, zi!);
      const f = this.activation(layer.recurrentActivation, zf!);
      c = g.add(g.mul(f, c), g.mul(i, this.activation(layer.activation, zc!)));
      const o = this.activation(layer.recurrentActivation, zo!);
      h = g.mul(o, this.activation(layer.activation, c));
      outputs[t] = h;
    }
    return layer.returnSequences ? g.out('Pack', [{ list: outputs }], { N: { i: steps }, axis: { i: 1 } }) : h;
  }

  /** The loss per example as training/loss.ts computes it eagerly, averaged over the batch. */
  private lossOf(output: Output): Output {
    const g = this.g;
    const loss = this.options.loss;
    switch (loss.kind) {
      case 'cross-entropy': {
        // tfjs's categoricalCrossentropy on probabilities, against smoothed targets.
        const s = loss.labelSmoothing;
        const target = s > 0 ? g.add(g.mul(this.y, g.scalar(1 - s)), g.scalar(s / this.options.numClasses)) : this.y;
        const scaled = g.div(output, g.reduce('Sum', output, [-1], true));
        const clipped = g.out('ClipByValue', [scaled, g.scalar(EPSILON), g.scalar(1 - EPSILON)]);
        return g.reduce('Mean', g.unary('Neg', g.reduce('Sum', g.mul(target, g.unary('Log', clipped)), [-1])), [0]);
      }
      case 'mse':
        return g.reduce('Mean', this.squaredError(output), [0]);
      case 'mae':
        return g.reduce('Mean', this.absoluteError(output), [0]);
      case 'hinge': {
        // training/models/svm-linear.ts svmLoss: targets as +-1, margins relu(1 - y score), their mean over the classes.
        const signs = g.sub(g.mul(this.y, g.scalar(2)), g.scalar(1));
        const margins = g.unary('Relu', g.sub(g.scalar(1), g.mul(signs, output)));
        return g.reduce('Mean', g.reduce('Mean', loss.squared ? g.unary('Square', margins) : margins, [-1]), [0]);
      }
      case 'huber': {
        const error = g.unary('Abs', g.sub(output, this.y));
        const delta = g.scalar(HUBER_DELTA);
        const quadratic = g.out('Minimum', [error, delta]);
        const perTarget = g.add(g.mul(g.scalar(0.5), g.unary('Square', quadratic)), g.mul(delta, g.sub(error, quadratic)));
        return g.reduce('Mean', g.reduce('Mean', perTarget, [-1]), [0]);
      }
    }
  }

  /** tfjs's meanSquaredError and meanAbsoluteError per example: over the targets. */
  private squaredError(output: Output): Output {
    return this.g.reduce('Mean', this.g.unary('Square', this.g.sub(this.y, output)), [-1]);
  }
  private absoluteError(output: Output): Output {
    return this.g.reduce('Mean', this.g.unary('Abs', this.g.sub(output, this.y)), [-1]);
  }

  /** The batch's metricNames values: categorical accuracy, or mse and mae. */
  private metricsOf(output: Output): Output[] {
    const g = this.g;
    if (!classifies(this.options.loss)) return [g.reduce('Mean', this.squaredError(output), [0]), g.reduce('Mean', this.absoluteError(output), [0])];
    // tfjs's categoricalAccuracy: argmax of the labels against argmax of the predictions.
    const lastAxis = g.constant('int32', [], [-1]);
    const hits = g.out('Equal', [g.out('ArgMax', [this.y, lastAxis]), g.out('ArgMax', [output, lastAxis])]);
    return [g.reduce('Mean', g.cast(hits, 'float32'), [0])];
  }

  /** The loss plus the kernel penalties, as tfjs adds a regularizer's. */
  private withPenalties(loss: Output): Output {
    const g = this.g;
    for (const { weight, l1, l2 } of this.options.model.penalties) {
      const w = this.weights[weight]!.read;
      const all = this.weights[weight]!.shape.map((_, i) => i);
      if (l1 > 0) loss = g.add(loss, g.reduce('Sum', g.mul(g.scalar(l1), g.unary('Abs', w)), all));
      if (l2 > 0) loss = g.add(loss, g.reduce('Sum', g.mul(g.scalar(l2), g.unary('Square', w)), all));
    }
    return loss;
  }

  /** The optimizer's update ops, with tfjs's arithmetic (training/optimizer.ts's lean Adam for adam). */
  private updates(grads: Output[]): number[] {
    const g = this.g;
    const config = this.options.optimizer;
    const assigns: number[] = [];
    const values = this.trainable.map((t) => {
      const w = this.weights[t]!.read;
      return this.decayKeep ? g.mul(w, this.decayKeep) : w;
    });
    const setWeight = (i: number, value: Output) => assigns.push(this.assign(this.weights[this.trainable[i]!]!, value));
    switch (config.optimizer) {
      case 'adam':
      case 'adamw': {
        const [acc1, acc2] = this.scalars as [Variable, Variable];
        const beta1 = g.scalar(config.beta1);
        const beta2 = g.scalar(config.beta2);
        const rest1 = g.scalar(1 - config.beta1);
        const rest2 = g.scalar(1 - config.beta2);
        const epsilon = g.scalar(config.epsilon);
        const one = g.scalar(1);
        const step = g.div(g.unary('Neg', this.lr), g.sub(one, acc1.read));
        const correction2 = g.div(one, g.sub(one, acc2.read));
        grads.forEach((grad, i) => {
          const [m, v] = [this.slots[0]![i]!, this.slots[1]![i]!];
          const newM = g.add(g.mul(m.read, beta1), g.mul(grad, rest1));
          const newV = g.add(g.mul(v.read, beta2), g.mul(g.unary('Square', grad), rest2));
          assigns.push(this.assign(m, newM), this.assign(v, newV));
          setWeight(i, g.add(values[i]!, g.div(g.mul(newM, step), g.add(g.unary('Sqrt', g.mul(newV, correction2)), epsilon))));
        });
        assigns.push(this.assign(acc1, g.mul(acc1.read, beta1)), this.assign(acc2, g.mul(acc2.read, beta2)));
        break;
      }
      case 'sgd': {
        const c = g.unary('Neg', this.lr);
        const momentum = g.scalar(config.momentum);
        grads.forEach((grad, i) => {
          if (config.momentum === 0) return setWeight(i, g.add(g.mul(c, grad), values[i]!));
          const acc = this.slots[0]![i]!;
          const newAcc = g.add(g.mul(momentum, acc.read), grad);
          assigns.push(this.assign(acc, newAcc));
          const direction = config.nesterov ? g.add(grad, g.mul(newAcc, momentum)) : newAcc;
          setWeight(i, g.add(g.mul(c, direction), values[i]!));
        });
        break;
      }
      case 'rmsprop': {
        const decay = g.scalar(config.rho);
        const rest = g.scalar(1 - config.rho);
        const momentum = g.scalar(config.momentum);
        const epsilon = g.scalar(config.epsilon);
        grads.forEach((grad, i) => {
          const [ms, mom] = [this.slots[0]![i]!, this.slots[1]![i]!];
          const newMs = g.add(g.mul(ms.read, decay), g.mul(g.unary('Square', grad), rest));
          const newMom = g.add(g.mul(mom.read, momentum), g.div(g.mul(grad, this.lr), g.unary('Sqrt', g.add(newMs, epsilon))));
          assigns.push(this.assign(ms, newMs), this.assign(mom, newMom));
          setWeight(i, g.sub(values[i]!, newMom));
        });
        break;
      }
    }
    return assigns;
  }

  /** Runs `count` steps from batch `start` of an epoch whose examples come in `order`. */
  async trainSteps(request: BatchRequest & { learningRate: number; seedBase: number }): Promise<EpochStats> {
    const { optimizer } = this.options;
    const feeds: [Output, HostTensor][] = [[this.lr, hostTensor('float32', [], [request.learningRate])]];
    if (this.decayKeep) feeds.push([this.decayKeep, hostTensor('float32', [], [1 - request.learningRate * optimizer.weightDecay!])]);
    const stats = await this.steps(request, {
      ...(this.seed ? { seedFeed: this.seed, seedBase: request.seedBase } : {}),
      feeds,
      fetches: [this.loss, ...this.metrics],
      targets: [this.train],
    });
    this.iterations += stats.losses.length;
    return stats;
  }

  /**
   * model.evaluate on the engine's current weights: `data` in order, in batches of `batchSize`, one
   * session run each (on the addon's worker thread), in inference mode; batch means weighted by batch
   * size, as tfjs averages them. Changes nothing: no update, no moving statistic, no random state.
   */
  async evaluate(data: SplitArrays, batchSize = EVAL_BATCH_SIZE): Promise<Evaluation> {
    const count = data.y.length / this.options.numClasses;
    if (!Number.isInteger(count) || count < 1) throw new Error(`graph engine: validation targets of ${data.y.length} values for ${this.options.numClasses} per example`);
    if (this.identity.length !== count) this.identity = Int32Array.from({ length: count }, (_, i) => i);
    const stats = await this.steps(
      { ...data, order: this.identity, batchSize, start: 0, count: Math.ceil(count / batchSize) },
      { feeds: [], fetches: this.evaluation, targets: [] },
    );
    const mean = (values: number[]) => values.reduce((sum, v, i) => sum + v * stats.rows[i]!, 0) / count;
    return { loss: mean(stats.losses), values: Object.values(stats.metrics).map(mean) };
  }

  /** Whether probe() computes the health probe in this graph. */
  get probes(): boolean {
    return this.probeFetches !== null;
  }

  /**
   * HealthProbe.measure's layers (training/probe.ts) on the engine's current weights, for the probe batch
   * `x`, `y` (whole examples, flat), in one session run: inference mode, changes nothing.
   */
  probe(x: Float32Array | Int32Array, y: Float32Array): LayerProbe[] {
    const { model, numClasses, probe: layers } = this.options;
    if (!layers || !this.probeFetches) throw new Error('graph engine: this engine was built without the health probe');
    const count = y.length / numClasses;
    const row = model.inputShape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(count) || count < 1 || x.length !== count * row) throw new Error(`graph engine: a probe batch of ${x.length} inputs and ${y.length} targets`);
    const { norms, maxima } = this.probeFetches;
    const feeds: [Output, HostTensor][] = [
      [this.x, { dtype: model.inputDtype, shape: [count, ...model.inputShape], data: x }],
      [this.y, { dtype: 'float32', shape: [count, numClasses], data: y }],
    ];
    const out = this.addon.run(this.handle, feeds, norms ? [norms, ...maxima] : maxima, []);
    const normValues = norms ? out.shift()!.data : new Float32Array();
    let next = 0;
    let watched = 0;
    return layers.map((l): LayerProbe => {
      const probe: LayerProbe = { name: l.name };
      if (l.node !== undefined) probe.unitMax = out[watched++]!.data as Float32Array;
      if (l.weights.length > 0) probe.gradNorm = Number(normValues[next++]);
      return probe;
    });
  }

  /** Runs batches start..start+count-1 of `order` through the addon, fetching a loss and the metricNames values. */
  private async steps(
    request: BatchRequest,
    run: Pick<TrainStepsRequest, 'seedFeed' | 'seedBase' | 'feeds' | 'fetches' | 'targets'>,
  ): Promise<EpochStats> {
    const { model, numClasses } = this.options;
    const out = await this.addon.trainSteps(this.handle, {
      x: request.x,
      xDtype: model.inputDtype,
      xRow: model.inputShape,
      y: request.y,
      yDtype: 'float32',
      yRow: [numClasses],
      order: request.order,
      batchSize: request.batchSize,
      start: request.start,
      count: request.count,
      xFeed: this.x,
      yFeed: this.y,
      ...run,
    });
    const names = metricNames(this.options.loss);
    const stats: EpochStats = { losses: [], metrics: Object.fromEntries(names.map((name) => [name, []])), rows: [] };
    const width = names.length + 2;
    for (let i = 0; i + width - 1 < out.length; i += width) {
      stats.losses.push(out[i]!);
      names.forEach((name, k) => stats.metrics[name]!.push(out[i + 1 + k]!));
      stats.rows.push(out[i + width - 1]!);
    }
    return stats;
  }

  /** Ops a training step runs: the graph less the probe's and each variable's initializer (a placeholder and an assign). */
  get stepOps(): number {
    return this.opCount - this.probeOps - 2 * (this.weights.length + this.slots.flat().length + this.scalars.length);
  }

  /** Frees TensorFlow's memory for this trial now. */
  dispose(): void {
    this.addon.close(this.handle);
  }

  private fetch(variables: Variable[]): HostTensor[] {
    return variables.length === 0 ? [] : this.addon.run(this.handle, [], variables.map((v) => v.read), []);
  }

  private assignAll(pairs: [Variable, HostTensor][]): void {
    if (pairs.length === 0) return;
    for (const [variable, value] of pairs) {
      if (value.shape.join(',') !== variable.shape.join(',')) throw new Error(`graph engine: a value of shape [${value.shape}] for a variable of shape [${variable.shape}]`);
    }
    this.addon.run(
      this.handle,
      pairs.map(([v, value]) => [v.init, value]),
      [],
      pairs.map(([v]) => v.assignInit),
    );
  }

  /** model.weights' values, in order. */
  getWeights(): HostTensor[] {
    return this.fetch(this.weights);
  }

  setWeights(values: HostTensor[]): void {
    this.assignAll(this.weightPairs(values));
  }

  private weightPairs(values: HostTensor[]): [Variable, HostTensor][] {
    if (values.length !== this.weights.length) throw new Error(`graph engine: ${values.length} weight values for ${this.weights.length} weights`);
    return this.weights.map((w, i) => [w, values[i]!]);
  }

  /** tfjs's optimizer.getWeights() format: `iter`, then each slot for every trainable weight. */
  getOptimizerState(): NamedTensor[] {
    return this.optimizerState(this.fetch(this.slots.flat()));
  }

  /** The weights and the optimizer state, read in one session run (one executor where two would cost two). */
  getState(): { weights: HostTensor[]; optimizer: NamedTensor[] } {
    const values = this.fetch([...this.weights, ...this.slots.flat()]);
    return { weights: values.slice(0, this.weights.length), optimizer: this.optimizerState(values.slice(this.weights.length)) };
  }

  private optimizerState(slotValues: HostTensor[]): NamedTensor[] {
    const names = slotNames(this.options.optimizer);
    const state: NamedTensor[] = [{ name: 'iter', tensor: hostTensor('int32', [], [this.iterations]) }];
    names.forEach((slot, s) =>
      this.trainable.forEach((t, i) => state.push({ name: `${this.options.model.weights[t]!.name}/${slot}`, tensor: slotValues[s * this.trainable.length + i]! })),
    );
    return state;
  }

  /** Restores tfjs-format optimizer state; null (or a fresh optimizer's lone `iter`) starts from zero slots. */
  setOptimizerState(state: NamedTensor[] | null): void {
    const { pairs, iterations } = this.optimizerPairs(state);
    this.assignAll(pairs);
    this.iterations = iterations;
  }

  private optimizerPairs(state: NamedTensor[] | null): { pairs: [Variable, HostTensor][]; iterations: number } {
    const iterations = state ? Number(state[0]?.tensor.data[0] ?? 0) : 0;
    const slots = state?.slice(1) ?? [];
    const flat = this.slots.flat();
    if (slots.length !== 0 && slots.length !== flat.length) {
      throw new Error(`graph engine: optimizer state holds ${slots.length} slots, the ${this.options.optimizer.optimizer} optimizer of this model has ${flat.length}`);
    }
    const pairs: [Variable, HostTensor][] = flat.map((v, i) => [v, slots[i]?.tensor ?? hostTensor('float32', v.shape, new Float32Array(v.shape.reduce((a, b) => a * b, 1)))]);
    const config = this.options.optimizer;
    if (config.optimizer === 'adam' || config.optimizer === 'adamw') {
      pairs.push([this.scalars[0]!, hostTensor('float32', [], [adamPower(config.beta1, iterations)])]);
      pairs.push([this.scalars[1]!, hostTensor('float32', [], [adamPower(config.beta2, iterations)])]);
    }
    return { pairs, iterations };
  }
}
