import { existsSync, mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CheckpointError,
  EPOCH_METRICS,
  evaluateCheckpoint,
  exportModel,
  InvalidConfigurationError,
  isOutOfMemory,
  listCheckpoints,
  loadTf,
  modelFamily,
  resolveTrialConfig,
  trainSegment,
  TrainingDivergedError,
  TrainingOutOfMemoryError,
  type EpochResult,
  type Tf,
} from '../../training';
import { pulledSums } from '../../training/segment';
import { checkpointWeights, maxDifference, segmentRequest, smallSpec, tempDir, useTempCache } from './helpers';

const DATA = { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 150 } };
const TINY_CNN = { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16 }, dataset: DATA };

let tf: Tf;
beforeAll(async () => {
  useTempCache();
  tf = await loadTf();
});

const request = segmentRequest;

describe('trainSegment', () => {
  test.each([
    ['adam', TINY_CNN, {}],
    ['sgd with momentum', { family: 'mlp', modelOptions: { units: 32, layers: 1 }, dataset: DATA }, { optimizer: 'sgd', momentum: 0.9, learningRate: 0.05 }],
    ['rmsprop', { family: 'mlp', modelOptions: { units: 32, layers: 1 }, dataset: DATA }, { optimizer: 'rmsprop', momentum: 0.5 }],
    ['adamw with batch norm', { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16, batchNorm: true }, dataset: DATA }, { optimizer: 'adamw' }],
  ] as const)('2+2 resumed epochs equal 4 straight epochs (%s)', async (_name, parts, params) => {
    const straight = await trainSegment(request(parts, { params, toEpoch: 4 }));
    const dir = tempDir('trial');
    const first = await trainSegment(request(parts, { params, toEpoch: 2, checkpointDir: dir }));
    const second = await trainSegment(request(parts, { params, fromEpoch: 2, toEpoch: 4, checkpointDir: dir }));
    expect(first.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(second.epochs.map((e) => e.epoch)).toEqual([3, 4]);
    expect(second.trainedEpochs).toBe(2);
    // Without the optimizer state (moments, iteration count) the weights would drift far beyond float noise.
    expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(second.checkpoint))).toBeLessThan(1e-4);
    expect(second.epochs[1]!.metrics.loss).toBeCloseTo(straight.epochs[3]!.metrics.loss!, 4);
    expect(await listCheckpoints(dir)).toEqual([2, 4]); // segment boundaries only
    // train_seconds sums the trial's epochs across segments: epoch 3 adds its own time to epochs 1-2.
    const all = [...first.epochs, ...second.epochs];
    all.forEach((e, i) => expect(e.metrics.train_seconds).toBeCloseTo(all.slice(0, i + 1).reduce((sum, x) => sum + x.seconds, 0), 9));
  });

  test('reports the documented metrics per epoch and the fit time', async () => {
    const seen: EpochResult[] = [];
    const before = Date.now();
    const result = await trainSegment(request({ ...TINY_CNN, training: { epochs: 2 } }, { toEpoch: 2, onEpoch: (e) => void seen.push(e) }));
    expect(seen).toEqual(result.epochs);
    const metrics = result.epochs[1]!.metrics;
    // Inference latency costs six predictions: timed on the trial's last epoch unless the spec ranks by it.
    expect(result.epochs[0]!.metrics.inference_ms_per_sample).toBeUndefined();
    // EPOCH_METRICS plus per-layer health: TINY_CNN is conv, pool, conv, pool, flatten, dense, dense (relu except the last).
    const perLayer = Object.keys(metrics).filter((k) => k.includes('/'));
    expect(Object.keys(metrics).filter((k) => !k.includes('/')).sort()).toEqual([...EPOCH_METRICS].sort());
    expect(perLayer.filter((k) => k.startsWith('grad_norm/'))).toHaveLength(4);
    expect(perLayer.filter((k) => k.startsWith('dead_fraction/'))).toHaveLength(3);
    expect(result.epochs[1]!.endedAt).toBeGreaterThanOrEqual(before);
    expect(result.backend).toBe('tensorflow');
    expect(result.paramCount).toBeGreaterThan(1000);
    expect(result.trainSeconds).toBeGreaterThan(0);
    expect(result.trainSeconds).toBeLessThan(result.wallSeconds);
    expect(metrics.samples_per_second).toBeGreaterThan(0);
  });

  test('inference latency is timed every epoch when an objective or a constraint reads it', async () => {
    for (const reads of [{ objective: true }, { constraint: true }]) {
      const req = request(TINY_CNN, { toEpoch: 2 });
      if (reads.objective) req.spec.objective.push({ metric: 'inference_ms_per_sample', direction: 'minimize' });
      else req.spec.search.constraints = [{ metric: 'inference_ms_per_sample', max: 100 }];
      const result = await trainSegment(req);
      for (const epoch of result.epochs) expect(epoch.metrics.inference_ms_per_sample).toBeGreaterThan(0);
    }
  });

  test('a retried segment replays checkpointed epochs and trains only the missing ones', async () => {
    const dir = tempDir('trial');
    const killAfterTwo = (e: EpochResult) => {
      if (e.epoch === 2) throw new Error('worker killed');
    };
    await expect(trainSegment(request(TINY_CNN, { toEpoch: 4, checkpointDir: dir, onEpoch: killAfterTwo }))).rejects.toThrow('worker killed');
    expect(await listCheckpoints(dir)).toEqual([1, 2]);
    // A writer killed mid-checkpoint leaves a temporary folder: it is not a checkpoint, and old ones are swept.
    const staleTemp = join(dir, '.tmp-epoch-3-999-dead');
    mkdirSync(staleTemp);
    utimesSync(staleTemp, new Date(0), new Date(0));

    const seen: EpochResult[] = [];
    const retry = await trainSegment(request(TINY_CNN, { toEpoch: 4, checkpointDir: dir, onEpoch: (e) => void seen.push(e) }));
    expect(retry.trainedEpochs).toBe(2);
    expect(retry.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(existsSync(staleTemp)).toBe(false);

    const straight = await trainSegment(request(TINY_CNN, { toEpoch: 4 }));
    expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(retry.checkpoint))).toBeLessThan(1e-4);

    // The same request once more (a lost activity result): nothing to train, same epochs, same end times.
    const again = await trainSegment(request(TINY_CNN, { toEpoch: 4, checkpointDir: dir }));
    expect(again.trainedEpochs).toBe(0);
    expect(again.epochs).toEqual(retry.epochs);
  });

  test('a wrong fromEpoch or another configuration cannot resume a checkpoint', async () => {
    const dir = tempDir('trial');
    await trainSegment(request(TINY_CNN, { toEpoch: 2, checkpointDir: dir }));
    await expect(trainSegment(request(TINY_CNN, { fromEpoch: 1, toEpoch: 3, checkpointDir: dir }))).rejects.toThrow(CheckpointError);
    await expect(trainSegment(request(TINY_CNN, { fromEpoch: 1, toEpoch: 3, checkpointDir: dir }))).rejects.toThrow(
      /cannot resume from epoch 1: .*epoch-1 is missing but epoch 2 exists/,
    );
    await expect(trainSegment(request(TINY_CNN, { fromEpoch: 5, toEpoch: 6, checkpointDir: dir }))).rejects.toThrow(/no checkpoint/);
    await expect(trainSegment(request(TINY_CNN, { fromEpoch: 2, toEpoch: 3, checkpointDir: dir, seed: 8 }))).rejects.toThrow(
      /trained with another configuration/,
    );
    await expect(trainSegment(request(TINY_CNN, { fromEpoch: 2, toEpoch: 2, checkpointDir: dir }))).rejects.toThrow(/toEpoch must be an integer > fromEpoch/);
  });

  // A rate of 1e6 only saturates the softmax (the clipped cross-entropy stays finite, ~13); 1e30 overflows.
  test.each(['adam', 'sgd'])('an exploding learning rate fails with TrainingDivergedError (%s)', async (optimizer) => {
    const dir = tempDir('trial');
    const error = await trainSegment(request(TINY_CNN, { params: { learningRate: 1e30, optimizer }, checkpointDir: dir })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).name).toBe('TrainingDivergedError');
    expect((error as Error).message).toMatch(/^training diverged in epoch 1: loss not finite \(loss=NaN/);
    expect(await listCheckpoints(dir)).toEqual([]); // a diverged epoch is not checkpointed
  });

  test('TensorFlow and V8 allocation failures are recognized as out of memory', () => {
    expect(isOutOfMemory(new Error('OOM when allocating tensor with shape[65536,65536] and type float'))).toBe(true);
    expect(isOutOfMemory(new Error('Resource exhausted: failed to allocate memory'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('Incompatible shapes: [32,10] vs. [32,6]'))).toBe(false);
    expect(new TrainingOutOfMemoryError('OOM').name).toBe('TrainingOutOfMemoryError');
  });

  test('bad hyperparameters fail with InvalidConfigurationError naming the key', async () => {
    await expect(trainSegment(request(TINY_CNN, { params: { filtrs: 8 } }))).rejects.toThrow(/unknown setting "filtrs"/);
    await expect(trainSegment(request(TINY_CNN, { params: { kernelSize: 2.5 } }))).rejects.toThrow(InvalidConfigurationError);
    await expect(trainSegment(request(TINY_CNN, { params: { optimizer: 'lion' } }))).rejects.toThrow(/"optimizer" must be one of adam, adamw, sgd, rmsprop/);
    // A trial parameter overrides training.learningRate; model options reach the model.
    const config = resolveTrialConfig(smallSpec(TINY_CNN), { learningRate: 0.05, filters: 12 });
    expect(config.optimizer).toMatchObject({ optimizer: 'adam', learningRate: 0.05, batchSize: 32 });
    expect(config.hyper).toMatchObject({ filters: 12, denseUnits: 16 });
  });

  test('an aborted signal stops the segment and keeps finished epochs', async () => {
    const controller = new AbortController();
    const dir = tempDir('trial');
    const run = trainSegment(
      request(TINY_CNN, { toEpoch: 4, checkpointDir: dir, signal: controller.signal, onEpoch: (e) => void (e.epoch === 1 && controller.abort(new Error('cancelled'))) }),
    );
    await expect(run).rejects.toThrow('cancelled');
    expect(await listCheckpoints(dir)).toEqual([1]);
  });

  // The graph engine is several times faster: smaller batches keep its epoch long enough to measure.
  test.each([
    ['graph', 4],
    ['eager', 16],
  ] as const)('timers (heartbeats) keep firing during a long epoch (%s engine)', async (engine, batchSize) => {
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(Date.now()), 50);
    const before = process.env.TUNEFLOW_ENGINE;
    process.env.TUNEFLOW_ENGINE = engine;
    try {
      const parts = { family: 'cnn', dataset: { name: 'synthetic-shapes', options: { trainSize: 6000, testSize: 100 } } };
      const result = await trainSegment(request(parts, { toEpoch: 1, params: { batchSize } }));
      expect(result.engine).toBe(engine);
      const epoch = result.epochs[0]!;
      const epochStart = epoch.endedAt - epoch.seconds * 1000;
      expect(epoch.seconds).toBeGreaterThan(0.6);
      // Without yielding inside fit() no timer could run between the epoch's start and end.
      expect(ticks.filter((t) => t > epochStart + 100 && t < epoch.endedAt - 100).length).toBeGreaterThanOrEqual(2);
    } finally {
      clearInterval(timer);
      if (before === undefined) delete process.env.TUNEFLOW_ENGINE;
      else process.env.TUNEFLOW_ENGINE = before;
    }
  });

  test("the divergence check's sums of the graph engine's pulled weights are tfjs's, and not finite where one value is not", () => {
    // Batch norm's moving statistics are weights but not trainable: model.weights' order is not the trainable one.
    const model = modelFamily('cnn').build(tf, { kind: 'image', inputShape: [8, 8, 1], numClasses: 3, seed: 1 }, { filters: 2, denseUnits: 4, batchNorm: true });
    try {
      expect(model.trainableWeights.length).toBeLessThan(model.weights.length);
      const pulled = model.getWeights().map((w) => ({ dtype: 'float32' as const, shape: [...w.shape], data: Float32Array.from(w.dataSync()) }));
      const sums = pulledSums(model, pulled);
      const expected = model.trainableWeights.map((w) => tf.sum(w.read()).dataSync()[0]!);
      sums.forEach((sum, i) => expect(sum).toBeCloseTo(expected[i]!, 4));
      // A NaN in the last trainable weight: only its sum is not finite.
      const last = model.trainableWeights.at(-1)!;
      pulled[model.weights.indexOf(last)]!.data[0] = Number.NaN;
      const bad = pulledSums(model, pulled).map((sum) => Number.isFinite(sum));
      expect(bad).toEqual(model.trainableWeights.map((w) => w !== last));
    } finally {
      model.dispose();
    }
  });

  test('segments do not leak tensors', async () => {
    await trainSegment(request(TINY_CNN)); // warm-up: lazily created kernels and caches
    const before = tf.memory().numTensors;
    const dir = tempDir('trial');
    await trainSegment(request(TINY_CNN, { checkpointDir: dir }));
    await trainSegment(request(TINY_CNN, { fromEpoch: 2, toEpoch: 3, checkpointDir: dir }));
    await trainSegment(request(TINY_CNN, { params: { learningRate: 1e30 } })).catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a checkpoint evaluates on the test split and exports as a loadable tfjs model', async () => {
    const spec = smallSpec(TINY_CNN);
    const result = await trainSegment(request(TINY_CNN, { toEpoch: 3 }));
    const test = await evaluateCheckpoint({ spec, params: {}, checkpoint: result.checkpoint, split: 'test' });
    expect(Object.keys(test).sort()).toEqual(['test_accuracy', 'test_loss']);
    expect(test.test_accuracy).toBeGreaterThan(1 / 6);
    const validation = await evaluateCheckpoint({ spec, params: {}, checkpoint: result.checkpoint, split: 'validation' });
    expect(validation.val_loss).toBeCloseTo(result.epochs[2]!.metrics.val_loss!, 4);

    const dest = join(tempDir('export'), 'model');
    const files = await exportModel(result.checkpoint, dest);
    expect(files.map((f) => f.name)).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dest).sort()).toEqual(['model.json', 'weights.bin']);
    expect(maxDifference(await checkpointWeights(dest), await checkpointWeights(result.checkpoint))).toBe(0);
  });
});
