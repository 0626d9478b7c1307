// `tuneflow doctor`: what this machine trains with (backend, TensorFlow version, devices), which
// training task queue a worker started here should serve, and whether its checkpoint store works.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { MlflowClient } from '../mlflow/client';
import { createCheckpointStore, type StoreKind } from '../stores';
import { backendInfo, type BackendInfo } from '../training';
import { formatDevice, inspectTensorflow, loadGraphAddon, type TensorflowBuild } from '../training/graph';
import { checkpointRoot, checkpointStoreKind, DEFAULT_TRAINING_TASK_QUEUE } from './config';

/** The queue GPU workers serve; specs send trials there with `resources.taskQueue: tuneflow-gpu`. */
export const GPU_TRAINING_TASK_QUEUE = 'tuneflow-gpu';

export interface Device {
  type: 'CPU' | 'GPU';
  name: string;
  /** CPU: logical cores; GPU: memory in MiB as nvidia-smi reports it. */
  detail: string;
  /** Whether TensorFlow places training kernels on it. */
  usedByTensorflow: boolean;
}

export interface DoctorReport {
  backend: string;
  /** true: the TensorFlow C library (tfjs-node or tfjs-node-gpu); false: pure JavaScript. */
  native: boolean;
  package: string;
  packageVersion: string | null;
  tfjsVersion: string;
  tensorflowVersion: string | null;
  devices: Device[];
  taskQueue: string;
  /** Problems worth fixing, e.g. a GPU the backend does not use. */
  warnings: string[];
  /** The checkpoint store a worker started here uses, and whether a probe could be written, read and deleted. */
  checkpointStore?: StoreCheck;
  /** The graph engine's addon (training/graph/): loaded, or why covered models will train eagerly. */
  graphEngine?: { ok: true; addon: string; tensorflow: string } | { ok: false; reason: string };
  /**
   * Through the graph engine: the TensorFlow build (cpu, or the CUDA build of `npm run setup -- --gpu`),
   * its library file, the devices its sessions see, and why the CUDA build sees no GPU. Absent without the addon.
   */
  tensorflowBuild?: TensorflowBuild | { error: string };
}

/** Whether the graph engine's addon loads here. */
export function graphEngineStatus(): NonNullable<DoctorReport['graphEngine']> {
  const loaded = loadGraphAddon();
  return loaded.addon ? { ok: true, addon: loaded.path, tensorflow: loaded.addon.version() } : { ok: false, reason: loaded.reason };
}

/** The TensorFlow build and devices as the graph engine sees them, or undefined without the addon. */
export function tensorflowBuildStatus(): DoctorReport['tensorflowBuild'] {
  const loaded = loadGraphAddon();
  if (!loaded.addon) return undefined;
  if (typeof loaded.addon.devices !== 'function') return { error: `${loaded.path} predates device listing: run \`npm run setup\`` };
  try {
    return inspectTensorflow(loaded.addon);
  } catch (error) {
    return { error: messageOf(error) };
  }
}

export interface StoreCheck {
  kind: StoreKind | null;
  location: string;
  ok: boolean;
  /** Why the probe failed. */
  error?: string;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The store from the environment (TUNEFLOW_CHECKPOINT_STORE, TUNEFLOW_CHECKPOINT_DIR, MLflow's endpoint for
 * `mlflow`), probed: a small file written, read back and deleted.
 */
export async function checkStore(mlflowUri: () => string, env: NodeJS.ProcessEnv = process.env): Promise<StoreCheck> {
  let kind: StoreKind | null = null;
  let location = '';
  try {
    kind = checkpointStoreKind(env);
    const root = checkpointRoot(env);
    location = root;
    // Only the mlflow store needs the server; the local one must not fail for want of it.
    const store = createCheckpointStore({ kind, root, ...(kind === 'mlflow' ? { mlflow: new MlflowClient({ trackingUri: mlflowUri() }) } : {}) });
    location = store.location;
    await store.probe();
    return { kind, location, ok: true };
  } catch (error) {
    return { kind, location, ok: false, error: messageOf(error) };
  }
}

/** GPUs the NVIDIA driver sees (empty without nvidia-smi or a GPU). */
function nvidiaGpus(): Promise<{ name: string; memory: string }[]> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], { timeout: 10_000 }, (error, stdout) => {
      if (error) return resolve([]);
      resolve(
        stdout
          .trim()
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const [name = 'GPU', memory = ''] = line.split(',').map((s) => s.trim());
            return { name, memory };
          }),
      );
    });
  });
}

