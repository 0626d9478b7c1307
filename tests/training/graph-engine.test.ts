// The graph engine (training/graph/, native/graph-engine/) against the eager engine (tfjs model.fit):
// from the same weights over the same batches their losses and weights agree to float rounding, for
// every family it covers and every optimizer; checkpoints cross engines; seeded dropout makes resumed
// graph training equal uninterrupted training. Skipped, saying why, only when the addon is not built.
import { beforeAll, describe, expect, test } from 'vitest';
import type { LayersModel } from '@tensorflow/tfjs';
import { modelFamily, resolveOptimizerConfig, trainSegment, type Tf } from '../../training';
import { chooseEngine, epochMeans, trainEpoch, translateModel, type GraphEngine } from '../../training/graph';
import type { ModelFamily } from '../../training/models';
import { regressionLoss, trainingLoss, type LossKind, type RegressionLoss } from '../../training/loss';
import { createOptimizer } from '../../training/optimizer';
import { mulberry32 } from '../../training/rng';
import { checkpointWeights, graphAddonOrSkip, maxDifference, npyDataset, segmentRequest, tempDir, tokenSequences, trainingTf } from './helpers';

const addon = graphAddonOrSkip('graph-engine');

let tf: Tf;
beforeAll(async () => {
  tf = await trainingTf();
});

const SHAPE: [number, number, number] = [16, 16, 1];
const CLASSES = 4;
/** 100 examples: three batches of 32 and a last one of 4, as fit() splits them. */
const COUNT = 100;
const BATCH = 32;

const STEPS = 10;
const VOCABULARY = 40;
const FEATURES = 3;
const SEQUENCE_FAMILIES = new Set(['lstm', 'cnn-lstm', 'transformer']);
/** Regression targets per example of the time-series cases. */
const TARGETS = 2;

type Kind = 'image' | 'sequence' | 'padded' | 'series';

/**
 * Random images, token sequences of length STEPS (padded: ids 1.. after 0 to STEPS padding zeros at the
 * front, all-padding rows included) or float series [STEPS, FEATURES], labels cycling through the
 * classes (series: TARGETS real targets from the series, spread beyond huber's delta).
 */
function data(kind: Kind) {
  const random = mulberry32(5);
  if (kind === 'series') {
    const x = Float32Array.from({ length: COUNT * STEPS * FEATURES }, () => 2 * random() - 1);
    const y = new Float32Array(COUNT * TARGETS);
    for (let i = 0; i < COUNT; i++) {
      y[i * TARGETS] = 3 * x[i * STEPS * FEATURES + (STEPS - 1) * FEATURES]!;
      y[i * TARGETS + 1] = 2 * random() - 1;
    }
    return { x, y, xShape: [STEPS, FEATURES], width: TARGETS };
  }
  if (kind === 'padded') {
    const x = Int32Array.from({ length: COUNT * STEPS }, (_, i) => (i % STEPS < Math.floor(i / STEPS) % (STEPS + 1) ? 0 : 1 + Math.floor(random() * (VOCABULARY - 1))));
    const y = new Float32Array(COUNT * CLASSES);
    for (let i = 0; i < COUNT; i++) y[i * CLASSES + ((i * 7) % CLASSES)] = 1;
    return { x, y, xShape: [STEPS], width: CLASSES };
  }
  const x = kind === 'sequence' ? Int32Array.from({ length: COUNT * STEPS }, () => Math.floor(random() * VOCABULARY)) : Float32Array.from({ length: COUNT * 256 }, () => random());
  const y = new Float32Array(COUNT * CLASSES);
  for (let i = 0; i < COUNT; i++) y[i * CLASSES + ((i * 7) % CLASSES)] = 1;
  return { x, y, xShape: kind === 'sequence' ? [STEPS] : SHAPE, width: CLASSES };
}

function modelInputOf(kind: Kind) {
  if (kind === 'sequence' || kind === 'padded') return { kind: 'sequence' as const, inputShape: [STEPS] as [number], vocabularySize: VOCABULARY, numClasses: CLASSES, seed: 3 };
  if (kind === 'series') return { kind, inputShape: [STEPS, FEATURES] as [number, number], numClasses: TARGETS, seed: 3 };
  return { kind, inputShape: SHAPE, numClasses: CLASSES, seed: 3 };
}

