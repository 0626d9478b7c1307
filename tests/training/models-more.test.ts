// The model families beyond mlp/cnn/lenet, trained for real on small generated data written as NPY files
// and read through the `custom` data set: softmax, lstm, svm-linear, svm-rbf and auto.
import { beforeAll, describe, expect, test } from 'vitest';
import { evaluateCheckpoint, InvalidConfigurationError, loadTf, MODELS, modelFamily, resolveFamily, trainSegment, type SegmentRequest } from '../../training';
import { mulberry32 } from '../../training/rng';
import { npyDataset, smallSpec, tempDir, tokenSequences as tokens, useTempCache, type SpecParts } from './helpers';

beforeAll(async () => {
  useTempCache();
  await loadTf();
});

/** Points in [-1, 1]^2; XOR: the class is whether x and y have the same sign (no line separates it). */
function xor(count: number, seed: number) {
  const random = mulberry32(seed);
  const x = new Float32Array(count * 2);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const a = random() * 2 - 1;
    const b = random() * 2 - 1;
    x.set([a, b], i * 2);
    y[i] = a * b > 0 ? 1 : 0;
  }
  return { x, y, shape: [2] };
}

/** Two Gaussian blobs per class in 4-D, three classes: linearly separable. */
function blobs(count: number, seed: number) {
  const random = mulberry32(seed);
  const centres = [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]];
  const x = new Float32Array(count * 4);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    y[i] = label;
    for (let d = 0; d < 4; d++) x[i * 4 + d] = centres[label]![d]! + (random() - 0.5);
  }
  return { x, y, shape: [4] };
}

function request(parts: SpecParts, params: Record<string, number | string | boolean> = {}, toEpoch = 4): SegmentRequest {
  return { spec: smallSpec({ training: { batchSize: 32, learningRate: 0.01, validationSplit: 0.2 }, ...parts }), params, seed: 3, fromEpoch: 0, toEpoch, checkpointDir: tempDir('trial') };
}

const last = (result: Awaited<ReturnType<typeof trainSegment>>, metric: string) => result.epochs[result.epochs.length - 1]!.metrics[metric]!;

describe('model families', () => {
  test('every family documents its hyperparameters; auto resolves to cnn, lstm or mlp from the data', () => {
    for (const name of ['softmax', 'lstm', 'svm-linear', 'svm-rbf', 'auto', 'mlp', 'cnn', 'lenet']) {
      expect(Object.keys(MODELS[name]!.hyperparameters).length, name).toBeGreaterThan(0);
    }
    const auto = modelFamily('auto');
    expect(resolveFamily(auto, { kind: 'image', inputShape: [28, 28, 1], numClasses: 10, seed: 1 }).name).toBe('cnn');
    expect(resolveFamily(auto, { kind: 'sequence', inputShape: [200], vocabularySize: 1000, numClasses: 2, seed: 1 }).name).toBe('lstm');
    expect(resolveFamily(auto, { kind: 'image', inputShape: [1, 8, 1], numClasses: 2, seed: 1 }).name).toBe('mlp');
    expect(resolveFamily(modelFamily('mlp'), { kind: 'image', inputShape: [1, 8, 1], numClasses: 2, seed: 1 }).name).toBe('mlp');
  });

  test('softmax and svm-linear learn linearly separable blobs; the SVM trains with its hinge loss', async () => {
    const dataset = npyDataset('blobs', blobs);
    const softmax = await trainSegment(request({ family: 'softmax', modelOptions: {}, dataset }, { l2: 0.001 }, 3));
    expect(last(softmax, 'val_accuracy')).toBeGreaterThan(0.9);
    expect(softmax.paramCount).toBe(4 * 3 + 3);
    const svm = await trainSegment(request({ family: 'svm-linear', modelOptions: { loss: 'hinge' }, dataset }, { l1: 0.0001 }, 3));
    expect(last(svm, 'val_accuracy')).toBeGreaterThan(0.9);
    // The hinge loss of a separated margin falls towards 0; cross-entropy of 3 classes starts at ~1.1.
    expect(last(svm, 'loss')).toBeLessThan(svm.epochs[0]!.metrics.loss!);
    const test = await evaluateCheckpoint({ spec: request({ family: 'svm-linear', modelOptions: { loss: 'hinge' }, dataset }).spec, params: { l1: 0.0001 }, checkpoint: svm.checkpoint, split: 'test' });
    expect(test.test_accuracy).toBeGreaterThan(0.9);
  });

  test('svm-rbf beats svm-linear on XOR, and its fixed random features survive a checkpoint resume', async () => {
    const dataset = npyDataset('xor', xor);
    const linear = await trainSegment(request({ family: 'svm-linear', modelOptions: {}, dataset }, {}, 6));
    const rbfRequest = request({ family: 'svm-rbf', modelOptions: { features: 256 }, dataset }, { gamma: 2 }, 3);
    const firstHalf = await trainSegment(rbfRequest);
    const rbf = await trainSegment({ ...rbfRequest, fromEpoch: 3, toEpoch: 6 });
    expect(last(linear, 'val_accuracy')).toBeLessThan(0.75);
    expect(last(rbf, 'val_accuracy')).toBeGreaterThan(0.85);
    expect(last(rbf, 'val_accuracy')).toBeGreaterThan(last(linear, 'val_accuracy') + 0.15);
    expect(rbf.paramCount).toBe(firstHalf.paramCount);
    // The reloaded checkpoint (custom layer, saved projection) scores exactly what training measured.
    const reloaded = await evaluateCheckpoint({ spec: rbfRequest.spec, params: rbfRequest.params, checkpoint: rbf.checkpoint, split: 'validation' });
    expect(reloaded.val_accuracy).toBeCloseTo(last(rbf, 'val_accuracy'), 6);
  });

  test('lstm learns whether token 7 occurs; bidirectional too', async () => {
    const dataset = npyDataset('tokens', tokens, { kind: 'sequence' });
    const result = await trainSegment(request({ family: 'lstm', modelOptions: { embeddingSize: 8, units: 8 }, dataset }, {}, 6));
    expect(last(result, 'val_accuracy')).toBeGreaterThan(0.8);
    const auto = await trainSegment(request({ family: 'auto', modelOptions: { embeddingSize: 8, units: 8, bidirectional: true }, dataset }, {}, 2));
    expect(auto.paramCount).toBeGreaterThan(result.paramCount!); // two directions
  });

  test('families refuse data of the wrong kind, and auto refuses settings only the other families read', async () => {
    const sequences = npyDataset('tokens-kind', tokens, { kind: 'sequence' });
    await expect(trainSegment(request({ family: 'cnn', modelOptions: {}, dataset: sequences }, {}, 1))).rejects.toThrow(/needs image or feature data/);
    const features = npyDataset('blobs-kind', blobs);
    await expect(trainSegment(request({ family: 'lstm', modelOptions: {}, dataset: features }, {}, 1))).rejects.toThrow(InvalidConfigurationError);
    await expect(trainSegment(request({ family: 'auto', modelOptions: { embeddingSize: 8 }, dataset: features }, {}, 1))).rejects.toThrow(/chose mlp .* "embeddingSize"/);
    await expect(trainSegment(request({ family: 'svm-linear', modelOptions: { loss: 'logistic' }, dataset: features }, {}, 1))).rejects.toThrow(/loss.*squared_hinge, hinge/);
  });
});