function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** `build`: the TensorFlow build as the graph engine sees it (its CUDA build's reason for no GPU replaces the set-up advice). */
export function doctorReport(info: BackendInfo, gpus: { name: string; memory: string }[], build?: DoctorReport['tensorflowBuild']): DoctorReport {
  const cpu = cpus();
  const native = info.backend === 'tensorflow';
  const devices: Device[] = [
    {
      type: 'CPU',
      name: cpu[0]?.model.trim() ?? 'cpu',
      detail: `${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      usedByTensorflow: !info.usingGpu,
    },
    ...gpus.map((g): Device => ({ type: 'GPU', name: g.name, detail: g.memory, usedByTensorflow: info.usingGpu })),
  ];
  const warnings: string[] = [];
  if (!native) warnings.push(`pure JavaScript backend (${info.package}): about 200x slower; run \`npm run setup\` for the native one`);
  const cudaBuild = build && 'flavor' in build && build.flavor === 'gpu' ? build : null;
  if (gpus.length > 0 && !info.usingGpu) {
    const advice = cudaBuild ? `its CUDA build sees none: ${cudaBuild.noGpu ?? 'only the graph engine does (see TF devices)'}` : '`npm run setup -- --gpu` installs its CUDA build (docs/gpu-workers.md)';
    warnings.push(`${gpus.length} GPU(s) found but TensorFlow runs on the CPU: ${advice}`);
  }
  if (info.usingGpu && gpus.length === 0) warnings.push('TensorFlow uses a GPU that nvidia-smi does not list');
  return {
    backend: info.backend,
    native,
    package: info.package,
    packageVersion: packageVersion(info.package),
    tfjsVersion: info.tfjsVersion,
    tensorflowVersion: info.tensorflowVersion ?? null,
    devices,
    taskQueue: info.usingGpu ? GPU_TRAINING_TASK_QUEUE : DEFAULT_TRAINING_TASK_QUEUE,
    warnings,
    ...(build ? { tensorflowBuild: build } : {}),
  };
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `backend:      ${r.backend} (${r.native ? 'native TensorFlow C library' : 'pure JavaScript'})`,
    `package:      ${r.package}${r.packageVersion ? ` ${r.packageVersion}` : ''} (tfjs ${r.tfjsVersion})`,
    `TensorFlow:   ${r.tensorflowVersion ?? 'none (pure JavaScript)'}`,
    'devices:',
    ...r.devices.map((d) => `  ${d.type}  ${d.name} (${d.detail})${d.usedByTensorflow ? '  <- training runs here' : ''}`),
    `task queue:   ${r.taskQueue}  (tuneflow worker --training-queue ${r.taskQueue})`,
    ...buildLines(r.tensorflowBuild),
    ...(r.graphEngine ? [r.graphEngine.ok ? `engine:       graph where it covers the model (${r.graphEngine.addon}, TensorFlow ${r.graphEngine.tensorflow})` : `engine:       eager only: ${r.graphEngine.reason}`] : []),
    ...(r.checkpointStore ? [storeLine(r.checkpointStore)] : []),
    ...r.warnings.map((w) => `warning:      ${w}`),
  ];
  return lines.join('\n');
}

function buildLines(b: DoctorReport['tensorflowBuild']): string[] {
  if (!b) return [];
  if ('error' in b) return [`build:        unknown: ${b.error}`];
  return [
    `build:        ${b.flavor === 'gpu' ? 'gpu (CUDA 12 build)' : 'cpu'}, ${b.library}`,
    `TF devices:   ${b.devices.map(formatDevice).join(', ')}`,
    ...(b.noGpu ? [`no GPU:       ${b.noGpu}`] : []),
  ];
}

function storeLine(c: StoreCheck): string {
  const what = c.kind ? `${c.kind} store${c.location ? `, ${c.location}` : ''}` : 'no store';
  return c.ok ? `checkpoints:  ${what}: probe written, read and deleted` : `checkpoints:  ${what}: FAILED: ${c.error}`;
}

/**
 * `tuneflow doctor [--json]`; exits 0 when a native backend loaded and the checkpoint store works, 1
 * otherwise. `mlflowUri` finds the server the mlflow store uses (MLFLOW_TRACKING_URI, or the local one).
 */
export async function doctorCommand(args: string[], mlflowUri: () => string): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const [info, gpus, store] = await Promise.all([backendInfo(), nvidiaGpus(), checkStore(mlflowUri)]);
  const report: DoctorReport = { ...doctorReport(info, gpus, tensorflowBuildStatus()), graphEngine: graphEngineStatus(), checkpointStore: store };
  process.stdout.write(`${values.json ? JSON.stringify(report) : formatDoctor(report)}\n`);
  return report.native && store.ok ? 0 : 1;
}
