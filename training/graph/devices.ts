// Which TensorFlow build this process loaded (the CPU one, or the CUDA one `npm run setup -- --gpu`
// installs), the devices the graph engine's sessions place ops on, and, for the CUDA build with no GPU
// among them, why: no driver, CUDA libraries missing, or GPUs hidden. For `tuneflow doctor`.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { EngineDevice, GraphAddon } from './native';
import { sessionConfig } from './session-config';
import cudaLibraries from '../../setup/cuda-libraries.json';

/** What TensorFlow 2.21 dlopens on a GPU: set-up's list, which it installs and checks (setup/tensorflow-gpu.mjs). */
export const CUDA_LIBRARIES: readonly string[] = cudaLibraries;
/** The NVIDIA driver's CUDA library: installed with the driver, never from PyPI. */
export const DRIVER_LIBRARY = 'libcuda.so.1';

export interface TensorflowBuild {
  /** `gpu`: the CUDA build (GPU kernels registered), whether or not a GPU is usable. */
  flavor: 'cpu' | 'gpu';
  /** The libtensorflow file this process loaded (tfjs-node's and the graph engine's: one per process). */
  library: string;
  devices: EngineDevice[];
  /** The CUDA build without a GPU device: why. Null otherwise. */
  noGpu: string | null;
}

export interface NoGpuFacts {
  /** dlerror() for libcuda.so.1, or null when it loads. */
  driverError: string | null;
  /** CUDA_LIBRARIES not found where the library's RUNPATH points. */
  missingCudaLibraries: string[];
  /** `<libtensorflow folder>/../nvidia`, where that RUNPATH points. */
  nvidiaDir: string;
  cudaVisibleDevices: string | undefined;
}

/** Why the CUDA build sees no GPU, every cause that applies, most basic first. */
export function whyNoGpu(facts: NoGpuFacts): string {
  const reasons: string[] = [];
  if (facts.driverError) reasons.push(`no NVIDIA driver: ${facts.driverError}`);
  if (facts.missingCudaLibraries.length > 0) {
    reasons.push(`CUDA libraries missing from ${facts.nvidiaDir}/*/lib: ${facts.missingCudaLibraries.join(', ')} (run \`npm run setup -- --gpu\`)`);
  }
  const visible = facts.cudaVisibleDevices;
  if (visible !== undefined && /^\s*(-1\s*)?$/.test(visible)) reasons.push(`CUDA_VISIBLE_DEVICES="${visible}" hides every GPU`);
  if (reasons.length === 0) {
    reasons.push('the driver and the CUDA libraries are there, yet TensorFlow lists no GPU: run with TF_CPP_MIN_LOG_LEVEL=0 and read its CUDA lines (a driver too old for CUDA 12?)');
  }
  return reasons.join('; ');
}

/** CUDA_LIBRARIES that no `<nvidiaDir>/<package>/lib` folder holds. */
export function missingCudaLibraries(nvidiaDir: string): string[] {
  const libDirs = existsSync(nvidiaDir) ? readdirSync(nvidiaDir).map((p) => join(nvidiaDir, p, 'lib')) : [];
  return CUDA_LIBRARIES.filter((lib) => !libDirs.some((d) => existsSync(join(d, lib))));
}

/** The build, its devices and, for the CUDA build without a GPU, why. Creates (and closes) one session. */
export function inspectTensorflow(addon: GraphAddon, env: NodeJS.ProcessEnv = process.env): TensorflowBuild {
  const flavor = addon.builtWithCuda() ? 'gpu' : 'cpu';
  const library = resolve(addon.library());
  const devices = addon.devices(sessionConfig({ allowSoftPlacement: true, allowGrowth: true }));
  let noGpu: string | null = null;
  if (flavor === 'gpu' && !devices.some((d) => d.type === 'GPU')) {
    // TensorFlow's RUNPATH: $ORIGIN/../nvidia/<package>/lib (setup/tensorflow-gpu.mjs).
    const nvidiaDir = resolve(dirname(library), '..', 'nvidia');
    noGpu = whyNoGpu({
      driverError: addon.probeLibrary(DRIVER_LIBRARY),
      missingCudaLibraries: missingCudaLibraries(nvidiaDir),
      nvidiaDir,
      cudaVisibleDevices: env.CUDA_VISIBLE_DEVICES,
    });
  }
  return { flavor, library, devices, noGpu };
}

/** `/job:localhost/replica:0/task:0/device:GPU:0 (GPU, 79.2 GiB)` -> `GPU:0 (79.2 GiB)`. */
export function formatDevice(device: EngineDevice): string {
  const short = /device:(.+)$/.exec(device.name)?.[1] ?? device.name;
  return device.type === 'GPU' ? `${short} (${(device.memoryBytes / 2 ** 30).toFixed(1)} GiB)` : short;
}
