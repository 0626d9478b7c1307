// k-fold cross-validation as segments of one trial: the fold split and the epoch merge (pure), then real
// training: k fold models with their own checkpoints, the means reported, and a segment killed in the
// middle of a fold resuming every fold exactly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { foldIndices, mergeFoldEpochs, std, trainFolds } from '../../training/cross-validation';
import { median } from '../../training/latency';
import { trainModel } from '../../training/segment';
import { listCheckpoints, trainSegment, type EpochResult, type SegmentResult } from '../../training';
import { checkpointWeights, maxDifference, segmentRequest, tempDir, useTempCache } from './helpers';

describe('foldIndices', () => {
  test('k slices partition the pool, sizes within one, each fold trains on the rest', () => {
    const k = 4;
    const count = 103;
    const seen = new Int32Array(count);
    for (let index = 1; index <= k; index++) {
      const { train, validation } = foldIndices(count, k, index, 5);
      expect([25, 26]).toContain(validation.length);
      expect(train.length + validation.length).toBe(count);
      expect(new Set([...train, ...validation]).size).toBe(count);
      expect([...validation]).toEqual([...validation].sort((a, b) => a - b));
      for (const i of validation) seen[i]! += 1;
    }
    expect([...seen].every((n) => n === 1)).toBe(true); // every example validates in exactly one fold
  });

  test('a pure function of the seed', () => {
    expect(foldIndices(50, 3, 2, 7)).toEqual(foldIndices(50, 3, 2, 7));
    expect([...foldIndices(50, 3, 2, 7).validation]).not.toEqual([...foldIndices(50, 3, 2, 8).validation]);
  });

  test('refuses a pool smaller than k and bad folds', () => {
    expect(() => foldIndices(3, 5, 1, 0)).toThrow('training.crossValidation 5 needs at least 5 training and validation examples, the data set has 3');
    expect(() => foldIndices(10, 3, 4, 0)).toThrow('fold must be 1..3, got 4');
    expect(() => foldIndices(10, 1, 1, 0)).toThrow('must be an integer >= 2');
  });
});

