// Float multivariate time series with regression targets: the generated synthetic-series data set, NPY
// series through the custom data set, the sequence families on them with MSE/MAE/Huber losses, and the
// regression metrics (mse, mae, r2 and their val_/test_ forms).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseExperiment } from '../../catalog';
import { evaluateCheckpoint, loadDataset, loadTf, trainSegment } from '../../training';
import { encodeNpy } from '../../training/formats/npy';
import { mulberry32 } from '../../training/rng';
import { expectReloads, segmentRequest, tempDir, trainAndResume, useTempCache } from './helpers';

beforeAll(async () => {
  useTempCache();
  await loadTf();
});

const SERIES = { name: 'synthetic-series', options: { trainSize: 500, testSize: 100, steps: 12, features: 2 } };
const metricsOf = (r: Awaited<ReturnType<typeof trainSegment>>) => r.epochs.map((e) => e.metrics);

describe('time series', () => {
  test('synthetic-series: float windows [steps, features], the next value of the first signal as target', async () => {
    const dataset = await loadDataset(SERIES, { seed: 1, validationSplit: 0.2 });
    expect(dataset.kind).toBe('series');
    expect(dataset.inputShape).toEqual([12, 2]);
    expect(dataset.numClasses).toBe(1);
    expect(dataset.train.count + dataset.validation.count).toBe(500);
    expect(dataset.train.x).toBeInstanceOf(Float32Array);
    expect(dataset.train.y.length).toBe(dataset.train.count);
    // Targets are sines of amplitude 0.5..1.5: non-trivial spread, bounded.
    const targets = Array.from(dataset.train.y);
    expect(Math.max(...targets.map(Math.abs))).toBeLessThanOrEqual(1.5);
    expect(new Set(targets.map((t) => t.toFixed(3))).size).toBeGreaterThan(100);
  });

  test('lstm regresses the next value: loss falls, r2 rises above 0, resumes exactly, test metrics reload', async () => {
    const run = await trainAndResume({ family: 'lstm', modelOptions: { units: 16 }, dataset: SERIES }, 0.01);
    const metrics = metricsOf(run.result);
    expect(metrics[2]!.loss).toBeLessThan(metrics[0]!.loss!);
    for (const key of ['mse', 'mae', 'r2', 'val_mse', 'val_mae', 'val_r2']) expect(metrics[2]![key], key).toBeTypeOf('number');
    expect(metrics[2]!.accuracy).toBeUndefined();
    expect(metrics[2]!.loss).toBeCloseTo(metrics[2]!.mse!, 4); // mse is the default loss
    expect(metrics[2]!.val_r2).toBeGreaterThan(0.2); // better than predicting the mean
    expect(metrics[2]!.val_r2).toBeCloseTo(1 - metrics[2]!.val_mse! / variance(await loadDataset(SERIES, { seed: 11, validationSplit: 0.2 }).then((d) => Array.from(d.validation.y))), 4);
    await expectReloads(run);
    const test = await evaluateCheckpoint({ spec: run.request.spec, params: {}, checkpoint: run.result.checkpoint, split: 'test' });
    expect(Object.keys(test).sort()).toEqual(['test_loss', 'test_mae', 'test_mse', 'test_r2']);
  });

  test.each([
    ['transformer', { embeddingSize: 16, heads: 2, blocks: 1, ffUnits: 16 }, 'mae'],
    ['cnn-lstm', { filters: 8, units: 8, fusion: 'gated', fusionUnits: 8 }, 'huber'],
    ['lstm', { units: 8, attention: true, attentionHeads: 2 }, 'mse'],
  ])('%s on series (%j) with regressionLoss %s learns', async (family, modelOptions, regressionLoss) => {
    const result = await trainSegment(segmentRequest({ family, modelOptions: { ...modelOptions, regressionLoss }, dataset: SERIES, training: { learningRate: 0.01, batchSize: 32 } }, { toEpoch: 3 }));
    const metrics = metricsOf(result);
    expect(metrics[2]!.loss).toBeLessThan(metrics[0]!.loss!);
    if (regressionLoss === 'mae') expect(metrics[2]!.loss).toBeCloseTo(metrics[2]!.mae!, 4);
    if (regressionLoss === 'huber') expect(metrics[2]!.loss).toBeLessThan(metrics[2]!.mse!); // huber <= mse/2 within 1 of the target
  });

  test('custom NPY series [n, steps, features] with two targets per example; image families refuse them', async () => {
    const dir = tempDir('series-npy');
    for (const [split, count] of [['train', 300], ['test', 50]] as const) {
      const random = mulberry32(count);
      const x = Float32Array.from({ length: count * 8 * 3 }, () => random() * 2 - 1);
      // Targets: the mean of feature 0 and the last value of feature 2.
      const y = new Float32Array(count * 2);
      for (let i = 0; i < count; i++) {
        let sum = 0;
        for (let t = 0; t < 8; t++) sum += x[(i * 8 + t) * 3]!;
        y[i * 2] = sum / 8;
        y[i * 2 + 1] = x[(i * 8 + 7) * 3 + 2]!;
      }
      writeFileSync(join(dir, `x_${split}.npy`), encodeNpy(x, [count, 8, 3]));
      writeFileSync(join(dir, `y_${split}.npy`), encodeNpy(y, [count, 2]));
    }
    const dataset = { name: 'custom', options: { format: 'npy', kind: 'series', train: join(dir, 'x_train.npy'), trainLabels: join(dir, 'y_train.npy'), test: join(dir, 'x_test.npy'), testLabels: join(dir, 'y_test.npy') } };
    const result = await trainSegment(segmentRequest({ family: 'auto', modelOptions: { units: 16 }, dataset, training: { learningRate: 0.01, batchSize: 32 } }, { toEpoch: 3 }));
    expect(result.family).toBe('lstm');
    expect(metricsOf(result)[2]!.val_mse).toBeLessThan(metricsOf(result)[0]!.val_mse!);
    expect(result.paramCount).toBe(4 * 16 * (3 + 16 + 1) + 16 * 2 + 2); // LSTM over 3 features, 2 linear outputs
    await expect(trainSegment(segmentRequest({ family: 'cnn', dataset }, { toEpoch: 1 }))).rejects.toThrow(/needs image or feature data/);
  });

  test('the example spec validates: a search over time-series families with val_mse as the objective', async () => {
    const path = join(__dirname, '..', '..', 'experiments', 'time-series.yaml');
    const spec = parseExperiment(readFileSync(path, 'utf8'), path);
    expect(spec.dataset.name).toBe('synthetic-series');
    expect(spec.objective[0]).toMatchObject({ metric: 'val_mse', direction: 'minimize' });
    expect(() => parseExperiment(readFileSync(path, 'utf8').replace('val_mse', 'val_msee'), path)).toThrow(/unknown metric "val_msee"/);
  });
});

function variance(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
}
