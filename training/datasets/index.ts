// The data set registry: one module per data set, registered in DATASETS. `loadDataset` adds the
// validation split (carved from train with the experiment seed) and memoizes per process, so a worker
// reads a data set once and reuses it for every trial, within MEMOIZED_DATASETS.
import { InvalidConfigurationError } from '../errors';
import { settingsReader } from '../errors';
import { permutation } from '../rng';
import { forgetSplitArrays } from '../split-arrays';
import { cifar10, cifar100 } from './cifar';
import { custom } from './custom';
import { fashionMnist } from './fashion-mnist';
import { gtsrb } from './gtsrb';
import { imdb, reuters } from './keras-text';
import { mnist } from './mnist';
import { syntheticSeries } from './synthetic-series';
import { syntheticShapes } from './synthetic-shapes';
import type { Dataset, DatasetModule, RawDataset, Split } from './types';

export const DATASETS: Readonly<Record<string, DatasetModule>> = {
  [syntheticShapes.name]: syntheticShapes,
  [syntheticSeries.name]: syntheticSeries,
  [fashionMnist.name]: fashionMnist,
  [mnist.name]: mnist,
  [cifar10.name]: cifar10,
  [cifar100.name]: cifar100,
  [gtsrb.name]: gtsrb,
  [imdb.name]: imdb,
  [reuters.name]: reuters,
  [custom.name]: custom,
};

export function datasetModule(name: string): DatasetModule {
  const module = DATASETS[name];
  if (!module) {
    throw new InvalidConfigurationError(`dataset.name: unknown data set "${name}" (known: ${Object.keys(DATASETS).join(', ')})`);
  }
  return module;
}

export interface LoadDatasetOptions {
  /** Seed of the validation split (the experiment seed). */
  seed: number;
  /** Fraction of the train split held out for validation, 0 <= f < 1. */
  validationSplit: number;
}

/** The examples of `split` at `indices`, in that order. */
export function pick(split: Split, indices: Int32Array, exampleSize: number): Split {
  const x = new (split.x.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(indices.length * exampleSize);
  // One label per example, or (series) several regression targets.
  const ySize = split.count > 0 ? split.y.length / split.count : 1;
  const y = new (split.y.constructor as Uint8ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor)(indices.length * ySize);
  indices.forEach((source, target) => {
    x.set(split.x.subarray(source * exampleSize, (source + 1) * exampleSize), target * exampleSize);
    y.set(split.y.subarray(source * ySize, (source + 1) * ySize), target * ySize);
  });
  return { x, y, count: indices.length };
}

/** Holds out `round(count * fraction)` random training examples (a pure function of the seed). */
export function carveValidation(raw: RawDataset, seed: number, fraction: number): Dataset {
  const exampleSize = raw.inputShape.reduce((a, b) => a * b, 1);
  const order = permutation(raw.train.count, seed);
  const validationCount = Math.round(raw.train.count * fraction);
  if (fraction > 0 && (validationCount === 0 || validationCount === raw.train.count)) {
    throw new InvalidConfigurationError(
      `training.validationSplit ${fraction} leaves no ${validationCount === 0 ? 'validation' : 'training'} examples out of ${raw.train.count}`,
    );
  }
  // Sorted indices keep the original order inside each part, so the split does not depend on the shuffle.
  const validation = order.slice(0, validationCount).sort();
  const train = order.slice(validationCount).sort();
  return { ...raw, train: pick(raw.train, train, exampleSize), validation: pick(raw.train, validation, exampleSize) };
}

/**
 * How many loaded data sets (one per name, options, seed and validation split) a process keeps, least
 * recently used out first. A count, not bytes: an entry's size is known only once its load settles, and
 * the count bounds loads still in flight too. A campaign's trials all read one entry and a worker trains
 * one trial at a time by default, so 4 serves a worker moving between a few campaigns; the largest
 * built-in data sets (CIFAR, GTSRB) are ~200 MB each, so at most ~1 GB.
 */
export const MEMOIZED_DATASETS = 4;

/** Least recently used first. */
const memo = new Map<string, Promise<Dataset>>();

/** Drops a memoized data set and, once it has loaded, the flat arrays split-arrays keeps of its splits. */
function forget(key: string): void {
  const pending = memo.get(key);
  if (!pending) return;
  memo.delete(key);
  // A trial still training on it keeps its own reference; its next segment loads the data set anew.
  pending.then(forgetSplitArrays, () => undefined);
}

/** Loads (downloading or generating on first use) a registered data set with its validation split. */
export async function loadDataset(spec: { name: string; options: Record<string, unknown> }, options: LoadDatasetOptions): Promise<Dataset> {
  const module = datasetModule(spec.name);
  const reader = settingsReader({ validationSplit: options.validationSplit }, () => 'training.validationSplit');
  const fraction = reader.number('validationSplit', 0, { min: 0, max: 0.9 });
  // The working directory is part of the key: custom data paths are relative to it.
  const key = JSON.stringify([spec.name, spec.options ?? {}, options.seed, fraction, process.env.TUNEFLOW_CACHE_DIR ?? '', process.cwd()]);
  const pending = memo.get(key);
  if (pending) {
    memo.delete(key); // now the most recently used
    memo.set(key, pending);
    return pending;
  }
  const loading = module.load(spec.options ?? {}).then((raw) => carveValidation(raw, options.seed, fraction));
  memo.set(key, loading);
  // A failed load (e.g. files placed later) is retried next time, unless a newer load took its place.
  loading.catch(() => {
    if (memo.get(key) === loading) memo.delete(key);
  });
  for (const oldest of memo.keys()) {
    if (memo.size <= MEMOIZED_DATASETS) break;
    forget(oldest);
  }
  return loading;
}

/** Forgets memoized data sets and their kept split arrays (tests, or a worker that wants its memory back). */
export function clearDatasetCache(): void {
  for (const key of [...memo.keys()]) forget(key);
}

export type { Dataset, DatasetModule, ImageDataset, RawDataset, SequenceDataset, SeriesDataset, Split } from './types';