interface Run {
  losses: number[];
  weights: Float32Array[];
}

interface Case {
  /** The data: images (default), token sequences or time series. */
  kind?: Kind;
  labelSmoothing?: number;
  /** Time series: the regression loss (default mse). */
  regression?: RegressionLoss;
}

/** Two epochs of `family` from the same initial weights, eagerly (model.fit) and on the graph engine. */
async function bothEngines(family: string | ModelFamily, hyper: Record<string, unknown>, settings: Record<string, unknown>, { kind = 'image', labelSmoothing = 0, regression = 'mse' }: Case = {}): Promise<{ eager: Run; graph: Run; engine: string }> {
  const config = resolveOptimizerConfig({ batchSize: BATCH, learningRate: 0.01, ...settings });
  const { x, y, xShape, width } = data(kind);
  const fam = typeof family === 'string' ? modelFamily(family) : family;
  const input = modelInputOf(kind);
  const series = kind === 'series';
  const build = () => {
    const model = fam.build(tf, input, hyper);
    const optimizer = createOptimizer(tf, config);
    const loss = series ? regressionLoss(tf, regression) : trainingLoss(tf, fam, hyper, labelSmoothing);
    model.compile({ optimizer, loss, metrics: series ? ['mse', 'mae'] : ['accuracy'] });
    return { model, optimizer };
  };
  const order = Int32Array.from({ length: COUNT }, (_, i) => (i * 37) % COUNT);
  const eager = build();
  const [xs, ys] = tf.tidy(() => {
    const indices = tf.tensor1d(order, 'int32');
    return [tf.gather(tf.tensor(x, [COUNT, ...xShape], x instanceof Int32Array ? 'int32' : 'float32'), indices), tf.gather(tf.tensor2d(y, [COUNT, width]), indices)];
  });
  const eagerLosses: number[] = [];
  await eager.model.fit(xs, ys, {
    epochs: 2,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
    callbacks: { onBatchEnd: async (_batch, logs) => void eagerLosses.push(Number(logs?.loss)) },
  });
  const graph = build();
  const loss: LossKind = series ? { kind: regression } : (fam.lossKind?.(hyper) ?? { kind: 'cross-entropy', labelSmoothing });
  const choice = await chooseEngine(tf, graph.model, graph.optimizer, { optimizer: config, loss, numClasses: width });
  expect(choice.reason).toBeNull();
  const engine = choice.engine as GraphEngine;
  const graphLosses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) graphLosses.push(...(await trainEpoch(engine, { x, y }, { order, batchSize: BATCH, learningRate: config.learningRate, seedBase: epoch })).losses);
  const result = {
    eager: { losses: eagerLosses, weights: weightsOf(eager.model) },
    graph: { losses: graphLosses, weights: engine.getWeights().map((w) => w.data as Float32Array) },
    engine: choice.engine ? 'graph' : 'eager',
  };
  engine.dispose();
  tf.dispose([xs, ys]);
  eager.model.dispose();
  graph.model.dispose();
  return result;
}

