// Validation inside the graph engine (GraphEngine.evaluate, training/validation.ts) against tfjs's
// model.evaluate on the same weights: after a graph epoch (so batch normalization's moving statistics
// and the weights are not their initial values) the engine's weights go into the tfjs model and both
// passes must give the same loss and metrics, for each family and loss the engine covers. Inference
// mode is what is tested: dropout left on or batch statistics in batch normalization fail here.
// The health probe in the graph (GraphEngine.probe) is held to the eager HealthProbe's layers on the same
// weights and probe batch the same way: per-layer gradient norms of the loss without penalties, and
// per-unit maxima of ReLU-family outputs, both in inference mode.
// Skipped, saying why, only when the addon is not built.
import type { Tensor } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { evaluateCheckpoint, modelFamily, resolveOptimizerConfig, trainSegment, type Tf } from '../../training';
import { chooseEngine, syncToTfjs, trainEpoch, type GraphEngine } from '../../training/graph';
import { regressionLoss, trainingLoss, type LossKind, type RegressionLoss } from '../../training/loss';
import { createOptimizer } from '../../training/optimizer';
import { mulberry32 } from '../../training/rng';
import { evaluateEager } from '../../training/validation';
import { deadUnits, type LayerProbe } from '../../training/health';
import { HealthProbe, perExampleLoss } from '../../training/probe';
import { graphAddonOrSkip, maxDifference, segmentRequest, trainingTf } from './helpers';

const addon = graphAddonOrSkip('graph-evaluate');

let tf: Tf;
beforeAll(async () => {
  tf = await trainingTf();
});

/** Training examples (one graph epoch on them) and validation examples: 300 is no multiple of any batch size used. */
const TRAIN = 256;
const VALIDATION = 300;
const STEPS = 12;
const CLASSES = 3;
const TARGETS = 2;
/** Examples in the probe batch: the first of the validation examples. */
const PROBE = 48;

type Kind = 'image' | 'sequence' | 'series';

/** x and y of `count` examples; classification labels depend on the input, so a trained model beats chance. */
function examples(kind: Kind, count: number, seed: number): { x: Float32Array | Int32Array; y: Float32Array; shape: number[]; width: number } {
  const random = mulberry32(seed);
  if (kind === 'series') {
    const x = Float32Array.from({ length: count * STEPS * 2 }, () => 2 * random() - 1);
    // Targets beyond huber's delta too, so its linear part is exercised.
    const y = Float32Array.from({ length: count * TARGETS }, (_, i) => 3 * x[Math.floor(i / TARGETS) * STEPS * 2 + (i % TARGETS)]! + 0.1 * random());
    return { x, y, shape: [STEPS, 2], width: TARGETS };
  }
  const size = kind === 'sequence' ? STEPS : 12 * 12;
  const x = kind === 'sequence' ? Int32Array.from({ length: count * size }, () => 1 + Math.floor(random() * 30)) : Float32Array.from({ length: count * size }, () => random());
  const y = new Float32Array(count * CLASSES);
  for (let i = 0; i < count; i++) y[i * CLASSES + (Math.floor(Number(x[i * size]) * 7) % CLASSES)] = 1;
  return { x, y, shape: kind === 'sequence' ? [STEPS] : [12, 12, 1], width: CLASSES };
}

interface Case {
  kind?: Kind;
  regression?: RegressionLoss;
  labelSmoothing?: number;
}

/**
 * Trains `family` one epoch on the graph engine, copies its weights into the tfjs model, and returns
 * the graph's validation (default batches and batches of 64) and tfjs model.evaluate's.
 */
