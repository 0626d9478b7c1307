// `tuneflow doctor` as a user runs it: the built CLI in a child process (async spawn).
import { join } from 'node:path';
import { describe, expect, inject, test } from 'vitest';
import { freePort } from '../../cli/services/process';
import { doctorReport, GPU_TRAINING_TASK_QUEUE, type DoctorReport } from '../../cli/doctor';
import { DEFAULT_TRAINING_TASK_QUEUE } from '../../cli/config';
import { backendInfo } from '../../training';
import { runNode } from '../helpers/run-node';

const root = join(__dirname, '..', '..');
const tuneflow = (args: string[], env: NodeJS.ProcessEnv = {}) => runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: root, env });

describe('tuneflow doctor', () => {
  test('--json reports the native backend, its TensorFlow version, the CPU and the training queue', async () => {
    const { code, stdout, stderr } = await tuneflow(['doctor', '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as DoctorReport;
    const info = await backendInfo(); // the same library, loaded in this process
    expect(report).toMatchObject({ backend: 'tensorflow', native: true, package: '@tensorflow/tfjs-node', tensorflowVersion: info.tensorflowVersion });
    expect(report.tensorflowVersion).toMatch(/^2\.\d+\.\d+/);
    expect(report.packageVersion).toBe(info.tfjsVersion);
    expect(report.devices[0]).toMatchObject({ type: 'CPU', usedByTensorflow: true });
    expect(report.taskQueue).toBe(info.usingGpu ? GPU_TRAINING_TASK_QUEUE : DEFAULT_TRAINING_TASK_QUEUE);
    // Set-up builds the graph engine; the test set-up names it in TUNEFLOW_GRAPH_ENGINE_ADDON.
    expect(report.graphEngine).toMatchObject({ ok: true, tensorflow: info.tensorflowVersion });
  });

  test('names the TensorFlow build and the devices the graph engine sees', async () => {
    const { code, stdout } = await tuneflow(['doctor', '--json']);
    expect(code).toBe(0);
    const build = (JSON.parse(stdout) as DoctorReport).tensorflowBuild as { flavor: string; library: string; devices: { name: string; type: string }[]; noGpu: string | null };
    // The suite runs on the CPU build (`npm run setup`); the CUDA build has the opt-in test tests/setup-script/tensorflow-gpu.test.ts.
    expect(build).toMatchObject({ flavor: 'cpu', library: expect.stringMatching(/\/libtensorflow[^/]*$/), noGpu: null });
    expect(build.devices.map((d) => d.name)).toContainEqual(expect.stringMatching(/\/device:CPU:0$/));
    const text = await tuneflow(['doctor']);
    expect(text.stdout).toMatch(/^build: +cpu, \S+libtensorflow\S*$/m);
    expect(text.stdout).toMatch(/^TF devices: +CPU:0$/m);
    expect(text.stdout).not.toMatch(/^no GPU:/m);
  });

  test('an addon that does not load is reported: covered models would train eagerly', async () => {
    const { stdout } = await tuneflow(['doctor'], { TUNEFLOW_GRAPH_ENGINE_ADDON: join(root, 'no-such-addon.node') });
    expect(stdout).toMatch(/^engine: +eager only: cannot load the graph engine .*no-such-addon\.node/m);
  });

  test('the text form names backend, version, devices and queue', async () => {
    const { code, stdout } = await tuneflow(['doctor']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend: +tensorflow \(native TensorFlow C library\)$/m);
    expect(stdout).toMatch(/^TensorFlow: +2\.\d+\.\d+$/m);
    expect(stdout).toMatch(/^engine: +graph where it covers the model \(.*graph_engine\.node, TensorFlow 2\.\d+\.\d+\)$/m);
    expect(stdout).toMatch(/^ +CPU .*\d+ cores.*training runs here$/m);
    expect(stdout).toMatch(new RegExp(`^task queue: +(?:${DEFAULT_TRAINING_TASK_QUEUE}|${GPU_TRAINING_TASK_QUEUE}) `, 'm'));
  });

  test('a missing GPU package is one clear error, and the pure-JS fallback is reported as such', async () => {
    const missing = await tuneflow(['doctor'], { TUNEFLOW_BACKEND: 'gpu', TUNEFLOW_ALLOW_PURE_JS: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tuneflow: cannot load @tensorflow\/tfjs-node-gpu .*npm run setup/m);
    expect(missing.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const pureJs = await tuneflow(['doctor', '--json'], { TUNEFLOW_BACKEND: 'gpu', TUNEFLOW_ALLOW_PURE_JS: '1' });
    expect(pureJs.code).toBe(1);
    const report = JSON.parse(pureJs.stdout) as DoctorReport;
    expect(report).toMatchObject({ backend: 'cpu', native: false, package: '@tensorflow/tfjs', tensorflowVersion: null });
    expect(report.warnings.join('\n')).toMatch(/pure JavaScript backend/);
  });

  test('a worker whose TensorFlow uses a GPU serves the GPU queue; an unused GPU is a warning', () => {
    const info = { backend: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', tfjsVersion: '4.22.0', tensorflowVersion: '2.21.0' };
    const gpus = [{ name: 'NVIDIA H100 80GB HBM3', memory: '81559 MiB' }];
    const onGpu = doctorReport({ ...info, usingGpu: true }, gpus);
    expect(onGpu.taskQueue).toBe(GPU_TRAINING_TASK_QUEUE);
    expect(onGpu.devices.map((d) => [d.type, d.usedByTensorflow])).toEqual([['CPU', false], ['GPU', true]]);
    expect(onGpu.warnings).toEqual([]);
    const unused = doctorReport({ ...info, package: '@tensorflow/tfjs-node', usingGpu: false }, gpus);
    expect(unused.taskQueue).toBe(DEFAULT_TRAINING_TASK_QUEUE);
    expect(unused.warnings).toEqual([expect.stringMatching(/1 GPU\(s\) found but TensorFlow runs on the CPU: `npm run setup -- --gpu` installs its CUDA build/)]);
    // The CUDA build installed, yet no GPU in TensorFlow: the warning gives its reason instead of set-up advice.
    const build = { flavor: 'gpu' as const, library: '/x/libtensorflow_cc.so.2', devices: [], noGpu: 'CUDA libraries missing from /x/nvidia/*/lib: libcudnn.so.9' };
    const cudaBuild = doctorReport({ ...info, package: '@tensorflow/tfjs-node', usingGpu: false }, gpus, build);
    expect(cudaBuild.warnings).toEqual(['1 GPU(s) found but TensorFlow runs on the CPU: its CUDA build sees none: CUDA libraries missing from /x/nvidia/*/lib: libcudnn.so.9']);
    expect(cudaBuild.tensorflowBuild).toEqual(build);
  });

  test('names the checkpoint store and probes it: local by default, mlflow against MLFLOW_TRACKING_URI', async () => {
    const local = await tuneflow(['doctor', '--json']);
    expect((JSON.parse(local.stdout) as DoctorReport).checkpointStore).toMatchObject({ kind: 'local', ok: true });

    const mlflow = await tuneflow(['doctor'], { TUNEFLOW_CHECKPOINT_STORE: 'mlflow', MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') });
    expect(mlflow.code, mlflow.stderr).toBe(0);
    expect(mlflow.stdout).toMatch(/^checkpoints: +mlflow store, http:\/\/127\.0\.0\.1:\d+ \(each job's run, artifacts under tuneflow-checkpoints\/; local cache .*\): probe written, read and deleted$/m);
  });

  test('a store that cannot be written fails the doctor with a clear line, as does an unknown store', async () => {
    const down = await tuneflow(['doctor'], { TUNEFLOW_CHECKPOINT_STORE: 'mlflow', MLFLOW_TRACKING_URI: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^checkpoints: +mlflow store, .*: FAILED: the MLflow checkpoint store could not write a probe at .*ECONNREFUSED.*--serve-artifacts/m);

    const unknown = await tuneflow(['doctor', '--json'], { TUNEFLOW_CHECKPOINT_STORE: 's3' });
    expect(unknown.code).toBe(1);
    expect((JSON.parse(unknown.stdout) as DoctorReport).checkpointStore).toEqual({
      kind: null,
      location: '',
      ok: false,
      error: 'TUNEFLOW_CHECKPOINT_STORE="s3": the checkpoint store must be one of local, mlflow',
    });
  });
});
