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
// `TUNEFLOW_NATIVE_GRADIENTS=0` keeps TF.js's own gradients.
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

/** Per tfjs instance: TF.js's original gradient configs (to restore) and whether ours are active. */
const state = new WeakMap<object, { originals: Map<string, GradConfig>; active: boolean }>();

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
    entry = { originals: new Map(OVERRIDES.map((o) => [o.forward, tf.getGradient(o.forward)!])), active: false };
    state.set(tf.engine(), entry);
  }
  if (entry.active !== enabled) {
    for (const o of OVERRIDES) tf.registerGradient(enabled ? nativeGradient(tf, o) : entry.originals.get(o.forward)!);
    entry.active = enabled;
  }
  return entry.active;
}

/** The default for this process: on, unless TUNEFLOW_NATIVE_GRADIENTS=0. */
export function useNativeGradients(tf: Tf, env: NodeJS.ProcessEnv = process.env): boolean {
  return setNativeGradients(tf, env.TUNEFLOW_NATIVE_GRADIENTS !== '0');
}
