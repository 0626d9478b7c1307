// Inference latency on the validation set, a per-epoch metric (`inference_ms_per_sample`) that can be an
// objective: the median of a few timed predictions of one fixed batch, per example.
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './backend';

/** Examples per timed prediction (fewer when the validation split is smaller). */
export const INFERENCE_BATCH_SIZE = 32;
/** Timed predictions after one untimed warm-up; their median is the epoch's value. */
export const TIMED_BATCHES = 5;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Milliseconds per example to predict the first INFERENCE_BATCH_SIZE examples of `x`, reading the output
 * back (so the time includes the device round trip a caller pays). The first prediction warms up the
 * kernels and is not counted.
 */
export async function inferenceMsPerSample(tf: Tf, model: LayersModel, x: Tensor): Promise<number> {
  const count = Math.min(INFERENCE_BATCH_SIZE, x.shape[0]!);
  const batch = tf.slice(x, 0, count);
  try {
    const times: number[] = [];
    for (let i = 0; i <= TIMED_BATCHES; i++) {
      const start = performance.now();
      const output = model.predict(batch, { batchSize: count }) as Tensor;
      await output.data();
      output.dispose();
      if (i > 0) times.push(performance.now() - start);
    }
    return median(times) / count;
  } finally {
    batch.dispose();
  }
}
