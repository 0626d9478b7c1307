// TensorFlow's own gradient kernels for the activations, on the native (tfjs-node) backend.
//
// TF.js writes activation gradients as compositions of element-wise ops: ReLU's is mul(dy, cast(step(x)))
// and tfjs-node's `step` alone is six eager ops (isNaN, greater, ones, fill, where, Select), about 50x
// slower than TensorFlow's fused `ReluGrad` kernel on a CNN step; sigmoid's and tanh's are three ops
// each, and an LSTM step runs them for every gate at every time step. Here each of those gradients
// becomes one TensorFlow op (ReluGrad, Relu6Grad, LeakyReluGrad, SigmoidGrad, TanhGrad), run by name
// through the backend's `executeSingleOutput` (the way tfjs-node runs its own kernels), and registered
// as a tfjs kernel so the engine's tape, memory accounting and tidy scopes see an ordinary op.
//
// Values equal TF.js's to the last bit except at the kinks (x exactly 0 or 6, where both pick a
// one-sided derivative) and for NaN inputs (NaN there, 0 here; training stops on the NaN loss anyway).
// Second-order gradients through these kernels are not defined (no family needs them).
//
// Also: TF.js's fused convolution (what tfjs-layers' Conv2D runs) computes its gradients eagerly for
// every input, so a network's first convolution pays for Conv2DBackpropInput towards the data batch,
// which nothing uses (about a tenth of a small CNN's step). While this is on, a fused conv2d whose input
// is not produced on the gradient tape (the data, not a layer's output) gets a gradient function that
// returns zeros for the input instead (linear activation, NHWC, 1-D bias, no dilation: what the
// families build; anything else runs TF.js's op unchanged).
// `TUNEFLOW_NATIVE_GRADIENTS=0` keeps TF.js's own gradients and convolution.
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './backend';

/** tfjs-node's backend, as far as running a TensorFlow op by name needs it. */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: number }[], inputs: Tensor[]): Tensor;
}

interface Override {
  /** The tfjs kernel whose gradient is replaced. */
  forward: string;
  /** The TensorFlow op computing it, and whether it takes the forward output (y) or input (x). */
  op: string;
  saved: 'x' | 'y';
  /** TensorFlow's input order: (dy, x) for the ReLUs, (y, dy) for sigmoid and tanh. */
  dyFirst: boolean;
  /** A float attribute copied from the forward kernel's attributes (LeakyRelu's alpha). */
  floatAttr?: string;
}

const OVERRIDES: readonly Override[] = [
  { forward: 'Relu', op: 'ReluGrad', saved: 'x', dyFirst: true },
  { forward: 'Relu6', op: 'Relu6Grad', saved: 'x', dyFirst: true },
  { forward: 'LeakyRelu', op: 'LeakyReluGrad', saved: 'x', dyFirst: true, floatAttr: 'alpha' },
  { forward: 'Sigmoid', op: 'SigmoidGrad', saved: 'y', dyFirst: false },
  { forward: 'Tanh', op: 'TanhGrad', saved: 'y', dyFirst: false },
];

const kernelName = (o: Override) => `Tuneflow${o.op}`;

type FusedConv2d = Tf['fused']['conv2d'];
type FusedConvArgs = Parameters<FusedConv2d>[0];

/** Per tfjs instance: TF.js's originals (to restore) and whether ours are active. */
const state = new WeakMap<object, { originals: Map<string, GradConfig>; conv2d: FusedConv2d; active: boolean }>();

interface EngineState {
  state: { gradientDepth: number; activeTape: { outputs: Tensor[] }[] | null };
}