async function bothEvaluations(family: string, hyper: Record<string, unknown>, { kind = 'image', regression = 'mse', labelSmoothing = 0 }: Case = {}) {
  const train = examples(kind, TRAIN, 1);
  const validation = examples(kind, VALIDATION, 2);
  const series = kind === 'series';
  const input =
    kind === 'sequence'
      ? { kind, inputShape: [STEPS] as [number], vocabularySize: 32, numClasses: CLASSES, seed: 3 }
      : series
        ? { kind, inputShape: [STEPS, 2] as [number, number], numClasses: TARGETS, seed: 3 }
        : { kind, inputShape: [12, 12, 1] as [number, number, number], numClasses: CLASSES, seed: 3 };
  const fam = modelFamily(family);
  const model = fam.build(tf, input, hyper);
  const config = resolveOptimizerConfig({ optimizer: 'adam', batchSize: 32, learningRate: 0.01 });
  const optimizer = createOptimizer(tf, config);
  const compiled = series ? regressionLoss(tf, regression) : trainingLoss(tf, fam, hyper, labelSmoothing);
  model.compile({ optimizer, loss: compiled, metrics: series ? ['mse', 'mae'] : ['accuracy'] });
  const loss: LossKind = series ? { kind: regression } : (fam.lossKind?.(hyper) ?? { kind: 'cross-entropy', labelSmoothing });
  const choice = await chooseEngine(tf, model, optimizer, { optimizer: config, loss, numClasses: validation.width });
  expect(choice.reason).toBeNull();
  const engine = choice.engine as GraphEngine;
  const x = tf.tensor(validation.x, [VALIDATION, ...validation.shape], validation.x instanceof Int32Array ? 'int32' : 'float32');
  const y = tf.tensor2d(validation.y, [VALIDATION, validation.width]);
  const tensors: Tensor[] = [];
  try {
    const order = Int32Array.from({ length: TRAIN }, (_, i) => (i * 37) % TRAIN);
    await trainEpoch(engine, train, { order, batchSize: 32, learningRate: config.learningRate, seedBase: 9 });
    await syncToTfjs(tf, engine, model, optimizer);
    const before = engine.getState();
    const graph = await engine.evaluate(validation);
    const small = await engine.evaluate(validation, 64);
    // Evaluating changes no weight, moving statistic or optimizer slot.
    const after = engine.getState();
    expect(maxDifference(after.weights.map((w) => w.data as Float32Array), before.weights.map((w) => w.data as Float32Array))).toBe(0);
    expect(engine.iterations).toBe(TRAIN / 32);
    const eager = await evaluateEager(tf, model, x, y);
    // The probe batch, as training/segment.ts takes it: the first examples of the validation split.
    expect(engine.probes).toBe(true);
    const row = validation.x.length / VALIDATION;
    const graphProbe = engine.probe(validation.x.subarray(0, PROBE * row), validation.y.subarray(0, PROBE * validation.width));
    const [probeX, probeY] = [x.slice(0, PROBE), y.slice(0, PROBE)];
    tensors.push(probeX, probeY);
    const eagerProbe = (await new HealthProbe(tf, model, probeX, probeY, perExampleLoss(tf, compiled)!).measure()).layers;
    return { graph, small, eager, probes: { graph: graphProbe, eager: eagerProbe } };
  } finally {
    engine.dispose();
    tf.dispose([x, y, ...tensors]);
    model.dispose();
    optimizer.dispose();
  }
}

/** The graph probe's layers equal the eager probe's: same names and order, gradient norms and unit maxima within 1e-4. */
function expectSameProbe(graph: LayerProbe[], eager: LayerProbe[]): void {
  const close = (a: number, b: number, what: string) => expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-4 * Math.abs(b) + 1e-8);
  expect(graph.map((l) => [l.name, l.gradNorm !== undefined, l.unitMax?.length])).toEqual(eager.map((l) => [l.name, l.gradNorm !== undefined, l.unitMax?.length]));
  expect(eager.some((l) => l.gradNorm !== undefined)).toBe(true);
  graph.forEach((layer, i) => {
    const other = eager[i]!;
    if (other.gradNorm !== undefined) close(layer.gradNorm!, other.gradNorm, `grad_norm/${layer.name}`);
    if (other.unitMax) {
      Array.from(other.unitMax, (v, u) => close(layer.unitMax![u]!, v, `unit ${u} of ${layer.name}`));
      expect(deadUnits(layer.unitMax!), layer.name).toBe(deadUnits(other.unitMax));
    }
  });
}

