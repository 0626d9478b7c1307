// What the graph engine tells doctor about TensorFlow: the session ConfigProto written by hand (against
// the bytes Python's protobuf writes), why a CUDA build sees no GPU, and, on the addon set-up built, the
// devices a session sees, the build, the library file and dlopen probes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CUDA_LIBRARIES, formatDevice, inspectTensorflow, missingCudaLibraries, whyNoGpu } from '../../training/graph/devices';
import { loadGraphAddon } from '../../training/graph/native';
import { sessionConfig, trainingSessionConfig } from '../../training/graph/session-config';

describe('session ConfigProto', () => {
  // From tensorflow 2.21's config_pb2: list(ConfigProto(...).SerializeToString()).
  test('equals the bytes protobuf writes for the same fields', () => {
    // intra_op_parallelism_threads=4, inter_op_parallelism_threads=300, allow_soft_placement=True, gpu_options=GPUOptions(allow_growth=True)
    expect([...sessionConfig({ intraOp: 4, interOp: 300, allowSoftPlacement: true, allowGrowth: true })]).toEqual([16, 4, 40, 172, 2, 50, 2, 32, 1, 56, 1]);
    // allow_soft_placement=True, gpu_options=GPUOptions(allow_growth=True)
    expect([...trainingSessionConfig({ intraOp: 0, interOp: 0 })]).toEqual([50, 2, 32, 1, 56, 1]);
    // intra_op_parallelism_threads=2, inter_op_parallelism_threads=1: as the engine wrote it before GPU options
    expect([...sessionConfig({ intraOp: 2, interOp: 1 })]).toEqual([16, 2, 40, 1]);
    expect([...sessionConfig()]).toEqual([]);
  });

  test('a thread count that is not a whole number is refused', () => {
    expect(() => sessionConfig({ intraOp: 1.5 })).toThrow(/field 2 must be a whole number, got 1\.5/);
  });
});

describe('why the CUDA build sees no GPU', () => {
  const base = { driverError: null, missingCudaLibraries: [], nvidiaDir: '/c/nvidia', cudaVisibleDevices: undefined };

  test('names every cause, the driver first', () => {
    expect(whyNoGpu({ ...base, driverError: 'libcuda.so.1: cannot open shared object file: No such file or directory' })).toBe(
      'no NVIDIA driver: libcuda.so.1: cannot open shared object file: No such file or directory',
    );
    expect(whyNoGpu({ ...base, driverError: 'libcuda.so.1: nope', missingCudaLibraries: ['libcudnn.so.9'], cudaVisibleDevices: '-1' })).toBe(
      'no NVIDIA driver: libcuda.so.1: nope; CUDA libraries missing from /c/nvidia/*/lib: libcudnn.so.9 (run `npm run setup -- --gpu`); CUDA_VISIBLE_DEVICES="-1" hides every GPU',
    );
    expect(whyNoGpu({ ...base, cudaVisibleDevices: '' })).toBe('CUDA_VISIBLE_DEVICES="" hides every GPU');
  });

  test('with nothing visibly wrong it says where to look', () => {
    expect(whyNoGpu({ ...base, cudaVisibleDevices: '0' })).toMatch(/^the driver and the CUDA libraries are there, yet TensorFlow lists no GPU: run with TF_CPP_MIN_LOG_LEVEL=0/);
  });

  test('missing libraries are looked for in every <nvidia>/<package>/lib', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tuneflow-nvidia-'));
    try {
      expect(missingCudaLibraries(path.join(dir, 'absent'))).toEqual(CUDA_LIBRARIES);
      for (const lib of CUDA_LIBRARIES.slice(1)) {
        fs.mkdirSync(path.join(dir, lib, 'lib'), { recursive: true });
        fs.writeFileSync(path.join(dir, lib, 'lib', lib), '');
      }
      expect(missingCudaLibraries(dir)).toEqual([CUDA_LIBRARIES[0]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('devices print short', () => {
    expect(formatDevice({ name: '/job:localhost/replica:0/task:0/device:GPU:0', type: 'GPU', memoryBytes: 80 * 2 ** 30 })).toBe('GPU:0 (80.0 GiB)');
    expect(formatDevice({ name: '/job:localhost/replica:0/task:0/device:CPU:0', type: 'CPU', memoryBytes: 268435456 })).toBe('CPU:0');
  });
});

const loaded = loadGraphAddon();
if (!loaded.addon) console.warn(`graph-engine device tests skipped: ${loaded.reason}`);

describe.skipIf(!loaded.addon)(`the addon set-up built${loaded.addon ? '' : ' (SKIPPED: not built)'}`, () => {
  const addon = loaded.addon!;

  test('a session lists CPU:0 with the training config', () => {
    const devices = addon.devices(trainingSessionConfig({ intraOp: 0, interOp: 0 }));
    expect(devices.find((d) => d.type === 'CPU')).toMatchObject({ name: expect.stringMatching(/\/device:CPU:0$/), memoryBytes: expect.any(Number) });
  });

  test('config bytes TensorFlow cannot parse are a clear error', () => {
    expect(() => addon.devices(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(/^devices: .*(parse|Unparseable|Invalid)/i);
  });

  test('the build, the library file and dlopen probes', () => {
    const build = inspectTensorflow(addon, {});
    expect(fs.existsSync(build.library)).toBe(true);
    expect(path.basename(build.library)).toMatch(/^libtensorflow/);
    expect(addon.builtWithCuda()).toBe(build.flavor === 'gpu');
    // The default suite runs on the CPU build set-up installs; the GPU build has its own opt-in test.
    if (build.flavor === 'cpu') expect(build).toMatchObject({ noGpu: null, devices: [expect.objectContaining({ type: 'CPU' })] });
    expect(addon.probeLibrary('libc.so.6')).toBeNull();
    expect(addon.probeLibrary('libtuneflow-no-such.so.1')).toMatch(/libtuneflow-no-such\.so\.1: cannot open shared object file/);
  });
});
