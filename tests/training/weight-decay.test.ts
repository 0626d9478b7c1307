// Decoupled weight decay for every optimizer (training/optimizer.ts): w <- w - lr * wd * w before the
// optimizer's own update, on the native backend, checked against hand computations; wd = 0 leaves the
// optimizer exactly as it was, and a real segment trains with it and refuses checkpoints made without it.
import { beforeAll, describe, expect, test } from 'vitest';
import { CheckpointError, createOptimizer, loadTf, OPTIMIZERS, resolveOptimizerConfig, setLearningRate, trainSegment, type Tf } from '../../training';
import { checkpointWeights, segmentRequest, tempDir, useTempCache } from './helpers';

let tf: Tf;
beforeAll(async () => {
  useTempCache();
  tf = await loadTf();
});

const W0 = [1, -2, 0.5];
const C = [0.3, 0.7, -0.1]; // loss = sum(w * C): the gradient is C whatever w is

/** The weights after `steps` optimizer steps on loss sum(w * C) from W0. */
function step(settings: Record<string, unknown>, steps = 1, rates: number[] = []): number[] {
  const optimizer = createOptimizer(tf, resolveOptimizerConfig(settings));
  const w = tf.variable(tf.tensor1d(W0));
  const c = tf.tensor1d(C);
  for (let i = 0; i < steps; i++) {
    if (rates[i] !== undefined) setLearningRate(optimizer, rates[i]!);
    optimizer.minimize(() => tf.sum(tf.mul(w, c)), false, [w]);
  }
  const out = Array.from(w.dataSync());
  tf.dispose([w, c]);
  optimizer.dispose();
  return out;
}

describe('weight decay', () => {
  test('sgd, one step: w1 = w0 * (1 - lr * wd) - lr * g', () => {
    const [lr, wd] = [0.1, 0.5];
    const got = step({ optimizer: 'sgd', learningRate: lr, weightDecay: wd });
    W0.forEach((w, i) => expect(got[i]).toBeCloseTo(w * (1 - lr * wd) - lr * C[i]!, 6));
  });

  test('sgd follows the scheduled rate: the second step decays with the rate set for it', () => {
    const wd = 0.5;
    const got = step({ optimizer: 'sgd', learningRate: 0.1, weightDecay: wd }, 2, [0.1, 0.2]);
    const w1 = W0.map((w, i) => w * (1 - 0.1 * wd) - 0.1 * C[i]!);
    w1.forEach((w, i) => expect(got[i]).toBeCloseTo(w * (1 - 0.2 * wd) - 0.2 * C[i]!, 6));
  });

  test.each([
    ['adam', {}],
    ['sgd', { momentum: 0.9, nesterov: true }],
    ['rmsprop', { momentum: 0.5 }],
  ])('%s: one step with decay differs from one without by exactly -lr * wd * w0', (optimizer, extra) => {
    const [lr, wd] = [0.05, 0.4];
    const plain = step({ optimizer, learningRate: lr, ...extra });
    const decayed = step({ optimizer, learningRate: lr, weightDecay: wd, ...extra });
    W0.forEach((w, i) => expect(decayed[i]! - plain[i]!).toBeCloseTo(-lr * wd * w, 6));
  });

  test('adam with weightDecay is adamw; adamw keeps its default 0.01', () => {
    expect(step({ optimizer: 'adam', learningRate: 0.05, weightDecay: 0.01 })).toEqual(step({ optimizer: 'adamw', learningRate: 0.05 }));
    expect(resolveOptimizerConfig({ optimizer: 'adamw' })).toMatchObject({ weightDecay: 0.01 });
  });

  test('wd = 0 is the optimizer as before: no weightDecay in the configuration (same checkpoint hash), the plain tfjs step', () => {
    for (const optimizer of OPTIMIZERS.filter((name) => name !== 'adamw')) {
      for (const settings of [{ optimizer }, { optimizer, weightDecay: 0 }]) {
        const config = resolveOptimizerConfig(settings);
        expect(config).not.toHaveProperty('weightDecay');
        const built = createOptimizer(tf, config);
        expect(Object.hasOwn(built, 'applyGradients')).toBe(false);
        built.dispose();
      }
    }
    const lr = 0.1;
    expect(step({ optimizer: 'sgd', learningRate: lr, weightDecay: 0 })).toEqual(W0.map((w, i) => Math.fround(w - lr * C[i]!)));
  });

  test('a real segment decays its weights, and does not resume a checkpoint trained without decay', async () => {
    const parts = { family: 'mlp', modelOptions: { units: 16, layers: 1 }, dataset: { name: 'synthetic-shapes', options: { trainSize: 400, testSize: 100 } } };
    const norm = async (checkpoint: string) => Math.hypot(...(await checkpointWeights(checkpoint)).flatMap((w) => Array.from(w)));
    const plainDir = tempDir('decay');
    const plain = await trainSegment(segmentRequest(parts, { params: { optimizer: 'sgd', learningRate: 0.1 }, toEpoch: 1, checkpointDir: plainDir }));
    const decayed = await trainSegment(segmentRequest(parts, { params: { optimizer: 'sgd', learningRate: 0.1, weightDecay: 0.5 }, toEpoch: 1 }));
    expect(Number.isFinite(decayed.epochs[0]!.metrics.loss)).toBe(true);
    expect(await norm(decayed.checkpoint)).toBeLessThan(0.9 * (await norm(plain.checkpoint)));
    await expect(
      trainSegment(segmentRequest(parts, { params: { optimizer: 'sgd', learningRate: 0.1, weightDecay: 0.5 }, fromEpoch: 1, toEpoch: 2, checkpointDir: plainDir })),
    ).rejects.toThrow(CheckpointError);
  });
});