describe('mergeFoldEpochs', () => {
  const epoch = (metrics: Record<string, number>, seconds: number, endedAt: number): EpochResult => ({ epoch: 3, endedAt, seconds, metrics });
  test('means, sums of times, the peak, per-fold values and the spread', () => {
    const merged = mergeFoldEpochs(
      [
        epoch({ val_accuracy: 0.8, val_loss: 0.5, train_seconds: 10, peak_memory_bytes: 100, val_examples: 34 }, 2, 1000),
        epoch({ val_accuracy: 0.9, val_loss: 0.3, train_seconds: 12, peak_memory_bytes: 300, val_examples: 33 }, 3, 2000),
        epoch({ val_accuracy: 1.0, val_loss: 0.1, train_seconds: 11, peak_memory_bytes: 200, val_examples: 33 }, 4, 3000),
      ],
      ['val_accuracy', 'val_loss', 'train_seconds'],
    );
    expect(merged.epoch).toBe(3);
    expect(merged.seconds).toBe(9);
    expect(merged.endedAt).toBe(3000);
    expect(merged.metrics.val_accuracy).toBeCloseTo(0.9, 12);
    expect(merged.metrics.val_loss).toBeCloseTo(0.3, 12);
    expect(merged.metrics.train_seconds).toBe(33);
    expect(merged.metrics.peak_memory_bytes).toBe(300);
    expect(merged.metrics.val_examples).toBe(100);
    expect(merged.metrics.val_accuracy_fold_2).toBe(0.9);
    expect(merged.metrics.val_loss_fold_3).toBe(0.1);
    expect(merged.metrics.val_accuracy_std).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
    expect(merged.metrics.train_seconds_fold_1).toBeUndefined(); // a sum has no per-fold spread to show
  });
  test('std is the population standard deviation; median of odd and even counts', () => {
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

const MLP = { family: 'mlp', modelOptions: { units: 16, layers: 1 }, dataset: { name: 'synthetic-shapes', options: { trainSize: 300, testSize: 60 } } };
const cvRequest = (dir: string, toEpoch = 2) => segmentRequest({ ...MLP, training: { crossValidation: 3 } }, { toEpoch, checkpointDir: dir });

describe('training with crossValidation', () => {
  beforeAll(() => void useTempCache());

  test('trains k fold models in their own folders and reports the means; a segment killed mid-fold resumes every fold exactly', async () => {
    const straightDir = tempDir('cv-straight');
    const seen: EpochResult[] = [];
    const straight = await trainSegment({ ...cvRequest(straightDir), onEpoch: (e) => void seen.push(e) });
    expect(seen).toEqual(straight.epochs);
    expect(straight.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const index of [1, 2, 3]) expect(await listCheckpoints(join(straightDir, `fold-${index}`))).toEqual([2]);
    expect(await listCheckpoints(straightDir)).toEqual([]); // no model of the whole trial
    expect(straight.checkpoint).toBe(join(straightDir, 'fold-1', 'epoch-2'));
    const m = straight.epochs[1]!.metrics;
    const folds = [1, 2, 3].map((i) => m[`val_accuracy_fold_${i}`]!);
    expect(m.val_accuracy).toBeCloseTo((folds[0]! + folds[1]! + folds[2]!) / 3, 12);
    expect(m.val_accuracy_std).toBeCloseTo(std(folds), 12);
    expect(m.val_loss_fold_3).toBeGreaterThan(0);
    expect(m.val_examples).toBe(300); // every example validates once over the folds
    expect(m.inference_ms_per_sample).toBeUndefined(); // no objective reads it: timed on the trial's last epoch only

    // A worker killed right after fold 2 checkpointed epoch 1: fold 1 is done, fold 2 half, fold 3 untouched.
    const dir = tempDir('cv-killed');
    const killed = trainFolds(cvRequest(dir), (req, fold) =>
      trainModel({ ...req, onEpoch: (e) => { if (fold.index === 2 && e.epoch === 1) throw new Error('worker killed'); } }, fold),
    );
    await expect(killed).rejects.toThrow('worker killed');
    expect(await listCheckpoints(join(dir, 'fold-1'))).toEqual([2]);
    expect(await listCheckpoints(join(dir, 'fold-2'))).toEqual([1]);
    expect(existsSync(join(dir, 'fold-3'))).toBe(false);

    const trained: Record<number, SegmentResult> = {};
    const retry = await trainFolds(cvRequest(dir), async (req, fold) => (trained[fold.index] = await trainModel(req, fold)));
    expect([1, 2, 3].map((i) => trained[i]!.trainedEpochs)).toEqual([0, 1, 2]);
    for (const index of [1, 2, 3]) {
      const a = await checkpointWeights(join(straightDir, `fold-${index}`, 'epoch-2'));
      const b = await checkpointWeights(join(dir, `fold-${index}`, 'epoch-2'));
      expect(maxDifference(a, b)).toBeLessThan(1e-4);
    }
    for (const key of ['val_accuracy', 'val_loss', 'loss', 'val_accuracy_fold_2', 'val_loss_std']) {
      expect(retry.epochs[1]!.metrics[key]).toBeCloseTo(straight.epochs[1]!.metrics[key]!, 4);
    }
    // Fold 1's epochs were replayed from its checkpoint, so epoch 1 of the trial is exactly as the kill left it.
    expect(trained[1]!.epochs[0]!.endedAt).toBeLessThan(trained[3]!.epochs[0]!.endedAt);

    // The next segment goes on from every fold's boundary checkpoint.
    const next = await trainSegment({ ...cvRequest(dir, 4), fromEpoch: 2 });
    expect(next.epochs.map((e) => e.epoch)).toEqual([3, 4]);
    for (const index of [1, 2, 3]) expect(await listCheckpoints(join(dir, `fold-${index}`))).toEqual([2, 4]);
    expect(next.epochs[1]!.metrics.inference_ms_per_sample).toBeGreaterThan(0); // the folds' mean, on the last epoch
  });

  test('retrain trains one model on the training split, without folds', async () => {
    const dir = tempDir('cv-retrain');
    const result = await trainSegment({ ...cvRequest(dir, 1), job: { campaign: 'c', trial: 0, stage: 'retrain' } });
    expect(await listCheckpoints(dir)).toEqual([1]);
    expect(existsSync(join(dir, 'fold-1'))).toBe(false);
    expect(result.epochs[0]!.metrics.val_accuracy_fold_1).toBeUndefined();
    expect(result.epochs[0]!.metrics.val_examples).toBe(60); // the 20 % validation split of 300
  });
});
