// k-fold cross-validation (`training.crossValidation: k`) as segments of one search trial. Each segment
// trains the k fold models in turn, fold i (1-based) validating on the i-th of k slices of the training and
// validation data pooled and shuffled with the data seed, each in its own folder `<job>/fold-<i>/` with
// its own checkpoints; the epoch the trial reports is the folds' epochs merged (mergeFoldEpochs), so
// schedulers, ranking and tie-breaks read the means unchanged.
// Retries stay exact: every fold is an ordinary segment (training/segment.ts), so a retried segment finds
// each fold's checkpoints, replays their epochs and trains only what is missing; the merged epoch is
// reported only once every fold has checkpointed it.
import { join } from 'node:path';
import type { Dataset } from './datasets';
import { pick } from './datasets';
import { InvalidConfigurationError } from './errors';
import { mixSeed, permutation } from './rng';
import type { EpochResult, SegmentRequest, SegmentResult } from './types';

/** Salt of the fold shuffle, so it differs from the validation split's permutation of the same seed. */
const FOLD_SALT = 0x6b666f6c; // "kfol"

/** Metrics summed over the folds (the trial's cost is all k models'); `val_examples`: every fold's validation slice together. */
const SUMMED = new Set(['epoch_seconds', 'train_seconds', 'health_seconds', 'val_examples']);
/** Metrics whose fold maximum is the trial's (the folds train one after another, so the peak is the largest). */
const MAXIMUM = new Set(['peak_memory_bytes']);
/** Metrics logged per fold (`<metric>_fold_<i>`) and with their spread (`<metric>_std`), besides the objectives'. */
const PER_FOLD = ['val_loss', 'val_accuracy'];

/** Which fold a model trains, and what makes its checkpoints its own. */
export interface Fold {
  k: number;
  /** 1-based. */
  index: number;
}

/** Whether a segment trains folds: search trials of a spec with `training.crossValidation`; retrain trains one model. */
export function crossValidates(req: SegmentRequest): boolean {
  return req.spec.training.crossValidation !== undefined && req.job?.stage !== 'retrain' && !req.spec.trainable;
}

export const foldDir = (jobDir: string, index: number): string => join(jobDir, `fold-${index}`);

/**
 * Indices into a pool of `count` examples for fold `index` of `k`: the pool shuffled with the seed, cut
 * into k contiguous slices as equal as can be (sizes differ by at most one); the fold validates on slice
 * `index` and trains on the rest. Both lists are sorted, so the examples keep their pool order.
 */
export function foldIndices(count: number, k: number, index: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (!Number.isInteger(k) || k < 2) throw new InvalidConfigurationError(`training.crossValidation must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(index) || index < 1 || index > k) throw new InvalidConfigurationError(`fold must be 1..${k}, got ${index}`);
  if (count < k) {
    throw new InvalidConfigurationError(`training.crossValidation ${k} needs at least ${k} training and validation examples, the data set has ${count}`);
  }
  const order = permutation(count, mixSeed(seed, FOLD_SALT));
  const start = Math.floor(((index - 1) * count) / k);
  const end = Math.floor((index * count) / k);
  const validation = order.slice(start, end).sort();
  const train = Int32Array.from([...order.slice(0, start), ...order.slice(end)]).sort();
  return { train, validation };
}

/** The data set of one fold: training and validation splits pooled (train first), then cut by foldIndices. */
export function foldDataset(dataset: Dataset, fold: Fold, seed: number): Dataset {
  const exampleSize = dataset.inputShape.reduce((a: number, b: number) => a * b, 1);
  const { train, validation } = dataset;
  const x = new (train.x.constructor as Uint8ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor)(train.x.length + validation.x.length);
  x.set(train.x);
  x.set(validation.x, train.x.length);
  const y = new (train.y.constructor as Uint8ArrayConstructor | Int32ArrayConstructor)(train.count + validation.count);
  y.set(train.y);
  y.set(validation.y, train.count);
  const pool = { x, y, count: train.count + validation.count };
  const indices = foldIndices(pool.count, fold.k, fold.index, seed);
  return { ...dataset, train: pick(pool, indices.train, exampleSize), validation: pick(pool, indices.validation, exampleSize) };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Population standard deviation (numpy's default, as `np.std(cross_val_score(...))` reports). */
export function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
}

/**
 * One epoch of the trial from the same epoch of every fold (in fold order): each metric's mean over the
 * folds, except the sums (SUMMED) and the maximum (MAXIMUM); for `perFold` metrics also each fold's value
 * `<metric>_fold_<i>` and the spread `<metric>_std`. `seconds` is the folds' total, `endedAt` the last.
 */
export function mergeFoldEpochs(folds: readonly EpochResult[], perFold: readonly string[]): EpochResult {
  const epoch = folds[0]!.epoch;
  if (folds.some((f) => f.epoch !== epoch)) throw new Error(`fold epochs differ: ${folds.map((f) => f.epoch).join(', ')}`);
  const names = [...new Set(folds.flatMap((f) => Object.keys(f.metrics)))];
  const metrics: Record<string, number> = {};
  for (const name of names) {
    const values = folds.map((f) => f.metrics[name]).filter((v): v is number => v !== undefined);
    metrics[name] = SUMMED.has(name) ? values.reduce((a, b) => a + b, 0) : MAXIMUM.has(name) ? Math.max(...values) : mean(values);
  }
  for (const name of perFold) {
    if (!names.includes(name) || SUMMED.has(name) || MAXIMUM.has(name)) continue;
    folds.forEach((f, i) => {
      if (f.metrics[name] !== undefined) metrics[`${name}_fold_${i + 1}`] = f.metrics[name];
    });
    metrics[`${name}_std`] = std(folds.map((f) => f.metrics[name]).filter((v): v is number => v !== undefined));
  }
  return {
    epoch,
    endedAt: Math.max(...folds.map((f) => f.endedAt)),
    seconds: folds.reduce((sum, f) => sum + f.seconds, 0),
    metrics,
  };
}

/** Trains one fold's model: training/segment.ts's engine, on the fold's data and in the fold's folder. */
export type TrainFold = (req: SegmentRequest, fold: Fold) => Promise<SegmentResult>;

/**
 * Trains epochs (fromEpoch, toEpoch] of all k folds, one after another, and reports the merged epochs (to
 * `req.onEpoch` once every fold has checkpointed them). The result's checkpoint is fold 1's.
 */
export async function trainFolds(req: SegmentRequest, trainFold: TrainFold): Promise<SegmentResult> {
  const k = req.spec.training.crossValidation!;
  const perFold = [...new Set([...PER_FOLD, ...req.spec.objective.map((o) => o.metric)])];
  const results: SegmentResult[] = [];
  for (let index = 1; index <= k; index++) {
    const { onEpoch: _reportedMerged, ...rest } = req;
    results.push(await trainFold({ ...rest, checkpointDir: foldDir(req.checkpointDir, index) }, { k, index }));
  }
  const epochs = results[0]!.epochs.map((_, i) => mergeFoldEpochs(results.map((r) => r.epochs[i]!), perFold));
  for (const epoch of epochs) await req.onEpoch?.(epoch);
  const first = results[0]!;
  return {
    ...first,
    epochs,
    trainSeconds: results.reduce((sum, r) => sum + r.trainSeconds, 0),
    wallSeconds: results.reduce((sum, r) => sum + r.wallSeconds, 0),
    trainedEpochs: Math.max(...results.map((r) => r.trainedEpochs)),
  };
}
