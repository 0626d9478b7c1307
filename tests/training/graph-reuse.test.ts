// A trial's graph engine kept between its segments in one process (training/graph/reuse.ts): the next
// segment takes it only when the graph is the same and the engine holds exactly the checkpoint's weights
// and optimizer state, and a trial trained with reuse ends with the very weights and metrics it gets
// when every segment builds its engine. Skipped, saying why, only when the addon is not built.
import { beforeAll, describe, expect, test } from 'vitest';
import type { LayersModel, Optimizer } from '@tensorflow/tfjs';
import { modelFamily, resolveOptimizerConfig, trainSegment, type Tf } from '../../training';
import { chooseEngine, releaseEngine, releaseKeptEngines, syncToTfjs, trainEpoch } from '../../training/graph';
import { createOptimizer } from '../../training/optimizer';
import { checkpointWeights, graphAddonOrSkip, maxDifference, segmentRequest, tempDir, trainingTf } from './helpers';

const addon = graphAddonOrSkip('graph-reuse');

let tf: Tf;
beforeAll(async () => {
  tf = await trainingTf();
});

const INPUT = { kind: 'image' as const, inputShape: [8, 8, 1] as [number, number, number], numClasses: 3, seed: 4 };
const CONFIG = resolveOptimizerConfig({ optimizer: 'adam', batchSize: 16, learningRate: 0.01 });
const LOSS = { kind: 'cross-entropy' as const, labelSmoothing: 0 };

function compiled(hyper: Record<string, unknown>): { model: LayersModel; optimizer: Optimizer } {
  const model = modelFamily('cnn').build(tf, INPUT, hyper);
  const optimizer = createOptimizer(tf, CONFIG);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return { model, optimizer };
}

/** The same trial's state in a new model and optimizer, as a resumed segment loads it from its checkpoint. */
async function copyOf(from: { model: LayersModel; optimizer: Optimizer }, hyper: Record<string, unknown>, nudge = false) {
  const to = compiled(hyper);
  const weights = from.model.getWeights().map((w, i) => (nudge && i === 0 ? tf.add(w, 1e-6) : tf.clone(w)));
  to.model.setWeights(weights);
  tf.dispose(weights);
  const state = await from.optimizer.getWeights();
  await to.optimizer.setWeights(state.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) })));
  return to;
}

describe.skipIf(!addon.available)(`graph engine reuse between segments${addon.note}`, () => {
  test('the next segment takes the kept engine only for the same graph and the very same state', async () => {
    const hyper = { filters: 4, denseUnits: 8, batchNorm: true, dropout: 0.2 };
    const first = compiled(hyper);
    const choice = await chooseEngine(tf, first.model, first.optimizer, { optimizer: CONFIG, loss: LOSS, numClasses: 3, trial: 'trial-a' });
    expect(choice.reused).toBe(false);
    const x = Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) / 7);
    const y = Float32Array.from({ length: 64 * 3 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    await trainEpoch(choice.engine!, { x, y }, { order: Int32Array.from({ length: 64 }, (_, i) => i), batchSize: 16, learningRate: 0.01, seedBase: 1 });
    await syncToTfjs(tf, choice.engine!, first.model, first.optimizer);
    releaseEngine(choice, true);

    // Same state, new tfjs instances (other variable names): the kept engine, under the new names.
    const same = await copyOf(first, hyper);
    const again = await chooseEngine(tf, same.model, same.optimizer, { optimizer: CONFIG, loss: LOSS, numClasses: 3, trial: 'trial-a' });
    expect(again.reused).toBe(true);
    expect(again.engine).toBe(choice.engine);
    expect(again.engine!.iterations).toBe(4);
    // Slots named after the new model's variables, as a new engine names them.
    const names = same.model.trainableWeights.map((w) => w.name);
    expect(names[0]).not.toBe(first.model.trainableWeights[0]!.name);
    expect(again.engine!.getOptimizerState().slice(1).map((s) => s.name)).toEqual([...names.map((n) => `${n}/m`), ...names.map((n) => `${n}/v`)]);
    releaseEngine(again, true);

    // One weight a millionth off (a PBT member handed its donor's checkpoint): a new engine.
    const nudged = await copyOf(first, hyper, true);
    const rebuilt = await chooseEngine(tf, nudged.model, nudged.optimizer, { optimizer: CONFIG, loss: LOSS, numClasses: 3, trial: 'trial-a' });
    expect(rebuilt.reused).toBe(false);
    expect(rebuilt.engine).not.toBe(choice.engine);
    releaseEngine(rebuilt, true);

    // Another graph (another dropout rate), the same weights: a new engine.
    const other = await copyOf(nudged, { ...hyper, dropout: 0.3 });
    const otherChoice = await chooseEngine(tf, other.model, other.optimizer, { optimizer: CONFIG, loss: LOSS, numClasses: 3, trial: 'trial-a' });
    expect(otherChoice.reused).toBe(false);
    // A failed segment's engine is not kept.
    releaseEngine(otherChoice, false);
    const after = await copyOf(other, { ...hyper, dropout: 0.3 });
    expect((await chooseEngine(tf, after.model, after.optimizer, { optimizer: CONFIG, loss: LOSS, numClasses: 3, trial: 'trial-a' })).reused).toBe(false);
    releaseKeptEngines();
    for (const m of [first, same, nudged, other, after]) m.model.dispose();
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