/** tf.fused.conv2d that skips the input's gradient when the input is data (see the file comment). */
function dataInputConv2d(tf: Tf, original: FusedConv2d): FusedConv2d {
  return ((args: FusedConvArgs) => {
    const { x, filter, bias, strides, pad, dimRoundingMode } = args;
    const { gradientDepth, activeTape } = (tf.engine() as unknown as EngineState).state;
    const plain =
      (args.activation ?? 'linear') === 'linear' &&
      (args.dataFormat ?? 'NHWC') === 'NHWC' &&
      (args.dilations === undefined || [args.dilations].flat().every((d) => d === 1)) &&
      args.preluActivationWeights == null &&
      bias instanceof tf.Tensor &&
      bias.rank === 1 &&
      filter instanceof tf.Tensor &&
      x instanceof tf.Tensor &&
      x.rank === 4;
    const isData = (t: Tensor) => !(t instanceof tf.Variable) && !activeTape!.some((node) => node.outputs.some((o) => o.id === t.id));
    if (!plain || gradientDepth === 0 || !activeTape || !isData(x as Tensor)) return original(args);
    const conv = tf.customGrad(((xIn: Tensor, w: Tensor, b: Tensor, save: (ts: Tensor[]) => void) => {
      save([xIn, w]);
      return {
        value: original({ ...args, x: xIn as never, filter: w as never, bias: b }),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [xs, ws] = saved as [Tensor, Tensor];
          const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: ws.shape };
          const filterDer = tf.engine().runKernel('Conv2DBackpropFilter', { x: xs, dy }, attrs as never) as Tensor;
          return [tf.zerosLike(xs), filterDer, tf.sum(dy, [0, 1, 2])];
        },
      };
    }) as never) as unknown as (x: Tensor, w: Tensor, b: Tensor) => Tensor;
    return conv(x as Tensor, filter as Tensor, bias as Tensor);
  }) as FusedConv2d;
}

function registerKernels(tf: Tf): void {
  for (const o of OVERRIDES) {
    tf.registerKernel({
      kernelName: kernelName(o),
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const native = backend as unknown as NativeBackend;
        const { binding } = native;
        const opAttrs = [{ name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }];
        if (o.floatAttr) opAttrs.push({ name: o.floatAttr, type: binding.TF_ATTR_FLOAT, value: attrs![o.floatAttr] as number });
        const { dy, saved } = inputs as unknown as { dy: Tensor; saved: Tensor };
        return native.executeSingleOutput(o.op, opAttrs, o.dyFirst ? [dy, saved] : [saved, dy]);
      },
    });
  }
}

function nativeGradient(tf: Tf, o: Override): GradConfig {
  return {
    kernelName: o.forward,
    ...(o.saved === 'x' ? { inputsToSave: ['x'] } : { outputsToSave: [true] }),
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs?: NamedAttrMap) => {
      const kernelAttrs = o.floatAttr ? { [o.floatAttr]: attrs![o.floatAttr]! } : {};
      return { x: () => tf.engine().runKernel(kernelName(o), { dy: dy as Tensor, saved: saved[0]! }, kernelAttrs) as Tensor };
    },
  };
}

/**
 * Switches the activation gradients between TensorFlow's kernels (true) and TF.js's compositions (false).
 * Returns whether the native ones are now active: never on a backend other than tfjs-node's.
 */
export function setNativeGradients(tf: Tf, enabled: boolean): boolean {
  if (tf.getBackend() !== 'tensorflow') return false;
  let entry = state.get(tf.engine());
  if (!entry) {
    registerKernels(tf);
    entry = { originals: new Map(OVERRIDES.map((o) => [o.forward, tf.getGradient(o.forward)!])), conv2d: tf.fused.conv2d, active: false };
    state.set(tf.engine(), entry);
  }
  if (entry.active !== enabled) {
    for (const o of OVERRIDES) tf.registerGradient(enabled ? nativeGradient(tf, o) : entry.originals.get(o.forward)!);
    // tfjs-layers calls tf.fused.conv2d through this (mutable) object at every call.
    (tf.fused as { conv2d: FusedConv2d }).conv2d = enabled ? dataInputConv2d(tf, entry.conv2d) : entry.conv2d;
    entry.active = enabled;
  }
  return entry.active;
}

/** The default for this process: on, unless TUNEFLOW_NATIVE_GRADIENTS=0. */
export function useNativeGradients(tf: Tf, env: NodeJS.ProcessEnv = process.env): boolean {
  return setNativeGradients(tf, env.TUNEFLOW_NATIVE_GRADIENTS !== '0');
}
