// Self-attention pieces for the sequence families, as tfjs layers so checkpoints and exported models
// load (registered with tfjs by registerCustomLayers, before any model is built or loaded):
// - TuneflowMultiHeadSelfAttention: scaled dot-product self-attention over [batch, steps, width] with
//   `heads` heads of width/heads each (Vaswani et al., 2017); query, key, value and output projections
//   with biases. With `maskPadding` it takes [x, token ids] and no query attends to a padding step
//   (id 0): those keys get -1e9 added to their logits, as Keras' MultiHeadAttention does with a mask.
// - TuneflowPositionalEncoding: adds the fixed sinusoidal position signal of Vaswani et al.; no weights.
// - TuneflowFusion: merges a convolutional and a recurrent branch (cnn-lstm): `gated` (a learned sigmoid
//   gate between the two, projected to `units`) or `attention` (the LSTM's last output attends over the
//   convolution's feature sequence; the context is concatenated with it; with `maskPadding`, a third
//   input, the token ids, keeps it off the padding steps).
// - TuneflowMaskedPooling: [x, token ids] -> the average (`avg`, over the non-padding steps, divided by
//   max(count, 1)) or maximum (`max`, over the non-padding steps) of x; an all-padding row pools to 0.
//   tfjs-layers' own mask propagation (Embedding maskZero) is not used: the graph engine could not
//   follow it, and explicit token-id inputs keep the mask visible in the layer graph.
// Layer configs saved before masking have no `maskPadding` key: absent means no mask, so older
// checkpoints and exported models load and compute what they did.
// `encoderBlock` builds a Transformer encoder block from them and standard layers.
import type { SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { mixSeed } from '../rng';

type Layer = InstanceType<Tf['layers']['Layer']>;
type LayerVariable = ReturnType<Layer['addWeight']>;
type Shape = (number | null)[];

export const MULTI_HEAD_SELF_ATTENTION = 'TuneflowMultiHeadSelfAttention';
export const POSITIONAL_ENCODING = 'TuneflowPositionalEncoding';
export const FUSION = 'TuneflowFusion';
export const MASKED_POOLING = 'TuneflowMaskedPooling';
/** How steps are pooled: the transformer's `pooling` option and MaskedPooling's `op`. */
export const STEP_POOLS = ['avg', 'max'] as const;
export type StepPool = (typeof STEP_POOLS)[number];
/** Added to a padding key's logit (Keras' MultiHeadAttention uses the same order of magnitude). */
export const MASK_LOGIT = -1e9;
export const FUSIONS = ['concat', 'attention', 'gated'] as const;
export type Fusion = (typeof FUSIONS)[number];

interface AttentionConfig {
  heads: number;
  seed: number;
  /** Inputs [x, token ids]; padding keys (id 0) are not attended to. Absent (older configs): no mask. */
  maskPadding?: boolean;
  name?: string;
}
interface FusionConfig {
  mode: Exclude<Fusion, 'concat'>;
  units: number;
  seed: number;
  /** attention only: a third input, the token ids; padding steps get no weight. */
  maskPadding?: boolean;
  name?: string;
}
interface PoolingConfig {
  op: StepPool;
  name?: string;
}

/** The positional encoding's table [steps, width]: sin at even features, cos at odd ones (also the graph engine's constant). */
export function positionTable(steps: number, width: number): Float32Array {
  const table = new Float32Array(steps * width);
  for (let pos = 0; pos < steps; pos++) {
    for (let i = 0; i < width; i++) {
      const angle = pos / 10000 ** ((2 * Math.floor(i / 2)) / width);
      table[pos * width + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

const firstShape = (shape: Shape | Shape[]): Shape => (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
/** Only `maskPadding: true` is written, so an unmasked layer's config is what it was before masking. */
const maskSetting = (mask: boolean | undefined): { maskPadding?: true } => (mask ? { maskPadding: true } : {});

interface Layers {
  MultiHeadSelfAttention: new (config: AttentionConfig) => Layer;
  PositionalEncoding: new (config: { name?: string }) => Layer;
  Fusion: new (config: FusionConfig) => Layer;
  MaskedPooling: new (config: PoolingConfig) => Layer;
}
const registered = new WeakMap<object, Layers>();

/** Defines and registers the attention layers for this tfjs instance (once). */
export function attentionLayers(tf: Tf): Layers {
  const existing = registered.get(tf.serialization);
  if (existing) return existing;
  const glorot = (seed: number, i: number) => tf.initializers.glorotUniform({ seed: mixSeed(seed, i) });
  /** 1 at a token, 0 at padding: token ids [batch, steps] (int32 or float32) to float32 [batch, steps]. */
  const kept = (tokens: Tensor) => tf.cast(tf.notEqual(tokens, tf.scalar(0, tokens.dtype)), 'float32');
  /** 0 at a token, MASK_LOGIT at padding (from `kept`), to add to logits or values over the steps. */
  const maskLogits = (keep: Tensor) => tf.mul(tf.sub(1, keep), MASK_LOGIT);

  class MultiHeadSelfAttention extends tf.layers.Layer {
    static className = MULTI_HEAD_SELF_ATTENTION;
    private readonly settings: AttentionConfig;
    private projections: { kernel: LayerVariable; bias: LayerVariable | null }[] = [];

    constructor(config: AttentionConfig) {
      super({ name: config.name });
      this.settings = { heads: config.heads, seed: config.seed, ...maskSetting(config.maskPadding) };
    }

    override build(inputShape: Shape | Shape[]): void {
      const width = firstShape(inputShape).at(-1)!;
      if (width % this.settings.heads !== 0) throw new Error(`attention width ${width} is not a multiple of heads ${this.settings.heads}`);
      this.projections = ['query', 'key', 'value', 'output'].map((name, i) => ({
        kernel: this.addWeight(`${name}_kernel`, [width, width], 'float32', glorot(this.settings.seed, i)),
        bias: name === 'key' ? null : this.addWeight(`${name}_bias`, [width], 'float32', tf.initializers.zeros()),
      }));
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return firstShape(inputShape);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const tokens = this.settings.maskPadding ? (inputs as Tensor[])[1] : undefined;
        if (this.settings.maskPadding && !tokens) throw new Error(`layer ${this.name}: maskPadding needs the token ids as a second input`);
        const [batch, steps, width] = x.shape as [number, number, number];
        const heads = this.settings.heads;
        const size = width / heads;
        const flat = tf.reshape(x, [batch * steps, width]);
        const project = (t: Tensor, i: number) => {
          const { kernel, bias } = this.projections[i]!;
          const product = tf.matMul(t as never, kernel.read() as never) as Tensor;
          return bias ? tf.add(product, bias.read()) : product;
        };
        // [batch, heads, steps, size]
        const split = (i: number) => tf.transpose(tf.reshape(project(flat, i), [batch, steps, heads, size]), [0, 2, 1, 3]);
        const [q, k, v] = [split(0), split(1), split(2)];
        let logits = tf.div(tf.matMul(q as never, k as never, false, true), Math.sqrt(size)) as Tensor; // [batch, heads, steps (queries), steps (keys)]
        if (tokens) logits = tf.add(logits, tf.reshape(maskLogits(kept(tokens)), [batch, 1, 1, steps]));
        const weights = tf.softmax(logits);
        const context = tf.reshape(tf.transpose(tf.matMul(weights as never, v as never), [0, 2, 1, 3]), [batch * steps, width]);
        return tf.reshape(project(context, 3), [batch, steps, width]);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), ...this.settings };
    }
  }

  class PositionalEncoding extends tf.layers.Layer {
    static className = POSITIONAL_ENCODING;
    constructor(config: { name?: string }) {
      super({ name: config.name });
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      return firstShape(inputShape);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const [, steps, width] = x.shape as [number, number, number];
        return tf.add(x, tf.tensor2d(positionTable(steps, width), [steps, width]));
      });
    }
  }

  class Fusion extends tf.layers.Layer {
    static className = FUSION;
    private readonly settings: FusionConfig;
    private w: LayerVariable[] = [];

    constructor(config: FusionConfig) {
      super({ name: config.name });
      this.settings = { mode: config.mode, units: config.units, seed: config.seed, ...maskSetting(config.mode === 'attention' && config.maskPadding) };
    }

    override build(inputShape: Shape | Shape[]): void {
      const [conv, recurrent] = inputShape as Shape[];
      const features = conv!.at(-1)!;
      const units = recurrent!.at(-1)!;
      const { seed, mode } = this.settings;
      const out = this.settings.units;
      this.w =
        mode === 'gated'
          ? [
              this.addWeight('conv_kernel', [features, out], 'float32', glorot(seed, 0)),
              this.addWeight('recurrent_kernel', [units, out], 'float32', glorot(seed, 1)),
              this.addWeight('gate_kernel', [features + units, out], 'float32', glorot(seed, 2)),
              this.addWeight('gate_bias', [out], 'float32', tf.initializers.zeros()),
            ]
          : [this.addWeight('query_kernel', [units, features], 'float32', glorot(seed, 3))];
      this.built = true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const [conv, recurrent] = inputShape as Shape[];
      return this.settings.mode === 'gated' ? [conv![0]!, this.settings.units] : [conv![0]!, conv!.at(-1)! + recurrent!.at(-1)!];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const [conv, recurrent, tokens] = inputs as [Tensor, Tensor, Tensor | undefined];
        const mm = (a: Tensor, w: LayerVariable) => tf.matMul(a as never, w.read() as never);
        if (this.settings.mode === 'gated') {
          // [batch, features] and [batch, units]: gate g in (0, 1) per output unit, g*conv + (1-g)*recurrent.
          const [wc, wr, wg, bg] = this.w as [LayerVariable, LayerVariable, LayerVariable, LayerVariable];
          const gate = tf.sigmoid(tf.add(mm(tf.concat([conv, recurrent], 1), wg), bg.read()));
          return tf.add(tf.mul(gate, mm(conv, wc)), tf.mul(tf.sub(1, gate), mm(recurrent, wr)));
        }
        // conv [batch, steps, features], recurrent [batch, units]: attention of the last LSTM output over the steps.
        const query = tf.expandDims(mm(recurrent, this.w[0]!), 2); // [batch, features, 1]
        let logits = tf.squeeze(tf.matMul(conv as never, query as never), [2]) as Tensor; // [batch, steps]
        if (this.settings.maskPadding) {
          if (!tokens) throw new Error(`layer ${this.name}: maskPadding needs the token ids as a third input`);
          logits = tf.add(logits, maskLogits(kept(tokens)));
        }
        const scores = tf.softmax(logits);
        const context = tf.sum(tf.mul(conv, tf.expandDims(scores, 2)), 1); // [batch, features]
        return tf.concat([context, recurrent], 1);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), ...this.settings };
    }
  }

  class MaskedPooling extends tf.layers.Layer {
    static className = MASKED_POOLING;
    private readonly settings: PoolingConfig;

    constructor(config: PoolingConfig) {
      super({ name: config.name });
      if (!(STEP_POOLS as readonly string[]).includes(config.op)) throw new Error(`layer ${config.name ?? MASKED_POOLING}: op must be one of ${STEP_POOLS.join(', ')}, got ${JSON.stringify(config.op)}`);
      this.settings = { op: config.op };
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const shape = firstShape(inputShape);
      return [shape[0]!, shape.at(-1)!];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const [x, tokens] = inputs as [Tensor, Tensor];
        const keep = kept(tokens); // [batch, steps]
        const count = tf.sum(keep, 1, true); // [batch, 1]
        if (this.settings.op === 'avg') return tf.div(tf.sum(tf.mul(x, tf.expandDims(keep, 2)), 1), tf.maximum(count, 1));
        // Padding steps pushed far below any value; a row with no token at all pools to 0, not -1e9.
        const lowered = tf.add(x, tf.expandDims(maskLogits(keep), 2));
        return tf.mul(tf.max(lowered, 1), tf.minimum(count, 1));
      });
    }

    override getConfig() {
      return { ...super.getConfig(), ...this.settings };
    }
  }

  for (const layer of [MultiHeadSelfAttention, PositionalEncoding, Fusion, MaskedPooling]) tf.serialization.registerClass(layer);
  const layers = { MultiHeadSelfAttention, PositionalEncoding, Fusion, MaskedPooling };
  registered.set(tf.serialization, layers);
  return layers;
}

