// A trial's graph engine, tfjs model and optimizer kept between its segments. A segment ends with all
// three holding exactly what its last checkpoint holds (the checkpoint is written from them), so the
// trial's next segment, when it runs in the same process (the worker's pool sends it to the child that
// ran the last one), can take them instead of loading the checkpoint into a new model, compiling it,
// restoring the optimizer and building an engine: no graph to build, and the session keeps the
// executors its first runs created (pruned, optimized graph and kernels for the training step,
// validation and the weight pull), which a new session creates again at ~100 ms a segment on the
// quickstart CNN.
// They are taken only when the checkpoint the segment resumes from is the one they wrote: its state.json
// names the SHA-256 of its model and optimizer files (CheckpointState.contentDigest), computed from the
// bytes as they were written, and the kept entry holds the digest of what it wrote. Equal digests mean
// equal files, so equal weights, optimizer state, iteration count and topology, bit for bit, without
// reading or hashing anything at the segment's start. Anything else (a PBT member handed its donor's
// checkpoint, whose state.json names the donor's digest; a checkpoint the eager engine or an older
// version wrote, which names none; a retry after a kill, in a new process) loads the checkpoint and
// builds a new engine. The graph must also be the same: the optimizer settings, loss and output width
// (a PBT member's mutable optimizer settings may change between its segments).
// A process keeps the pairs of the last few trials it trained (as many as the campaign trains at once,
// at most MAX_KEPT): with one training slot a worker's segments of two trials take turns in one process.
import type { LayersModel, Optimizer } from '@tensorflow/tfjs';
import type { LossKind } from '../loss';
import { disposeOptimizer, type OptimizerConfig } from '../optimizer';
import type { GraphEngine, GraphEngineOptions } from './engine';

/** The most trials a process keeps, whatever the campaign's concurrency. */
export const MAX_KEPT = 4;

/** What a trial's finished segment leaves for its next one. */
export interface KeptTraining {
  engine: GraphEngine;
  /** The engine's options (the model's translation, probe layers, optimizer settings, loss). */
  options: GraphEngineOptions;
  /** The tfjs model and optimizer the segment's last checkpoint was written from, compiled together. */
  model: LayersModel;
  optimizer: Optimizer;
}

interface Kept extends KeptTraining {
  /** The trial's checkpoint folder. */
  trial: string;
  /** The contentDigest of the checkpoint written from it. */
  digest: string;
  /** tensorBytes() when kept. */
  bytes: number;
}

interface TensorLike {
  dataId: object;
  size: number;
  dtype: string;
  isDisposed: boolean;
}

const isTensor = (value: unknown): value is TensorLike =>
  typeof value === 'object' && value !== null && 'dataId' in value && 'size' in value && 'dtype' in value;

/**
 * The bytes of the tensors an entry's model and optimizer hold, as tf.memory().numBytes counts them
 * (once per data id): the model's weights and every tensor among the optimizer's own fields (its slots,
 * in arrays of { variable }, and scalars such as Adam's β powers or SGD's learning rate).
 */
function tensorBytes(entry: KeptTraining): number {
  const seen = new Set<object>();
  let bytes = 0;
  const add = (value: unknown) => {
    if (!isTensor(value) || value.isDisposed || seen.has(value.dataId)) return;
    seen.add(value.dataId);
    bytes += value.size * (value.dtype === 'bool' ? 1 : 4);
  };
  for (const weight of entry.model.weights) add(weight.read());
  for (const value of Object.values(entry.optimizer)) {
    if (Array.isArray(value)) for (const item of value as unknown[]) add(isTensor(item) ? item : (item as { variable?: unknown } | null)?.variable);
    else add(value);
  }
  return bytes;
}

/** Oldest first. */
let kept: Kept[] = [];

/** What fixes the graph: everything in the options but names (of layers and variables: tfjs numbers them process-wide). */
export function engineKey(options: object): string {
  return JSON.stringify(options, (key, value: unknown) => (key === 'name' ? undefined : value));
}

/** Frees an entry's engine, model and optimizer (the model does not own an optimizer it was compiled with). */
export function disposeKept(entry: KeptTraining): void {
  entry.engine.dispose();
  entry.model.dispose();
  disposeOptimizer(entry.optimizer);
}

/**
 * Keeps `entry` for the trial's next segment, `digest` being the contentDigest of the checkpoint written
 * from it, freeing the trial's older entry and the oldest beyond `capacity`.
 */
export function keepTraining(trial: string, entry: KeptTraining, digest: string, capacity: number): void {
  for (const old of kept.filter((k) => k.trial === trial)) disposeKept(old);
  kept = kept.filter((k) => k.trial !== trial);
  kept.push({ ...entry, trial, digest, bytes: tensorBytes(entry) });
  const limit = Math.max(1, Math.min(MAX_KEPT, Math.floor(capacity)));
  while (kept.length > limit) disposeKept(kept.shift()!);
}

/** Frees everything kept. */
export function releaseKeptEngines(): void {
  for (const k of kept) disposeKept(k);
  kept = [];
}

/**
 * The tensor bytes the kept models and optimizers hold: tf.memory() counts them, and a trial's
 * peak_memory_bytes leaves them out (they are other trials', or no one's once the segment took its own).
 */
export function keptTensorBytes(): number {
  return kept.reduce((sum, k) => sum + k.bytes, 0);
}

/** How many trials' engines, models and optimizers are kept (for tests). */
export function keptCount(): number {
  return kept.length;
}

/**
 * The trial's kept entry when it wrote the checkpoint of `digest` (undefined: a checkpoint without one,
 * or a segment that will not train on the graph engine) and the graph would be the same under
 * `settings`; else null, and the entry is freed before the caller loads the checkpoint.
 */
export function takeTraining(trial: string, digest: string | undefined, settings: { optimizer: OptimizerConfig; loss: LossKind; numClasses: number }): KeptTraining | null {
  const at = kept.findIndex((k) => k.trial === trial);
  if (at < 0) return null;
  const [candidate] = kept.splice(at, 1) as [Kept];
  // The settings are all that can differ: the translated model is the checkpoint's, which the digest fixes.
  const { optimizer, loss, numClasses } = candidate.options;
  const sameGraph = () => engineKey(settings) === engineKey({ optimizer, loss, numClasses });
  if (digest !== undefined && candidate.digest === digest && sameGraph()) {
    return { engine: candidate.engine, options: candidate.options, model: candidate.model, optimizer: candidate.optimizer };
  }
  disposeKept(candidate);
  return null;
}
