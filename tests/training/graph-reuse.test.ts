// A trial's graph engine, tfjs model and optimizer kept between its segments in one process
// (training/graph/reuse.ts): the next segment takes them only when the checkpoint it resumes from is the
// one they wrote (its state.json names the digest of its files) and the graph is the same; a PBT member
// handed its donor's checkpoint, a checkpoint without a digest (eager engine, older version), another
// optimizer setting or a failed segment load the checkpoint instead; nothing leaks; and a trial trained
// with reuse ends with the very weights and metrics it gets when every segment loads its checkpoint.
// Skipped, saying why, only when the addon is not built.
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { readCheckpointState, trainSegment, type SegmentRequest, type Tf } from '../../training';
import { contentDigest } from '../../training/checkpoint';
import { keptCount, keptTensorBytes, releaseKeptEngines } from '../../training/graph';
import type { ExperimentSpec } from '../../spec/types';
import { checkpointWeights, graphAddonOrSkip, maxDifference, segmentRequest, smallSpec, tempDir, trainingTf } from './helpers';

const addon = graphAddonOrSkip('graph-reuse');

let tf: Tf;
beforeAll(async () => {
  tf = await trainingTf();
});

const MLP = { family: 'mlp', modelOptions: { layers: 1, units: 16, dropout: 0.2 }, dataset: { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 150 } } };

/** A pbt spec (the seed and the mutable learning rate and momentum are not part of a checkpoint's identity), four trials kept at once. */
function pbtSpec(): ExperimentSpec {
  const spec = smallSpec({ ...MLP, training: { optimizer: 'sgd' } });
  spec.search.space = { learningRate: { type: 'float', low: 1e-3, high: 0.5, log: true } };
  spec.search.scheduler = { type: 'pbt', options: { populationSize: 2, perturbationInterval: 1, mutable: ['learningRate', 'momentum'] } };
  spec.budget = { ...spec.budget, maxConcurrentTrials: 4 };
  return spec;
}

/** One segment of `dir` under `spec`: epochs (from, to]. */
function segment(spec: ExperimentSpec, dir: string, from: number, to: number, overrides: Partial<SegmentRequest> = {}) {
  return trainSegment({ ...segmentRequest(MLP, { fromEpoch: from, toEpoch: to, checkpointDir: dir, seed: 3, params: { learningRate: 0.05, momentum: 0.9 } }), spec, ...overrides });
}

const CHECKPOINT_FILES = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin'];
const filesOf = (checkpoint: string) => CHECKPOINT_FILES.map((name) => [name, readFileSync(join(checkpoint, name))] as const);

function dropDigest(checkpoint: string): void {
  const path = join(checkpoint, 'state.json');
  const { contentDigest: _dropped, ...state } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  writeFileSync(path, JSON.stringify(state));
}

