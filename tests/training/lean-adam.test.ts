// The `adam` optimizer is a leaner tfjs Adam (training/optimizer.ts): same state, same update rule, fewer
// ops. It must train like tf.train.adam step for step, save the same state, and resume from it.
import { beforeAll, expect, test } from 'vitest';
import type { Optimizer, Scalar, Variable } from '@tensorflow/tfjs';
import { createOptimizer, loadTf, resolveOptimizerConfig, setLearningRate, type Tf } from '../../training';

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
});

const CONFIG = resolveOptimizerConfig({ optimizer: 'adam', learningRate: 0.01, batchSize: 8 });

/** A badly scaled quadratic, so bias correction and epsilon both matter. */
function train(optimizer: Optimizer, weights: Variable, steps: number): void {
  const target = tf.tensor1d([1, 2, -3, 0]);
  const scale = tf.tensor1d([1, 10, 0.1, 1000]);
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(() => tf.sum(tf.mul(tf.square(tf.sub(weights, target)), scale)) as Scalar, false, [weights]);
  }
  tf.dispose([target, scale]);
}

test('adam trains like tf.train.adam, with the same saved state, and resumes from it', async () => {
  const start = [0.5, -1, 2, 0.001];
  const ours = createOptimizer(tf, CONFIG);
  const reference = tf.train.adam(CONFIG.learningRate, 0.9, 0.999, 1e-7);
  const a = tf.variable(tf.tensor1d(start));
  const b = tf.variable(tf.tensor1d(start));
  train(ours, a, 30);
  train(reference, b, 30);
  const [va, vb] = [a.dataSync(), b.dataSync()];
  expect(Array.from(va)).not.toEqual(start);
  for (let i = 0; i < start.length; i++) expect(va[i]).toBeCloseTo(vb[i]!, 5);

  expect(ours.getClassName()).toBe('Adam');
  const saved = await ours.getWeights();
  const savedReference = await reference.getWeights();
  expect(saved.map((w) => w.tensor.shape)).toEqual(savedReference.map((w) => w.tensor.shape));

  // Resume: a fresh optimizer restored from the saved state continues where the first one is (up to float
  // noise: setWeights recomputes beta^t as a power where training multiplies it up step by step).
  const resumed = createOptimizer(tf, CONFIG);
  await resumed.setWeights(saved);
  setLearningRate(resumed, CONFIG.learningRate);
  const c = tf.variable(tf.tensor1d(Array.from(va)));
  train(ours, a, 10);
  train(resumed, c, 10);
  const [vc, vaLater] = [c.dataSync(), a.dataSync()];
  expect(Array.from(vaLater)).not.toEqual(Array.from(va));
  for (let i = 0; i < start.length; i++) expect(vc[i]).toBeCloseTo(vaLater[i]!, 5);
  tf.dispose([a, b, c]);
  ours.dispose();
  reference.dispose();
  resumed.dispose();
});
