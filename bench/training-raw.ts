// Baselines for `npm run bench:training`: the same model, data and optimizer trained by plain TF.js,
// without trainSegment (no health probe, validation pass, checkpoints or callbacks), so the table can
// split the gap to Keras into "our engine" (ours vs raw fit) and "TF.js itself" (raw fit vs Keras):
// - `fit`: model.fit on the training tensors, one call per epoch, tfjs's own shuffling;
// - `step`: a hand-written loop, optimizer.minimize on contiguous batches of a pre-shuffled copy, no
//   metrics: what remains of fit without its batch loop (per-batch gather, accuracy, logs).
import type { LayersModel, Optimizer, Scalar, Tensor } from '@tensorflow/tfjs';
import { loadDataset, loadTf, modelInput, resolveTrialConfig, createOptimizer, type Tf } from '../training';
import { trainingLoss } from '../training/loss';
import { splitTensors } from '../training/split-arrays';
import type { ExperimentSpec } from '../spec/types';

export type RawMode = 'fit' | 'step';

async function stepEpoch(tf: Tf, model: LayersModel, x: Tensor, y: Tensor, batchSize: number, optimizer: Optimizer): Promise<void> {
  const n = x.shape[0];
  const [xs, ys] = tf.tidy(() => {
    const order = tf.tensor1d(Int32Array.from(tf.util.createShuffledIndices(n)), 'int32');
    return [tf.gather(x, order), tf.gather(y, order)];
  });
  let last: Scalar | null = null;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    last?.dispose();
    last = tf.tidy(() => {
      const xb = tf.slice(xs, start, size);
      const yb = tf.slice(ys, start, size);
      return optimizer.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(yb, model.apply(xb, { training: true }) as Tensor)) as Scalar, true)!;
    });
  }
  await last?.data(); // one sync per epoch: TF.js on the CPU backend runs ops synchronously anyway
  last?.dispose();
  tf.dispose([xs, ys]);
}

/** Samples/s of each epoch of a plain TF.js training run of `spec`'s model on its training split. */
export async function rawThroughput(spec: ExperimentSpec, epochs: number, mode: RawMode): Promise<number[]> {
  const tf = await loadTf();
  const config = resolveTrialConfig(spec, {});
  const dataset = await loadDataset(spec.dataset, { seed: spec.seed, validationSplit: spec.training.validationSplit });
  const model = config.family.build(tf, modelInput(dataset, 1), config.hyper);
  const optimizer = createOptimizer(tf, config.optimizer);
  const { x, y } = splitTensors(tf, dataset, dataset.train);
  const rates: number[] = [];
  try {
    if (mode === 'fit') {
      model.compile({ optimizer, loss: trainingLoss(tf, config.family, config.hyper, config.labelSmoothing), metrics: ['accuracy'] });
    }
    for (let epoch = 0; epoch < epochs; epoch++) {
      const start = performance.now();
      if (mode === 'fit') await model.fit(x, y, { epochs: 1, batchSize: config.optimizer.batchSize, shuffle: true, verbose: 0 });
      else await stepEpoch(tf, model, x, y, config.optimizer.batchSize, optimizer);
      rates.push(dataset.train.count / ((performance.now() - start) / 1000));
    }
    return rates;
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}
