// Backend selection. TensorFlow.js is imported lazily, on the first call, so code that only needs
// types or the registry (and Temporal workflow bundles, which must never load it) stays light.
//
//   TUNEFLOW_BACKEND=cpu (default)  @tensorflow/tfjs-node      (TensorFlow C library: the CPU build, or
//                                   the CUDA build after `npm run setup -- --gpu`, docs/gpu-workers.md)
//   TUNEFLOW_BACKEND=gpu            @tensorflow/tfjs-node-gpu  (if installed by hand; not needed any more)
//   TUNEFLOW_ALLOW_PURE_JS=1        fall back to @tensorflow/tfjs (pure JS, ~200x slower) when
//                                   the native package fails to load; never silently.
//   TUNEFLOW_NATIVE_GRADIENTS=0     keep TF.js's activation gradients (native-gradients.ts)
import type * as TfModule from '@tensorflow/tfjs';
import { useNativeGradients } from './native-gradients';

/** The API every backend package exposes (tfjs-node re-exports all of @tensorflow/tfjs). */
export type Tf = typeof TfModule;

export interface BackendInfo {
  /** tfjs backend name: `tensorflow` for the native packages, `cpu` for pure JS. */
  backend: string;
  /** The npm package that was loaded. */
  package: string;
  tfjsVersion: string;
  /** Version of the TensorFlow C library behind the native backend. */
  tensorflowVersion?: string;
  /** Whether the native backend placed its kernels on a GPU (tfjs-node-gpu with a usable CUDA device). */
  usingGpu: boolean;
}

const PURE_JS_PACKAGE = '@tensorflow/tfjs';

let loaded: Promise<{ tf: Tf; packageName: string }> | null = null;

function nativePackage(env: NodeJS.ProcessEnv): string {
  const choice = (env.TUNEFLOW_BACKEND ?? 'cpu').trim().toLowerCase();
  if (choice === 'cpu' || choice === '') return '@tensorflow/tfjs-node';
  if (choice === 'gpu') return '@tensorflow/tfjs-node-gpu';
  throw new Error(`TUNEFLOW_BACKEND must be "cpu" or "gpu", got "${env.TUNEFLOW_BACKEND}"`);
}

async function importPackage(name: string): Promise<Tf> {
  // TensorFlow's C++ INFO lines (oneDNN notices) would break the CLI's progress display; warnings still show.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  // On a GPU, take memory as needed rather than nearly all of it at once, so several training processes
  // (slots, workers) share one GPU. GPU memory settings are per process and the first context fixes them:
  // tfjs's, created at import, so it must be set before that (TensorFlow reads it when it opens the GPU).
  process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  const mod = (await import(name)) as Tf & { default?: Tf };
  // A CommonJS package imported from ESM puts module.exports on `default`.
  return mod.default ?? mod;
}

/** Imports the backend package the environment asks for (uncached; most callers want `loadTf`). */
export async function loadBackend(env: NodeJS.ProcessEnv = process.env): Promise<{ tf: Tf; packageName: string }> {
  // TensorFlow's C library prints INFO lines (oneDNN, CPU features) on every start; keep warnings.
  env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  const packageName = nativePackage(env);
  try {
    const tf = await importPackage(packageName);
    await tf.ready();
    useNativeGradients(tf, env);
    return { tf, packageName };
  } catch (nativeError) {
    const reason = nativeError instanceof Error ? nativeError.message.split('\n')[0] : String(nativeError);
    if (env.TUNEFLOW_ALLOW_PURE_JS !== '1') {
      throw new Error(
        `cannot load ${packageName} (${reason}). Run \`npm run setup\` to install the native TensorFlow library ` +
          `(or set TUNEFLOW_ALLOW_PURE_JS=1 to train with pure JavaScript, about 200x slower).`,
        { cause: nativeError },
      );
    }
    process.stderr.write(
      `\n*** tuneflow: ${packageName} failed to load (${reason}).\n` +
        `*** TUNEFLOW_ALLOW_PURE_JS=1: falling back to ${PURE_JS_PACKAGE}, pure JavaScript, about 200x SLOWER.\n` +
        `*** Run \`npm run setup\` to get the native backend.\n\n`,
    );
    const tf = await importPackage(PURE_JS_PACKAGE);
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, packageName: PURE_JS_PACKAGE };
  }
}

/** The TensorFlow.js module for this process, loaded once. */
export async function loadTf(env: NodeJS.ProcessEnv = process.env): Promise<Tf> {
  loaded ??= loadBackend(env).catch((error: unknown) => {
    loaded = null; // let a later call retry after `npm run setup`
    throw error;
  });
  return (await loaded).tf;
}

type NativeBackend = { binding?: { TF_Version?: string }; isUsingGpuDevice?: boolean };

/** Whether the native backend placed its kernels on a GPU. */
export function deviceOf(tf: Tf): 'cpu' | 'gpu' {
  return (tf.backend() as NativeBackend).isUsingGpuDevice === true ? 'gpu' : 'cpu';
}

export async function backendInfo(): Promise<BackendInfo> {
  const tf = await loadTf();
  const { packageName } = await loaded!;
  const binding = (tf.backend() as NativeBackend).binding;
  const info: BackendInfo = { backend: tf.getBackend(), package: packageName, tfjsVersion: tf.version_core, usingGpu: deviceOf(tf) === 'gpu' };
  if (binding?.TF_Version) info.tensorflowVersion = binding.TF_Version;
  return info;
}
