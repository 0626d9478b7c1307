// Training settings beyond the optimizer: learning-rate schedules, label smoothing, activations and the
// family `auto` resolves to. The pure rate function, the rate reaching each tfjs optimizer on the native
// backend, the smoothed loss against its formula, and real segments (the `lr` metric per epoch; a
// resumed schedule reproduces an uninterrupted one).
import { beforeAll, describe, expect, test } from 'vitest';
import {
  CheckpointError,
  createOptimizer,
  evaluateCheckpoint,
  InvalidConfigurationError,
  learningRateAt,
  loadTf,
  modelFamily,
  OPTIMIZERS,
  readCheckpointState,
  resolveOptimizerConfig,
  resolveSchedule,
  resolveTrialConfig,
  setLearningRate,
  trainSegment,
  type Tf,
} from '../../training';
import { resolveLabelSmoothing, smoothedCrossEntropy, trainingLoss } from '../../training/loss';
import { checkpointWeights, maxDifference, segmentRequest, npyDataset, smallSpec, tempDir, useTempCache } from './helpers';

const DATA = { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 150 } };
const MLP = { family: 'mlp', modelOptions: { units: 32, layers: 1 }, dataset: DATA };

let tf: Tf;
beforeAll(async () => {
  useTempCache();
  tf = await loadTf();
});

const request = segmentRequest;

const rates = (settings: Record<string, unknown>, total: number, base = 0.1) => {
  const schedule = resolveSchedule({ learningRate: base, ...settings });
  return Array.from({ length: total }, (_, i) => learningRateAt(base, schedule, i + 1, total));
};

