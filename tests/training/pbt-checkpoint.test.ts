// The engine's checkpoint identity under scheduler pbt (training/segment.ts configHash): a recipient
// resumes from a donor's checkpoint (another seed) with new values of its mutable parameters, and the
// copy carries the donor's weights and optimizer state: training on from it equals the donor training
// on with the same settings. A parameter that is not mutable still has to match, and without pbt
// nothing changes (another seed is refused).
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { CheckpointError, trainSegment } from '../../training';
import type { ExperimentSpec } from '../../spec/types';
import { segmentRequest, smallSpec, tempDir, useTempCache } from './helpers';

const PARTS = { family: 'mlp', modelOptions: { layers: 1 }, dataset: { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 150 } }, training: { optimizer: 'sgd' } };

function pbtSpec(): ExperimentSpec {
  const spec = smallSpec(PARTS);
  spec.search.space = { learningRate: { type: 'float', low: 1e-3, high: 0.5, log: true }, units: { type: 'categorical', choices: [16, 32] } };
  spec.search.scheduler = { type: 'pbt', options: { populationSize: 2, perturbationInterval: 2, mutable: ['learningRate', 'momentum'] } };
  return spec;
}

beforeAll(() => {
  useTempCache();
});

describe('checkpoints under pbt', () => {
  test("a recipient trains on from its donor's weights and optimizer state, with its own seed and a new learning rate", async () => {
    const spec = pbtSpec();
    const donor = tempDir('donor');
    await trainSegment(segmentRequest(PARTS, { spec, params: { units: 32, learningRate: 0.05, momentum: 0.9 }, seed: 3, checkpointDir: donor }));
    // Two exploits of the same donor checkpoint, as activities/pbt.ts copies it.
    const [a, b] = [tempDir('recipient-a'), tempDir('recipient-b')];
    for (const dir of [a, b]) cpSync(join(donor, 'epoch-2'), join(dir, 'epoch-2'), { recursive: true });
    const explored = { units: 32, learningRate: 0.06, momentum: 0.8 };
    const onA = await trainSegment(segmentRequest(PARTS, { spec, params: explored, seed: 9, fromEpoch: 2, toEpoch: 3, checkpointDir: a }));
    const onB = await trainSegment(segmentRequest(PARTS, { spec, params: explored, seed: 9, fromEpoch: 2, toEpoch: 3, checkpointDir: b }));
    expect(onA.trainedEpochs).toBe(1);
    expect(onA.epochs[0]!.metrics.lr).toBeCloseTo(0.06, 12);
    expect(onA.epochs[0]!.metrics.val_loss).toBe(onB.epochs[0]!.metrics.val_loss);
    // The donor itself training on with the same settings gets exactly the recipient's epoch 3.
    const itself = await trainSegment(segmentRequest(PARTS, { spec, params: explored, seed: 9, fromEpoch: 2, toEpoch: 3, checkpointDir: donor }));
    expect(itself.epochs[0]!.metrics.val_loss).toBe(onA.epochs[0]!.metrics.val_loss);
    expect(itself.epochs[0]!.metrics.val_accuracy).toBe(onA.epochs[0]!.metrics.val_accuracy);
    // From scratch the same settings give another epoch 3: the copy's weights are what it trained on.
    const fresh = await trainSegment(segmentRequest(PARTS, { spec, params: explored, seed: 9, fromEpoch: 0, toEpoch: 3, checkpointDir: tempDir('fresh') }));
    expect(fresh.epochs.at(-1)!.metrics.val_loss).not.toBe(onA.epochs[0]!.metrics.val_loss);
  });

  test('a parameter that is not mutable must still match; without pbt another seed is refused', async () => {
    const donor = tempDir('donor');
    await trainSegment(segmentRequest(PARTS, { spec: pbtSpec(), params: { units: 32, learningRate: 0.05 }, seed: 3, checkpointDir: donor }));
    await expect(trainSegment(segmentRequest(PARTS, { spec: pbtSpec(), params: { units: 16, learningRate: 0.05 }, seed: 3, fromEpoch: 2, toEpoch: 3, checkpointDir: donor }))).rejects.toThrow(CheckpointError);
    const plain = tempDir('plain');
    await trainSegment(segmentRequest(PARTS, { params: { units: 32, learningRate: 0.05 }, seed: 3, checkpointDir: plain }));
    await expect(trainSegment(segmentRequest(PARTS, { params: { units: 32, learningRate: 0.06 }, seed: 3, fromEpoch: 2, toEpoch: 3, checkpointDir: plain }))).rejects.toThrow(/trained with another configuration/);
  });
});