describe.skipIf(!addon.available)(`graph engine reuse between segments${addon.note}`, () => {
  test("the next segment takes the kept model, optimizer and engine only from the checkpoint they wrote, not from a donor's copy", async () => {
    releaseKeptEngines();
    const spec = pbtSpec();
    const [a, b, c] = [tempDir('trial'), tempDir('trial'), tempDir('trial')];
    expect((await segment(spec, a, 0, 1)).engineReused ?? false).toBe(false);
    // The last checkpoint names the digest of its files as they are on disk.
    const written = (await readCheckpointState(join(a, 'epoch-1'))).contentDigest;
    expect(written).toMatch(/^[0-9a-f]{64}$/);
    expect(contentDigest(filesOf(join(a, 'epoch-1')))).toBe(written);
    // Taken: the segment reads no model or optimizer file (a truncated weights.bin goes unnoticed) and
    // trains on exactly as a segment that loads an intact copy of the checkpoint does.
    cpSync(join(a, 'epoch-1'), join(c, 'epoch-1'), { recursive: true });
    truncateSync(join(a, 'epoch-1', 'weights.bin'), 0);
    const taken = await segment(spec, a, 1, 2);
    expect(taken.engineReused).toBe(true);
    expect(keptCount()).toBe(1);
    const loaded = await segment(spec, c, 1, 2);
    expect(loaded.engineReused ?? false).toBe(false);
    expect(taken.epochs[0]!.metrics).toMatchObject({ loss: loaded.epochs[0]!.metrics.loss, val_loss: loaded.epochs[0]!.metrics.val_loss, val_accuracy: loaded.epochs[0]!.metrics.val_accuracy });

    // A PBT exploit replaces a's epoch-2 with its donor b's (as activities/pbt.ts copies it, digest and all).
    await segment(spec, b, 0, 2, { seed: 5 });
    const donorDigest = (await readCheckpointState(join(b, 'epoch-2'))).contentDigest;
    expect(donorDigest).toBeDefined();
    expect(donorDigest).not.toBe((await readCheckpointState(join(a, 'epoch-2'))).contentDigest);
    expect(keptCount()).toBe(3); // a's, c's and b's
    rmSync(join(a, 'epoch-2'), { recursive: true });
    cpSync(join(b, 'epoch-2'), join(a, 'epoch-2'), { recursive: true });
    const exploited = await segment(spec, a, 2, 3);
    expect(exploited.engineReused ?? false).toBe(false);
    // It trained on from the donor's weights: as a process holding nothing kept does from the same copy.
    const copy = tempDir('trial');
    cpSync(join(b, 'epoch-2'), join(copy, 'epoch-2'), { recursive: true });
    releaseKeptEngines();
    const reference = await segment(spec, copy, 2, 3);
    expect(exploited.epochs[0]!.metrics.val_loss).toBe(reference.epochs[0]!.metrics.val_loss);
    expect(maxDifference(await checkpointWeights(join(a, 'epoch-3')), await checkpointWeights(join(copy, 'epoch-3')))).toBe(0);

    // A mutated optimizer setting (PBT explores the momentum) changes the graph: the checkpoint is loaded.
    expect((await segment(spec, copy, 3, 4, { params: { learningRate: 0.05, momentum: 0.5 } })).engineReused ?? false).toBe(false);
    releaseKeptEngines();
  });

  test('a checkpoint without a digest (an older version, the eager engine) is loaded, and the eager engine keeps nothing', async () => {
    releaseKeptEngines();
    const spec = pbtSpec();
    const dir = tempDir('trial');
    await segment(spec, dir, 0, 1);
    dropDigest(join(dir, 'epoch-1'));
    expect((await segment(spec, dir, 1, 2)).engineReused ?? false).toBe(false);
    const before = process.env.TUNEFLOW_ENGINE;
    process.env.TUNEFLOW_ENGINE = 'eager';
    try {
      expect((await segment(spec, dir, 2, 3)).engine).toBe('eager');
    } finally {
      if (before === undefined) delete process.env.TUNEFLOW_ENGINE;
      else process.env.TUNEFLOW_ENGINE = before;
    }
    // The eager segment freed the graph segment's kept entry and wrote no digest.
    expect(keptCount()).toBe(0);
    expect((await readCheckpointState(join(dir, 'epoch-3'))).contentDigest).toBeUndefined();
    expect((await segment(spec, dir, 3, 4)).engineReused ?? false).toBe(false);
    expect(keptCount()).toBe(1);
    releaseKeptEngines();
  });

  test('kept models, optimizers and engines hold a fixed number of tensors and are freed when dropped', async () => {
    releaseKeptEngines();
    const spec = pbtSpec();
    await segment(spec, tempDir('trial'), 0, 1); // warm-up: lazily created kernels and caches
    releaseKeptEngines();
    const before = tf.memory().numTensors;
    const dir = tempDir('trial');
    await segment(spec, dir, 0, 1);
    const kept = tf.memory().numTensors;
    expect(kept).toBeGreaterThan(before); // the kept model's weights and the optimizer's slots
    for (let epoch = 2; epoch <= 4; epoch++) {
      expect((await segment(spec, dir, epoch - 1, epoch)).engineReused).toBe(true);
      expect(tf.memory().numTensors).toBe(kept);
    }
    // Another trial with one training slot pushes this one's entry out.
    await segment({ ...spec, budget: { ...spec.budget, maxConcurrentTrials: 1 } }, tempDir('trial'), 0, 1);
    expect(keptCount()).toBe(1);
    expect(tf.memory().numTensors).toBe(kept);
    // keptTensorBytes() is what tf.memory() counts for them (SGD with momentum: slots, momentum, learning rate).
    const bytes = tf.memory().numBytes;
    const keptBytes = keptTensorBytes();
    releaseKeptEngines();
    expect(tf.memory().numTensors).toBe(before);
    expect(bytes - tf.memory().numBytes).toBe(keptBytes);
    // A segment that takes the kept entry and then fails (aborted after its first epoch) frees it.
    await segment(spec, dir, 4, 5);
    const controller = new AbortController();
    const aborted = segment(spec, dir, 5, 7, { signal: controller.signal, onEpoch: (e) => void (e.epoch === 6 && controller.abort(new Error('cancelled'))) });
    await expect(aborted).rejects.toThrow('cancelled');
    expect(keptCount()).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("another trial's kept model is not part of a trial's peak_memory_bytes", async () => {
    releaseKeptEngines();
    // Adam (β powers, two slots a weight) and batch norm (non-trainable weights).
    const parts = { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16, batchNorm: true }, dataset: MLP.dataset };
    const twoSlots = (request: SegmentRequest) => ({ ...request, spec: { ...request.spec, budget: { ...request.spec.budget, maxConcurrentTrials: 2 } } });
    const peak = async () => (await trainSegment(twoSlots(segmentRequest(parts, { toEpoch: 1 })))).epochs[0]!.metrics.peak_memory_bytes;
    await peak(); // warm-up
    releaseKeptEngines();
    const alone = await peak();
    expect(keptCount()).toBe(1);
    const bytes = tf.memory().numBytes;
    const keptBytes = keptTensorBytes();
    expect(keptBytes).toBeGreaterThan(0);
    const besideOne = await peak();
    expect(keptCount()).toBe(2);
    expect(besideOne).toBe(alone);
    releaseKeptEngines();
    expect(bytes - tf.memory().numBytes).toBe(keptBytes);
  });

  test("two trials' segments taking turns in one process each take their own kept engine", async () => {
    releaseKeptEngines();
    const parts = { family: 'mlp', modelOptions: { layers: 1, units: 16, dropout: 0.2 } };
    const [a, b] = [tempDir('trial'), tempDir('trial')];
    const segment = (dir: string, epoch: number, concurrent: number) => {
      const request = segmentRequest(parts, { fromEpoch: epoch - 1, toEpoch: epoch, checkpointDir: dir });
      return trainSegment({ ...request, spec: { ...request.spec, budget: { ...request.spec.budget, maxConcurrentTrials: concurrent } } });
    };
    const reused = [];
    for (const epoch of [1, 2, 3]) for (const dir of [a, b]) reused.push((await segment(dir, epoch, 2)).engineReused ?? false);
    expect(reused).toEqual([false, false, true, true, true, true]);
    // A campaign of one trial at a time keeps one engine: the two trials' turns then build theirs each time.
    const [c, d] = [tempDir('trial'), tempDir('trial')];
    const one = [];
    for (const epoch of [1, 2]) for (const dir of [c, d]) one.push((await segment(dir, epoch, 1)).engineReused ?? false);
    expect(one).toEqual([false, false, false, false]);
    releaseKeptEngines();
  });

  test('one-epoch segments with the engine kept between them equal segments that each build their engine', async () => {
    const parts = { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16, batchNorm: true, dropout: 0.3 } };
    const run = async (keep: boolean) => {
      const dir = tempDir('trial');
      const epochs = [];
      for (let epoch = 1; epoch <= 3; epoch++) {
        if (!keep) releaseKeptEngines();
        const result = await trainSegment(segmentRequest(parts, { fromEpoch: epoch - 1, toEpoch: epoch, checkpointDir: dir }));
        expect(result.engine).toBe('graph');
        // Kept and taken again from the second segment on, unless released in between.
        expect(result.engineReused ?? false).toBe(keep && epoch > 1);
        epochs.push(result.epochs[0]!.metrics);
      }
      return { epochs, weights: await checkpointWeights(`${dir}/epoch-3`) };
    };
    releaseKeptEngines();
    const kept = await run(true);
    const fresh = await run(false);
    expect(maxDifference(kept.weights, fresh.weights)).toBe(0);
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) expect(kept.epochs.map((m) => m[key])).toEqual(fresh.epochs.map((m) => m[key]));
    releaseKeptEngines();
  });
});