function weightsOf(model: LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

function expectSameSteps({ eager, graph }: { eager: Run; graph: Run }): void {
  expect(graph.losses).toHaveLength(8);
  expect(eager.losses).toHaveLength(8);
  graph.losses.forEach((loss, i) => expect(Math.abs(loss - eager.losses[i]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(eager.losses[i]!))));
  // Adam moves a weight by about lr (0.01) per step whatever its gradient's size, so a gradient that is
  // 0 on one side and 1e-12 on the other (a ReLU at its kink) shows as ~1e-4 here: a tenth of a step.
  // The weights include batch normalization's moving mean and variance, which the graph updates too.
  expect(maxDifference(eager.weights, graph.weights)).toBeLessThan(1e-3);
  // The models did learn something: the weights moved, so agreeing is not trivially true.
  expect(new Set(graph.losses.map((l) => l.toFixed(5))).size).toBeGreaterThan(4);
}

describe.skipIf(!addon.available)(`graph engine${addon.note}`, () => {
  test.each([
    ['mlp', {}],
    ['mlp', { layers: 3, units: 24, activation: 'tanh' }],
    ['mlp', { layers: 2, units: 16, activation: 'gelu' }],
    ['mlp', { layers: 2, units: 16, activation: 'leaky_relu' }],
    ['mlp', { layers: 2, units: 16, activation: 'swish' }],
    ['mlp', { layers: 1, units: 16, activation: 'mish' }],
    ['mlp', { layers: 1, units: 16, activation: 'elu' }],
    ['mlp', { layers: 1, units: 16, activation: 'selu' }],
    ['mlp', { layers: 1, units: 16, activation: 'sigmoid' }],
    ['mlp', { layers: 1, units: 16, activation: 'softplus' }],
    ['mlp', { layers: 1, units: 16, activation: 'relu6' }],
    ['lenet', {}],
    ['lenet', { activation: 'tanh' }],
    ['cnn', { filters: 4, denseUnits: 16 }],
    ['cnn', { filters: 4, denseUnits: 0, pooling: 'avg', convsPerBlock: 2, kernelSize: 5 }],
    ['cnn', { filters: 4, denseUnits: 16, batchNorm: true }],
    ['mlp', { layers: 2, units: 16, batchNorm: true }],
    ['softmax', {}],
    ['softmax', { l1: 0.001, l2: 0.01 }],
    ['lstm', { units: 16, embeddingSize: 8 }],
    ['lstm', { units: 8, embeddingSize: 8, layers: 2 }],
    ['lstm', { units: 8, embeddingSize: 8, layers: 2, bidirectional: true }],
    // Functional models: residual adds, concatenated branches, fused branches.
    ['cnn', { filters: 4, denseUnits: 16, residual: true }],
    ['cnn', { filters: 4, denseUnits: 16, residual: true, batchNorm: true, convsPerBlock: 2, activation: 'leaky_relu' }],
    ['cnn', { filters: 4, denseUnits: 0, branches: [1, 3] }],
    ['cnn', { filters: 4, denseUnits: 16, residual: true, branches: '3,5', pooling: 'avg' }],
    ['mlp', { layers: 2, units: 16, residual: true }],
    ['mlp', { layers: 2, units: 16, residual: true, batchNorm: true, activation: 'gelu' }],
    ['cnn-lstm', { embeddingSize: 8, filters: 8, units: 8 }],
    ['cnn-lstm', { embeddingSize: 8, filters: 8, units: 8, convLayers: 2, fusion: 'gated', fusionUnits: 8 }],
    // Layer normalization, self-attention, positional encoding.
    ['cnn-lstm', { embeddingSize: 8, filters: 8, units: 8, fusion: 'attention' }],
    ['lstm', { units: 8, embeddingSize: 8, attention: true, attentionHeads: 2 }],
    ['lstm', { units: 4, embeddingSize: 8, attention: true, attentionHeads: 4, bidirectional: true }],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 16 }],
    ['transformer', { embeddingSize: 8, heads: 4, blocks: 2, ffUnits: 8, pooling: 'max' }],
    // The SVMs' own (squared) hinge losses, the elastic-net penalty, fixed random Fourier features.
    ['svm-linear', {}],
    ['svm-linear', { loss: 'hinge', l1: 0.001, l2: 0.01 }],
    ['svm-rbf', { features: 64 }],
    ['svm-rbf', { features: 32, gamma: 0.05, loss: 'hinge' }],
  ] as const)('%s %j: losses and weights equal the eager engine step by step (adam)', async (family, hyper) => {
    const run = await bothEngines(family, hyper, { optimizer: 'adam' }, { kind: SEQUENCE_FAMILIES.has(family) ? 'sequence' : 'image' });
    expect(run.engine).toBe('graph');
    expectSameSteps(run);
  });

  test.each([
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 16 }],
    ['transformer', { embeddingSize: 8, heads: 4, blocks: 2, ffUnits: 8, pooling: 'max' }],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 16, maskPadding: false }],
    ['lstm', { units: 8, embeddingSize: 8, attention: true, attentionHeads: 2 }],
    ['cnn-lstm', { embeddingSize: 8, filters: 8, units: 8, fusion: 'attention' }],
  ] as const)('front-padded tokens: %s %j takes the same steps as the eager engine (padding masked unless maskPadding is false)', async (family, hyper) => {
    const model = modelFamily(family).build(tf, modelInputOf('padded'), hyper);
    const translated = translateModel(model);
    model.dispose();
    if (!('model' in translated)) throw new Error(translated.reason);
    // The token ids feed the embedding and, as their last input, every masked layer.
    const masked = translated.model.nodes.filter((n) => n.layer.kind === 'maskedPool' || ('mask' in n.layer && n.layer.mask));
    expect(masked.length).toBe('maskPadding' in hyper ? 0 : family === 'transformer' ? hyper.blocks + 1 : family === 'lstm' ? 2 : 1);
    for (const node of masked) expect(node.inputs.at(-1)).toBe(-1);
    expect(translated.model.inputDtype).toBe('int32');
    const run = await bothEngines(family, hyper, { optimizer: 'adam' }, { kind: 'padded' });
    expect(run.engine).toBe('graph');
    expectSameSteps(run);
  });

  test('a user model with a Reshape layer takes the same steps as the eager engine', async () => {
    // Rows of the image as a sequence: [16, 16, 1] -> [16, 16], a dense layer over every row, then the classes.
    const rows: ModelFamily = {
      name: 'rows',
      description: 'test model',
      hyperparameters: {},
      validateOptions: () => undefined,
      build: (t, input) =>
        t.sequential({
          layers: [
            t.layers.reshape({ inputShape: input.inputShape, targetShape: [SHAPE[0], SHAPE[1] * SHAPE[2]] }),
            t.layers.dense({ units: 6, activation: 'relu', kernelInitializer: t.initializers.glorotUniform({ seed: 1 }) }),
            t.layers.flatten(),
            t.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: t.initializers.glorotUniform({ seed: 2 }) }),
          ],
        }),
    };
    const run = await bothEngines(rows, {}, { optimizer: 'adam' });
    expect(run.engine).toBe('graph');
    expectSameSteps(run);
  });

  test.each([
    ['adamw', { optimizer: 'adamw', weightDecay: 0.05 }],
    ['sgd', { optimizer: 'sgd' }],
    ['sgd with momentum', { optimizer: 'sgd', momentum: 0.9 }],
    ['sgd with Nesterov momentum', { optimizer: 'sgd', momentum: 0.9, nesterov: true }],
    ['rmsprop', { optimizer: 'rmsprop' }],
    ['rmsprop with momentum and weight decay', { optimizer: 'rmsprop', momentum: 0.5, weightDecay: 0.01 }],
  ] as const)('optimizer %s: the same steps as the eager engine (mlp)', async (_name, settings) => {
    expectSameSteps(await bothEngines('mlp', { layers: 1, units: 32 }, settings));
  });

  test('label smoothing: the same loss as the eager engine', async () => {
    expectSameSteps(await bothEngines('cnn', { filters: 4, denseUnits: 16 }, { optimizer: 'adam' }, { labelSmoothing: 0.1 }));
  });

  test.each([
    ['lstm', { units: 8 }, 'mse'],
    ['lstm', { units: 8 }, 'mae'],
    ['lstm', { units: 8 }, 'huber'],
    ['lstm', { units: 8, layers: 2, bidirectional: true }, 'huber'],
    ['cnn-lstm', { filters: 8, units: 8 }, 'mse'],
    ['cnn-lstm', { filters: 8, units: 8, fusion: 'gated', fusionUnits: 8 }, 'mae'],
    ['cnn-lstm', { filters: 8, units: 8, fusion: 'attention' }, 'huber'],
    ['lstm', { units: 8, attention: true, attentionHeads: 2 }, 'mse'],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 2, ffUnits: 16 }, 'huber'],
  ] as const)('time series: %s %j with regressionLoss %s takes the same steps as the eager engine', async (family, hyper, regression) => {
    const run = await bothEngines(family, hyper, { optimizer: 'adam' }, { kind: 'series', regression });
    expect(run.engine).toBe('graph');
    expectSameSteps(run);
  });

  const DATA = { name: 'synthetic-shapes', options: { trainSize: 400, testSize: 100 } };
  const CNN = { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16 }, dataset: DATA };

  /** trainSegment with TUNEFLOW_ENGINE set to `engine` for the call. */
  async function segmentOn(engine: 'graph' | 'eager', ...args: Parameters<typeof segmentRequest>) {
    const before = process.env.TUNEFLOW_ENGINE;
    process.env.TUNEFLOW_ENGINE = engine;
    try {
      return await trainSegment(segmentRequest(...args));
    } finally {
      if (before === undefined) delete process.env.TUNEFLOW_ENGINE;
      else process.env.TUNEFLOW_ENGINE = before;
    }
  }

  const tokens = () => ({ family: 'lstm', modelOptions: { units: 8, embeddingSize: 8 }, dataset: npyDataset('tokens', tokenSequences, { kind: 'sequence' }) });

  const SERIES = { name: 'synthetic-series', options: { trainSize: 300, testSize: 50, steps: 8, features: 2 } };
  const CROSSING = {
    cnn: () => CNN,
    lstm: tokens,
    'lstm on time series (huber)': () => ({ family: 'lstm', modelOptions: { units: 8, regressionLoss: 'huber' }, dataset: SERIES }),
    'residual cnn': () => ({ ...CNN, modelOptions: { ...CNN.modelOptions, residual: true, batchNorm: true } }),
  };

  test.each([
    ['eager', 'graph', 'cnn'],
    ['graph', 'eager', 'cnn'],
    ['graph', 'eager', 'lstm'],
    ['graph', 'eager', 'lstm on time series (huber)'],
    ['eager', 'graph', 'lstm on time series (huber)'],
    ['graph', 'eager', 'residual cnn'],
    ['eager', 'graph', 'residual cnn'],
  ] as const)('a checkpoint written by the %s engine resumes on the %s engine and equals uninterrupted training (%s)', async (first, second, name) => {
    const parts = CROSSING[name]();
    const straight = await segmentOn(second, parts, { toEpoch: 3 });
    const dir = tempDir('trial');
    const a = await segmentOn(first, parts, { toEpoch: 2, checkpointDir: dir });
    const b = await segmentOn(second, parts, { fromEpoch: 2, toEpoch: 3, checkpointDir: dir });
    expect([straight.engine, a.engine, b.engine]).toEqual([second, first, second]);
    // Without the optimizer's moments and iteration count crossing engines the weights would drift far more.
    expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(b.checkpoint))).toBeLessThan(1e-4);
    expect(b.epochs[0]!.metrics.loss).toBeCloseTo(straight.epochs[2]!.metrics.loss!, 4);
    expect(b.epochs[0]!.metrics.val_loss).toBeCloseTo(straight.epochs[2]!.metrics.val_loss!, 4);
  });

  test('a regression trial reports the same epoch metrics (loss, mse, mae, r2) on both engines', async () => {
    const parts = CROSSING['lstm on time series (huber)']();
    const [graph, eager] = [await segmentOn('graph', parts, { toEpoch: 2 }), await segmentOn('eager', parts, { toEpoch: 2 })];
    expect([graph.engine, eager.engine]).toEqual(['graph', 'eager']);
    for (const key of ['loss', 'mse', 'mae', 'r2', 'val_loss', 'val_mse']) {
      expect(graph.epochs.map((e) => e.metrics[key]), key).toEqual(eager.epochs.map((e) => expect.closeTo(e.metrics[key]!, 4)));
    }
    // mse and the huber loss differ: the metrics are not the loss under another name.
    expect(Math.abs(graph.epochs[1]!.metrics.mse! - graph.epochs[1]!.metrics.loss!)).toBeGreaterThan(1e-3);
  });

  test.each([
    ['cnn', { filters: 4, denseUnits: 16, dropout: 0.3 }],
    ['mlp', { units: 32, layers: 2, dropout: 0.5 }],
    ['lenet', { dropout: 0.2 }],
    ['mlp', { units: 16, layers: 2, dropout: 0.3, residual: true }],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 16, dropout: 0.2 }],
    ['lstm', { units: 8, embeddingSize: 8, dropout: 0.3, recurrentDropout: 0.2 }],
  ] as const)('with dropout, 1+2 resumed epochs on the graph engine equal 3 straight ones (%s)', async (family, modelOptions) => {
    const parts = { family, modelOptions, dataset: SEQUENCE_FAMILIES.has(family) ? tokens().dataset : DATA };
    const straight = await segmentOn('graph', parts, { toEpoch: 3 });
    const dir = tempDir('trial');
    await segmentOn('graph', parts, { toEpoch: 1, checkpointDir: dir });
    const resumed = await segmentOn('graph', parts, { fromEpoch: 1, toEpoch: 3, checkpointDir: dir });
    expect(resumed.engine).toBe('graph');
    expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(resumed.checkpoint))).toBe(0);
    expect(resumed.epochs.map((e) => e.metrics.loss)).toEqual(straight.epochs.slice(1).map((e) => e.metrics.loss));
    // The masks are live: the same trial without dropout trains to other weights.
    const plain = await segmentOn('graph', { ...parts, modelOptions: { ...modelOptions, dropout: 0 } }, { toEpoch: 3 });
    expect(maxDifference(await checkpointWeights(plain.checkpoint), await checkpointWeights(straight.checkpoint))).toBeGreaterThan(1e-3);
  });

  test('an SVM trial reports the same epoch metrics on both engines, and its random features stay fixed', async () => {
    const parts = { family: 'svm-rbf', modelOptions: { features: 64, loss: 'hinge' }, dataset: DATA };
    const graph = await segmentOn('graph', parts, { toEpoch: 2, checkpointDir: tempDir('graph') });
    const eager = await segmentOn('eager', parts, { toEpoch: 2, checkpointDir: tempDir('eager') });
    expect([graph.engine, eager.engine]).toEqual(['graph', 'eager']);
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
      expect(graph.epochs.map((e) => e.metrics[key]), key).toEqual(eager.epochs.map((e) => expect.closeTo(e.metrics[key]!, 4)));
    }
    // The features' kernel and bias (the first two weights) are the seeded initial ones on both: neither engine trained them.
    const [onGraph, onEager] = [await checkpointWeights(graph.checkpoint), await checkpointWeights(eager.checkpoint)];
    expect(maxDifference(onGraph.slice(0, 2), onEager.slice(0, 2))).toBe(0);
    expect(maxDifference(onGraph.slice(2), onEager.slice(2))).toBeLessThan(1e-4);
  });

  test('TUNEFLOW_ENGINE=eager forces the eager engine; a default run of a covered model is on the graph engine', async () => {
    expect((await segmentOn('eager', CNN, { toEpoch: 1 })).engineReason).toBe('TUNEFLOW_ENGINE=eager');
    const result = await trainSegment(segmentRequest(CNN, { toEpoch: 1 }));
    expect(result.engine).toBe('graph');
    expect(result.engineReason).toBeUndefined();
  });

  test('the translator reads a functional model as a graph of layers; it refuses a layer applied twice and one it does not know, naming them', () => {
    const input = tf.input({ shape: [8] });
    const a = tf.layers.dense({ units: 4, name: 'left' }).apply(input) as ReturnType<typeof tf.input>;
    const b = tf.layers.dense({ units: 4, name: 'right' }).apply(input) as ReturnType<typeof tf.input>;
    const sum = tf.layers.add({ name: 'join' }).apply([a, b]) as ReturnType<typeof tf.input>;
    const model = tf.model({ inputs: input, outputs: sum });
    const translated = translateModel(model);
    if (!('model' in translated)) throw new Error(translated.reason);
    expect(translated.model.nodes.map((n) => [n.layer.name, n.inputs])).toEqual([['left', [-1]], ['right', [-1]], ['join', [0, 1]]]);
    model.dispose();

    const shared = tf.layers.dense({ units: 8, name: 'shared' });
    const twice = shared.apply(shared.apply(input)) as ReturnType<typeof tf.input>;
    const reused = tf.model({ inputs: input, outputs: twice });
    expect(translateModel(reused)).toEqual({ reason: 'the graph engine does not support layer shared used 2 times' });
    reused.dispose();

    const gru = tf.sequential({ layers: [tf.layers.gru({ units: 4, inputShape: [5, 2], name: 'recurrent' }), tf.layers.dense({ units: 2 })] });
    expect(translateModel(gru)).toEqual({ reason: 'the graph engine does not support layer recurrent (GRU)' });
    gru.dispose();
  });

  test('epoch loss and accuracy weigh batches by their size, as fit() does', () => {
    expect(epochMeans({ losses: [1, 3], metrics: { acc: [0.5, 1] }, rows: [3, 1] })).toEqual({ loss: 1.5, acc: 0.625 });
    expect(epochMeans({ losses: [2, 4], metrics: { mse: [2, 4], mae: [1, 3] }, rows: [1, 1] })).toEqual({ loss: 3, mse: 3, mae: 2 });
  });
});