describe('learningRateAt', () => {
  test('constant, step and exponential schedules', () => {
    expect(rates({}, 3)).toEqual([0.1, 0.1, 0.1]);
    expect(rates({ lrSchedule: 'step', lrStepSize: 2, lrGamma: 0.5 }, 5)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    const exponential = rates({ lrSchedule: 'exponential', lrGamma: 0.5 }, 4);
    [0.1, 0.05, 0.025, 0.0125].forEach((rate, i) => expect(exponential[i]).toBeCloseTo(rate, 15));
  });

  test('cosine starts at the base rate, is halfway at mid-trial and decreases towards lrMin', () => {
    const cosine = rates({ lrSchedule: 'cosine', lrMin: 0.02 }, 4);
    expect(cosine[0]).toBe(0.1);
    expect(cosine[2]).toBeCloseTo((0.1 + 0.02) / 2, 15); // t = 2 of 4: cos(pi/2) = 0
    expect(cosine[1]).toBeCloseTo(0.02 + 0.08 * (1 + Math.SQRT1_2) / 2, 15);
    for (let i = 1; i < cosine.length; i++) expect(cosine[i]).toBeLessThan(cosine[i - 1]!);
    expect(cosine.at(-1)).toBeGreaterThan(0.02);
    // Past the total the rate stays at lrMin.
    expect(learningRateAt(0.1, resolveSchedule({ lrSchedule: 'cosine', lrMin: 0.02 }), 9, 4)).toBeCloseTo(0.02, 15);
  });

  test('linear warm-up, then the schedule over the remaining epochs', () => {
    const warm = rates({ warmupEpochs: 4 }, 6);
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((rate, i) => expect(warm[i]).toBeCloseTo(rate, 15));
    const warmCosine = rates({ lrSchedule: 'cosine', warmupEpochs: 2 }, 6);
    expect(warmCosine.slice(0, 3)).toEqual([0.05, 0.1, 0.1]);
    expect(warmCosine[4]).toBeCloseTo(0.05, 15); // t = 2 of the 4 epochs after warm-up
    expect(rates({ lrSchedule: 'step', lrStepSize: 1, lrGamma: 0.5, warmupEpochs: 1 }, 3)).toEqual([0.1, 0.1, 0.05]);
  });

  test('bad settings name the key', () => {
    expect(() => resolveSchedule({ lrSchedule: 'linear' })).toThrow(/"lrSchedule" must be one of constant, step, exponential, cosine, got "linear"/);
    expect(() => resolveSchedule({ lrSchedule: 'step', lrGamma: 0 })).toThrow(/"lrGamma" must be a number > 0 and <= 1, got 0/);
    expect(() => resolveSchedule({ lrSchedule: 'step', lrStepSize: 0.5 })).toThrow(/"lrStepSize" must be an integer >= 1/);
    expect(() => resolveSchedule({ warmupEpochs: -1 })).toThrow(/"warmupEpochs" must be an integer >= 0/);
    expect(() => resolveSchedule({ lrSchedule: 'cosine', lrMin: 0.5, learningRate: 0.1 })).toThrow(/"lrMin" must be at most learningRate \(0.1\), got 0.5/);
  });
});

describe('setLearningRate', () => {
  // One step on sum(v^2): a rate of 0 must leave v alone, and a new rate must move it (sgd and momentum
  // cache the rate in a tensor, adam and rmsprop read a field: both paths are exercised).
  test.each(OPTIMIZERS)('a new rate takes effect on the native backend (%s)', (optimizer) => {
    expect(tf.getBackend()).toBe('tensorflow');
    const opt = createOptimizer(tf, resolveOptimizerConfig({ optimizer, learningRate: 0.1, momentum: optimizer === 'sgd' ? 0.5 : 0 }));
    const v = tf.variable(tf.tensor1d([1, -2]));
    const step = () => opt.minimize(() => tf.sum(tf.square(v)));
    try {
      setLearningRate(opt, 0);
      step();
      expect(Array.from(v.dataSync())).toEqual([1, -2]);
      setLearningRate(opt, 0.1);
      step();
      const moved = Array.from(v.dataSync());
      expect(Math.abs(moved[0]! - 1)).toBeGreaterThan(1e-3);
      expect(Math.abs(moved[1]! + 2)).toBeGreaterThan(1e-3);
    } finally {
      v.dispose();
      opt.dispose();
    }
  });

  test('plain sgd steps by exactly the new rate', () => {
    const opt = createOptimizer(tf, resolveOptimizerConfig({ optimizer: 'sgd', learningRate: 0.1 }));
    const v = tf.variable(tf.tensor1d([1, -2]));
    setLearningRate(opt, 0.25);
    opt.minimize(() => tf.sum(tf.square(v))); // v - 0.25 * 2v = v / 2
    expect(Array.from(v.dataSync())).toEqual([0.5, -1]);
    v.dispose();
    opt.dispose();
  });
});

describe('label smoothing', () => {
  test('the loss is the cross-entropy against y * (1 - s) + s / K', () => {
    const y = tf.tensor2d([[0, 1, 0]]);
    const p = tf.tensor2d([[0.2, 0.7, 0.1]]);
    const loss = (s: number) => smoothedCrossEntropy(tf, s)(y, p).dataSync()[0]!;
    // s = 0.3, K = 3: targets 0.1, 0.8, 0.1.
    expect(loss(0.3)).toBeCloseTo(-(0.1 * Math.log(0.2) + 0.8 * Math.log(0.7) + 0.1 * Math.log(0.1)), 5);
    expect(loss(0)).toBeCloseTo(-Math.log(0.7), 5);
    tf.dispose([y, p]);
  });

  test('settings: in [0, 1), and refused for families with their own loss', () => {
    expect(resolveLabelSmoothing({}, modelFamily('cnn'))).toBe(0);
    expect(resolveLabelSmoothing({ labelSmoothing: 0.1 }, modelFamily('cnn'))).toBe(0.1);
    expect(() => resolveLabelSmoothing({ labelSmoothing: 1 }, modelFamily('cnn'))).toThrow(/"labelSmoothing" must be a number >= 0 and <= 0.999999, got 1/);
    expect(() => resolveLabelSmoothing({ labelSmoothing: 0.1 }, modelFamily('svm-linear'))).toThrow(/model "svm-linear" trains with its own loss/);
    expect(trainingLoss(tf, modelFamily('cnn'), {}, 0)).toBe('categoricalCrossentropy');
    expect(typeof trainingLoss(tf, modelFamily('cnn'), {}, 0.1)).toBe('function');
    const config = resolveTrialConfig(smallSpec(MLP), { labelSmoothing: 0.2, lrSchedule: 'cosine' });
    expect(config).toMatchObject({ labelSmoothing: 0.2, schedule: { schedule: 'cosine', min: 0, warmupEpochs: 0 } });
  });

  test('a checkpoint evaluated with smoothing: same accuracy, the smoothed loss', async () => {
    const spec = smallSpec(MLP);
    const trained = await trainSegment(request(MLP, { toEpoch: 1 }));
    const plain = await evaluateCheckpoint({ spec, params: {}, checkpoint: trained.checkpoint, split: 'test' });
    const smoothed = await evaluateCheckpoint({ spec, params: { labelSmoothing: 0.2 }, checkpoint: trained.checkpoint, split: 'test' });
    expect(smoothed.test_accuracy).toBe(plain.test_accuracy);
    expect(Math.abs(smoothed.test_loss! - plain.test_loss!)).toBeGreaterThan(1e-3);
  });
});

describe('schedules in training segments', () => {
  test('each epoch records the rate it trained at, and the rate changes what is learned', async () => {
    const base = { optimizer: 'sgd', momentum: 0.9, learningRate: 0.04 };
    const stepped = await trainSegment(request(MLP, { params: { ...base, lrSchedule: 'step', lrStepSize: 1, lrGamma: 0.5 }, toEpoch: 3 }));
    expect(stepped.epochs.map((e) => e.metrics.lr)).toEqual([0.04, 0.02, 0.01]);
    const constant = await trainSegment(request(MLP, { params: base, toEpoch: 3 })); // lrGamma & co. would now be refused here
    expect(constant.epochs.map((e) => e.metrics.lr)).toEqual([0.04, 0.04, 0.04]);
    // Epoch 1 trains at the same rate in both; from epoch 2 on the weights part.
    expect(stepped.epochs[0]!.metrics.loss).toBeCloseTo(constant.epochs[0]!.metrics.loss!, 5);
    expect(maxDifference(await checkpointWeights(stepped.checkpoint), await checkpointWeights(constant.checkpoint))).toBeGreaterThan(1e-3);
  });

  test.each([
    ['adam, cosine with warm-up', { lrSchedule: 'cosine', warmupEpochs: 1, lrMin: 0.0005, learningRate: 0.01 }],
    ['sgd with momentum, exponential', { optimizer: 'sgd', momentum: 0.9, learningRate: 0.05, lrSchedule: 'exponential', lrGamma: 0.6 }],
    ['adamw, step, label smoothing', { optimizer: 'adamw', learningRate: 0.01, lrSchedule: 'step', lrStepSize: 2, lrGamma: 0.3, labelSmoothing: 0.1 }],
  ] as const)('2+2 resumed epochs equal 4 straight ones (%s)', async (_name, params) => {
    const straight = await trainSegment(request(MLP, { params, toEpoch: 4 }));
    const dir = tempDir('schedule');
    await trainSegment(request(MLP, { params, toEpoch: 2, checkpointDir: dir }));
    const resumed = await trainSegment(request(MLP, { params, fromEpoch: 2, toEpoch: 4, checkpointDir: dir }));
    expect(resumed.trainedEpochs).toBe(2);
    const lrs = straight.epochs.map((e) => e.metrics.lr!);
    expect(new Set(lrs).size).toBeGreaterThan(1);
    expect(resumed.epochs.map((e) => e.metrics.lr)).toEqual(lrs.slice(2));
    expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(resumed.checkpoint))).toBeLessThan(1e-4);
    for (const metric of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
      expect(resumed.epochs[1]!.metrics[metric], metric).toBeCloseTo(straight.epochs[3]!.metrics[metric]!, 4);
    }
  });

  test('a cosine schedule spans totalEpochs; a checkpoint of another total is refused', async () => {
    const params = { lrSchedule: 'cosine', learningRate: 0.01 };
    const dir = tempDir('schedule');
    const short = await trainSegment(request(MLP, { params, toEpoch: 2, totalEpochs: 2, checkpointDir: dir }));
    expect(short.epochs.map((e) => e.metrics.lr)).toEqual([0.01, 0.005]);
    await expect(trainSegment(request(MLP, { params, fromEpoch: 2, toEpoch: 3, totalEpochs: 8, checkpointDir: dir }))).rejects.toThrow(CheckpointError);
    // Without totalEpochs the spec's training.epochs (4) is the span.
    const spec = await trainSegment(request(MLP, { params, toEpoch: 2 }));
    expect(spec.epochs[1]!.metrics.lr).toBeCloseTo(0.005 * (1 + Math.SQRT1_2), 12);
  });

  test('auto records the family it picked, also in the checkpoint', async () => {
    const data = npyDataset('schedule-features', (count, seed) => {
      const x = new Float32Array(count * 8);
      const y = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        y[i] = i % 2;
        for (let j = 0; j < 8; j++) x[i * 8 + j] = ((i * 7 + j * 3 + seed) % 5) / 5 + y[i]!;
      }
      return { x, y, shape: [8] };
    });
    const dir = tempDir('schedule');
    const result = await trainSegment(request({ family: 'auto', modelOptions: { units: 8 }, dataset: data }, { toEpoch: 1, checkpointDir: dir }));
    expect(result.family).toBe('mlp');
    expect((await readCheckpointState(result.checkpoint)).family).toBe('mlp');
    // Replayed from the checkpoint (nothing trained), the family is still known.
    const again = await trainSegment(request({ family: 'auto', modelOptions: { units: 8 }, dataset: data }, { toEpoch: 1, checkpointDir: dir }));
    expect(again.trainedEpochs).toBe(0);
    expect(again.family).toBe('mlp');
  });

  test.each(['swish', 'gelu', 'mish', 'selu', 'leaky_relu'])('activation %s trains (finite loss, gradients through it)', async (activation) => {
    const result = await trainSegment(request(MLP, { params: { activation }, toEpoch: 1 }));
    expect(Number.isFinite(result.epochs[0]!.metrics.loss)).toBe(true);
    expect(result.epochs[0]!.metrics.grad_norm_min).toBeGreaterThan(0);
  });

  test('leaky_relu has the Keras 3 slope 0.2', () => {
    const model = modelFamily('mlp').build(tf, { kind: 'image', inputShape: [1, 2, 1], numClasses: 2, seed: 1 }, { units: 2, layers: 1, activation: 'leaky_relu' });
    const leaky = model.layers.find((layer) => layer.getClassName() === 'LeakyReLU')!;
    expect(leaky.getConfig().alpha).toBeCloseTo(0.2, 7);
    const out = tf.tidy(() => (leaky.apply(tf.tensor2d([[-1, 3]])) as ReturnType<Tf['tensor2d']>).arraySync());
    expect(out[0]![0]).toBeCloseTo(-0.2, 6);
    expect(out[0]![1]).toBe(3);
  });

  test.each([
    ['cnn', { filters: 4, denseUnits: 8, activation: 'leaky_relu' }],
    ['lenet', { activation: 'leaky_relu' }],
  ])('%s with leaky_relu (its layers linear, each followed by LeakyReLU) trains an epoch and resumes from the checkpoint', async (family, modelOptions) => {
    const parts = { family, modelOptions, dataset: DATA };
    const dir = tempDir('leaky');
    const first = await trainSegment(request(parts, { toEpoch: 1, checkpointDir: dir }));
    expect(Number.isFinite(first.epochs[0]!.metrics.loss)).toBe(true);
    const second = await trainSegment(request(parts, { fromEpoch: 1, toEpoch: 2, checkpointDir: dir }));
    expect(second.trainedEpochs).toBe(1);
    expect(Number.isFinite(second.epochs.at(-1)!.metrics.loss)).toBe(true);
  });

  test('a training key the optimizer or schedule of the trial ignores fails it, naming the key', () => {
    const spec = smallSpec(MLP);
    expect(() => resolveTrialConfig(spec, { momentum: 0.9 })).toThrow(/"momentum" is ignored by optimizer "adam" \(only sgd, rmsprop read it\)/);
    expect(() => resolveTrialConfig(spec, { optimizer: 'sgd', beta1: 0.8 })).toThrow(InvalidConfigurationError);
    expect(() => resolveTrialConfig(smallSpec({ ...MLP, modelOptions: { ...MLP.modelOptions, lrMin: 0.001 } }), { lrSchedule: 'step' })).toThrow(
      /"lrMin" is ignored by lrSchedule "step" \(only cosine read it\)/,
    );
    // Read by the chosen optimizer and schedule: fine.
    expect(resolveTrialConfig(spec, { optimizer: 'sgd', momentum: 0.9, weightDecay: 1e-4, lrSchedule: 'step', lrGamma: 0.5 }).optimizer).toMatchObject({ momentum: 0.9, weightDecay: 1e-4 });
  });

  test('bad schedule settings fail the segment with InvalidConfigurationError', async () => {
    await expect(trainSegment(request(MLP, { params: { lrSchedule: 'cyclic' } }))).rejects.toThrow(InvalidConfigurationError);
    await expect(trainSegment(request({ ...MLP, family: 'svm-linear', modelOptions: {} }, { params: { labelSmoothing: 0.1 } }))).rejects.toThrow(/labelSmoothing/);
  });
});
