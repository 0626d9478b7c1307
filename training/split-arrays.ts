// A split as the training code reads it: flat arrays (the graph engine trains from these) and tfjs tensors
// made from them (the eager engine, the health probe, the latency timing). The arrays of recently used
// splits are kept, within a byte budget: every segment of a trial trains on the same memoized split
// (datasets/index.ts), and converting its uint8 images to floats again each segment cost ~18 ms of a
// 1.6 s segment at 24,000 16x16 images (docs/benchmarks.md, segment share). Larger splits are converted
// per segment as before, so the cache never holds more than ARRAYS_BUDGET_BYTES.
import type { Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { Dataset, Split } from './datasets';

export interface SplitArrays {
  x: Float32Array | Int32Array;
  y: Float32Array;
}

export type SplitTensors = { x: Tensor4D | Tensor3D | Tensor2D; y: Tensor2D };

/** The most bytes of converted arrays kept between segments (a float copy is 4x its uint8 images). */
export const ARRAYS_BUDGET_BYTES = 64 * 1024 * 1024;

/** Least recently used first; the values are never written to (the engines and tfjs only read them). */
const kept = new Map<Split, { arrays: SplitArrays; bytes: number }>();
let keptBytes = 0;

/** Forgets the kept arrays (tests, or a worker that wants its memory back). */
export function clearSplitArrays(): void {
  kept.clear();
  keptBytes = 0;
}

/** Forgets the kept arrays of `dataset`'s splits: it left the data set cache (datasets/index.ts), so no later segment reads them. */
export function forgetSplitArrays(dataset: Dataset): void {
  for (const split of [dataset.train, dataset.validation, dataset.test]) {
    const entry = kept.get(split);
    if (!entry) continue;
    kept.delete(split);
    keptBytes -= entry.bytes;
  }
}

/** Bytes the kept arrays hold now. */
export function splitArraysBytes(): number {
  return keptBytes;
}

function convert(dataset: Dataset, split: Split): SplitArrays {
  const floats = (values: Split['x']) => (values instanceof Float32Array ? values : Float32Array.from(values));
  if (dataset.kind === 'series') return { x: floats(split.x), y: floats(split.y) };
  const y = new Float32Array(split.count * dataset.numClasses);
  for (let i = 0; i < split.count; i++) y[i * dataset.numClasses + split.y[i]!] = 1;
  if (dataset.kind === 'sequence') return { x: split.x instanceof Int32Array ? split.x : Int32Array.from(split.x), y };
  if (split.x instanceof Float32Array) return { x: split.x, y };
  const pixels = new Float32Array(split.x.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = split.x[i]! / 255;
  return { x: pixels, y };
}

/** Bytes of `arrays` that are copies (not the split's own arrays, which the data set holds anyway). */
function copiedBytes(split: Split, arrays: SplitArrays): number {
  return (arrays.x === split.x ? 0 : arrays.x.byteLength) + (arrays.y === split.y ? 0 : arrays.y.byteLength);
}

/**
 * A split as flat arrays: images scaled to [0, 1] (floats, [n, h, w, c]), token sequences as int32
 * ids ([n, length]), time series as floats ([n, steps, features]); one-hot float labels [n, classes], or
 * the regression targets [n, targets]. Callers must not write to them: they may be shared between segments.
 * `keep: false` for a split no later segment sees again (a cross-validation fold's, made anew each
 * segment): converted, never kept, so it does not push out the arrays of splits that do come back.
 */
export function splitArrays(dataset: Dataset, split: Split, keep = true): SplitArrays {
  if (!keep) return convert(dataset, split);
  const hit = kept.get(split);
  if (hit) {
    kept.delete(split);
    kept.set(split, hit);
    return hit.arrays;
  }
  const arrays = convert(dataset, split);
  const bytes = copiedBytes(split, arrays);
  if (bytes <= ARRAYS_BUDGET_BYTES) {
    kept.set(split, { arrays, bytes });
    keptBytes += bytes;
    for (const [oldest, entry] of kept) {
      if (keptBytes <= ARRAYS_BUDGET_BYTES) break;
      kept.delete(oldest);
      keptBytes -= entry.bytes;
    }
  }
  return arrays;
}

/** The first `count` examples of flat split arrays (copies: a small tensor must not pin a whole split). */
export function headArrays(dataset: Dataset, arrays: SplitArrays, count: number): SplitArrays {
  const rows = arrays.y.length / dataset.numClasses;
  return { x: arrays.x.slice(0, (arrays.x.length / rows) * count), y: arrays.y.slice(0, dataset.numClasses * count) };
}

/** Flat arrays of `count` examples as tensors: x [n, h, w, c] float, [n, length] int32 or [n, steps, features] float; y [n, classes or targets]. */
export function tensorsOf(tf: Tf, dataset: Dataset, count: number, arrays: SplitArrays): SplitTensors {
  const y = tf.tensor2d(arrays.y, [count, dataset.numClasses], 'float32');
  if (dataset.kind === 'series') return { x: tf.tensor3d(arrays.x, [count, ...dataset.inputShape], 'float32'), y };
  if (dataset.kind === 'sequence') return { x: tf.tensor2d(arrays.x, [count, dataset.inputShape[0]], 'int32'), y };
  return { x: tf.tensor4d(arrays.x, [count, ...dataset.inputShape], 'float32'), y };
}

/** splitArrays as tensors. */
export function splitTensors(tf: Tf, dataset: Dataset, split: Split): SplitTensors {
  return tensorsOf(tf, dataset, split.count, splitArrays(dataset, split));
}