/** Multi-head self-attention over x; with `tokens`, padding steps (id 0) are masked out as keys. */
export function selfAttention(tf: Tf, x: SymbolicTensor, { heads, seed, tokens }: { heads: number; seed: number; tokens?: SymbolicTensor | null }): SymbolicTensor {
  const { MultiHeadSelfAttention } = attentionLayers(tf);
  const layer = new MultiHeadSelfAttention({ heads, seed, maskPadding: Boolean(tokens) });
  return layer.apply(tokens ? [x, tokens] : x) as SymbolicTensor;
}

/** Average or maximum over the steps: over the non-padding ones when `tokens` is given, else tfjs's global pooling. */
export function poolSteps(tf: Tf, x: SymbolicTensor, op: StepPool, tokens?: SymbolicTensor | null): SymbolicTensor {
  if (tokens) return new (attentionLayers(tf).MaskedPooling)({ op }).apply([x, tokens]) as SymbolicTensor;
  return (op === 'avg' ? tf.layers.globalAveragePooling1d() : tf.layers.globalMaxPooling1d()).apply(x) as SymbolicTensor;
}

export interface EncoderOptions {
  heads: number;
  ffUnits: number;
  dropout: number;
  seed: number;
  kernel: () => ReturnType<Tf['initializers']['glorotUniform']>;
  /** The model's token ids, when the attention masks padding (token input only). */
  tokens?: SymbolicTensor | null;
}

/**
 * A Transformer encoder block (post-norm, as Keras' text-classification example):
 * x = norm(x + dropout(attention(x))); x = norm(x + dropout(dense(relu(dense(x))))).
 */
export function encoderBlock(tf: Tf, x: SymbolicTensor, { heads, ffUnits, dropout, seed, kernel, tokens }: EncoderOptions): SymbolicTensor {
  const width = x.shape.at(-1)!;
  const drop = (t: SymbolicTensor) => (dropout > 0 ? (tf.layers.dropout({ rate: dropout }).apply(t) as SymbolicTensor) : t);
  const attended = drop(selfAttention(tf, x, { heads, seed, tokens }));
  const normed = tf.layers.layerNormalization().apply(tf.layers.add().apply([x, attended])) as SymbolicTensor;
  const hidden = tf.layers.dense({ units: ffUnits, activation: 'relu', kernelInitializer: kernel() }).apply(normed);
  const ff = drop(tf.layers.dense({ units: width, kernelInitializer: kernel() }).apply(hidden) as SymbolicTensor);
  return tf.layers.layerNormalization().apply(tf.layers.add().apply([normed, ff])) as SymbolicTensor;
}