function expectSame({ graph, small, eager, probes }: Awaited<ReturnType<typeof bothEvaluations>>): void {
  expectSameProbe(probes.graph, probes.eager);
  const close = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(2e-6 * Math.max(1, Math.abs(b)));
  expect(graph.values).toHaveLength(eager.values.length);
  for (const run of [graph, small]) {
    close(run.loss, eager.loss);
    run.values.forEach((value, i) => close(value, eager.values[i]!));
  }
  expect(Number.isFinite(eager.loss) && eager.loss > 0).toBe(true);
}

describe.skipIf(!addon.available)(`validation on the graph engine${addon.note}`, () => {
  test.each([
    ['cnn', { filters: 4, denseUnits: 16, batchNorm: true, dropout: 0.4 }, {}],
    ['cnn', { filters: 4, denseUnits: 16, residual: true, batchNorm: true, convsPerBlock: 2, dropout: 0.3 }, {}],
    ['cnn', { filters: 4, denseUnits: 16, dropout: 0.25 }, { labelSmoothing: 0.1 }],
    // Batch normalization alone: batch statistics in training, moving ones in inference (the probe's).
    ['cnn', { filters: 4, denseUnits: 16, batchNorm: true }, {}],
    ['mlp', { layers: 2, units: 16, residual: true, dropout: 0.3 }, {}],
    ['mlp', { layers: 2, units: 16, batchNorm: true, dropout: 0.5 }, {}],
    // Weight penalties are in the training loss, not in model.evaluate's.
    ['softmax', { l1: 0.001, l2: 0.01 }, {}],
    ['lenet', { dropout: 0.2 }, {}],
    ['svm-linear', { l1: 0.001 }, {}],
    ['svm-rbf', { features: 64, loss: 'hinge' }, {}],
    ['lstm', { units: 8, embeddingSize: 8, dropout: 0.3, recurrentDropout: 0.2 }, { kind: 'sequence' }],
    ['lstm', { units: 8, embeddingSize: 8, layers: 2, bidirectional: true, dropout: 0.2 }, { kind: 'sequence' }],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 2, ffUnits: 16, dropout: 0.2 }, { kind: 'sequence' }],
    ['cnn-lstm', { embeddingSize: 8, filters: 8, units: 8, fusion: 'attention' }, { kind: 'sequence' }],
    ['lstm', { units: 8, dropout: 0.2 }, { kind: 'series', regression: 'mse' }],
    ['lstm', { units: 8, layers: 2, bidirectional: true }, { kind: 'series', regression: 'huber' }],
    ['transformer', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 16, dropout: 0.2 }, { kind: 'series', regression: 'huber' }],
    ['cnn-lstm', { filters: 8, units: 8, fusion: 'gated', fusionUnits: 8 }, { kind: 'series', regression: 'mae' }],
  ] as const)('%s %j %j: the loss and metrics of model.evaluate and the health probe on the same weights', async (family, hyper, settings) => {
    expectSame(await bothEvaluations(family, hyper, settings));
  });

  test('a graph trial reports the validation that model.evaluate gives on its checkpoint (cnn, batch norm, dropout)', async () => {
    const parts = { family: 'cnn', modelOptions: { filters: 4, denseUnits: 16, batchNorm: true, dropout: 0.3 } };
    const request = segmentRequest(parts, { toEpoch: 2 });
    const result = await trainSegment(request);
    expect(result.engine).toBe('graph');
    const last = result.epochs.at(-1)!.metrics;
    const eager = await evaluateCheckpoint({ spec: request.spec, params: {}, checkpoint: result.checkpoint, split: 'validation' });
    expect(Math.abs(last.val_loss! - eager.val_loss!)).toBeLessThan(2e-6 * Math.max(1, eager.val_loss!));
    expect(last.val_accuracy).toBe(eager.val_accuracy);
    expect(last.val_examples).toBe(240);
  });
});
