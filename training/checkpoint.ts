// Checkpoints: `<trialDir>/epoch-<n>/` holds the model (tfjs layers format: model.json + weights.bin),
// the optimizer state (optimizer.json + optimizer.bin: moments, accumulators, iteration count) and
// state.json (configuration hash and the metrics of every epoch so far). A checkpoint is written to a
// temporary folder, flushed to disk and renamed into place, so a reader sees all of it or none of it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { io, LayersModel, Optimizer } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { EpochResult } from './types';

type ModelArtifacts = io.ModelArtifacts;
type WeightsManifestEntry = io.WeightsManifestEntry;

export interface CheckpointState {
  format: 1;
  epoch: number;
  seed: number;
  /** Hash of everything that determines the weights: data set, model, hyperparameters, optimizer, seed. */
  configHash: string;
  paramCount: number;
  backend: string;
  /** The family that built the model (for `auto`, the one it picked). */
  family?: string;
  /** Metrics of epochs 1..epoch, so a retried segment can report epochs it does not retrain. */
  history: EpochResult[];
  /**
   * SHA-256 of the checkpoint's other files (contentDigest()), where the writer asked for it (a graph
   * segment's last checkpoint): a trial's next segment takes the tfjs model, optimizer and graph engine
   * its last one kept in memory only when this names the checkpoint they wrote (training/graph/reuse.ts).
   * Absent in checkpoints of older versions and of the eager engine.
   */
  contentDigest?: string;
}

const CHECKPOINT_NAME = /^epoch-(\d+)$/;
const TEMP_PREFIX = '.tmp-epoch-';
const STALE_TEMP_MS = 60 * 60 * 1000;

export const checkpointPath = (trialDir: string, epoch: number): string => join(trialDir, `epoch-${epoch}`);

/** Epochs with a complete checkpoint in the trial folder, ascending. */
export async function listCheckpoints(trialDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(trialDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => CHECKPOINT_NAME.exec(name)?.[1])
    .filter((epoch): epoch is string => epoch !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Removes temporary folders that killed writers left behind (old enough that no live writer owns them). */
export async function removeStaleTemps(trialDir: string, now = Date.now()): Promise<void> {
  const names = await readdir(trialDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const info = await stat(join(trialDir, name)).catch(() => null);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(join(trialDir, name), { recursive: true, force: true });
  }
}

async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const toBytes = (buffer: ArrayBuffer): Uint8Array => new Uint8Array(buffer);
const toArrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

async function modelArtifacts(tf: Tf, model: LayersModel): Promise<ModelArtifacts> {
  let captured: ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('model.save() produced no artifacts');
  return captured;
}

/** model.json in the standard tfjs layers-model format, loadable by tf.loadLayersModel('file://…'). */
function modelJson(artifacts: ModelArtifacts): string {
  return JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
  });
}

/** SHA-256 over each file's name, length and bytes, in order: equal digests mean equal files. */
export function contentDigest(files: readonly (readonly [string, Uint8Array | string])[]): string {
  const hash = createHash('sha256');
  for (const [name, data] of files) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    hash.update(`${name}:${bytes.byteLength}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/**
 * Writes `epoch-<n>/` atomically. If another attempt wrote the same epoch first, its copy is kept.
 * With `digest`, state.json records the contentDigest of the other four files, which is returned too
 * (of the files this call wrote, even where another attempt's copy was kept).
 */
export async function writeCheckpoint(
  tf: Tf,
  trialDir: string,
  model: LayersModel,
  optimizer: Optimizer,
  state: CheckpointState,
  { digest = false } = {},
): Promise<{ path: string; contentDigest?: string }> {
  const finalPath = checkpointPath(trialDir, state.epoch);
  const temp = join(trialDir, `${TEMP_PREFIX}${state.epoch}-${process.pid}-${randomBytes(4).toString('hex')}`);
  let written: string | undefined;
  await mkdir(temp, { recursive: true });
  try {
    const artifacts = await modelArtifacts(tf, model);
    const optimizerWeights = await optimizer.getWeights();
    let encoded: Awaited<ReturnType<Tf['io']['encodeWeights']>>;
    try {
      encoded = await tf.io.encodeWeights(optimizerWeights);
    } finally {
      // getWeights() returns the optimizer's own variables plus a fresh iteration-count scalar.
      tf.dispose(optimizerWeights.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
    }
    // The five files are written and fsynced concurrently: one flush latency per checkpoint instead of
    // five in a row. The rename below still publishes the folder only once all of them are on disk.
    const content: [string, Uint8Array | string][] = [
      ['model.json', modelJson(artifacts)],
      ['weights.bin', toBytes(tf.io.CompositeArrayBuffer.join(artifacts.weightData))],
      ['optimizer.json', JSON.stringify({ className: optimizer.getClassName(), weightSpecs: encoded.specs })],
      ['optimizer.bin', toBytes(encoded.data)],
    ];
    written = digest ? contentDigest(content) : undefined;
    const files = [...content, ['state.json', JSON.stringify(written ? { ...state, contentDigest: written } : state, null, 1)] as const];
    // allSettled: on a failure no write may still be running when the catch below removes the folder.
    const settled = await Promise.allSettled(files.map(([name, data]) => writeDurably(join(temp, name), data)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await syncDirectory(temp);
    await rename(temp, finalPath);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
  }
  await syncDirectory(trialDir);
  return { path: finalPath, ...(written ? { contentDigest: written } : {}) };
}

export async function readCheckpointState(checkpoint: string): Promise<CheckpointState> {
  return JSON.parse(await readFile(join(checkpoint, 'state.json'), 'utf8')) as CheckpointState;
}

/** Loads the model (topology and weights) of a checkpoint or of an exported model folder. */
export async function loadCheckpointModel(tf: Tf, checkpoint: string): Promise<LayersModel> {
  const json = JSON.parse(await readFile(join(checkpoint, 'model.json'), 'utf8')) as {
    modelTopology: ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: WeightsManifestEntry[] }[];
  };
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const shards = await Promise.all(json.weightsManifest.flatMap((group) => group.paths).map((name) => readFile(join(checkpoint, name))));
  const weightData = toArrayBuffer(Buffer.concat(shards));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

/** Restores the optimizer's moments/accumulators and iteration count saved with a checkpoint. */
export async function restoreOptimizer(tf: Tf, checkpoint: string, optimizer: Optimizer): Promise<void> {
  const meta = JSON.parse(await readFile(join(checkpoint, 'optimizer.json'), 'utf8')) as { className: string; weightSpecs: WeightsManifestEntry[] };
  if (meta.className !== optimizer.getClassName()) {
    throw new Error(`${checkpoint}: optimizer state is from ${meta.className}, the trial now uses ${optimizer.getClassName()}`);
  }
  const decoded = tf.io.decodeWeights(toArrayBuffer(await readFile(join(checkpoint, 'optimizer.bin'))), meta.weightSpecs);
  const ordered = meta.weightSpecs.map((spec) => ({ name: spec.name, tensor: decoded[spec.name]! }));
  try {
    // Order matters: optimizers match saved slots to variables by position.
    await optimizer.setWeights(ordered);
  } finally {
    tf.dispose(ordered.map((w) => w.tensor)); // setWeights copies them into new variables
  }
}

/** Removes checkpoints that a later one of the same trial supersedes. */
export async function removeCheckpoints(trialDir: string, epochs: number[]): Promise<void> {
  for (const epoch of epochs) await rm(checkpointPath(trialDir, epoch), { recursive: true, force: true });
}
