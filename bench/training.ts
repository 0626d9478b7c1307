// Training throughput: tuneflow (through trainSegment, the code path trials use; on its graph engine,
// training/graph/, and on the eager tfjs engine, TUNEFLOW_ENGINE=eager) against
// Keras (TensorFlow 2.21 in its own venv: CPU build, CUDA build on a GPU worker) on LeNet, a small CNN and an LSTM, with the same
// architecture, data, batch size and optimizer; plus the time to a target validation accuracy on the
// quickstart data and the engine overhead of a trial. Plain TF.js baselines (bench/training-raw.ts) on
// the same model split the gap into our engine's share and TF.js's own.
//
//   npm run bench:training                 full run (a few minutes on 2 cores)
//   npm run bench:training -- --quick      small data, 2 rounds
//   ... --ours-only                         skip Keras (no Python venv needed)
//   ... --json out.json                     also write the raw figures
//   ... --engines-only                      only the graph-vs-eager rows of models without a Keras twin
//                                           here (residual CNN, time-series LSTM, transformer)
//
// Rounds alternate ours and Keras per model so machine noise hits both. Epoch 1 of every run is a
// warm-up (graph building, kernel caches) and is not timed; samples/s is the median of the rest.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExperiment } from '../catalog';
import { backendInfo, createOptimizer, loadDataset, loadTf, modelInput, resolveTrialConfig, trainSegment, type SegmentResult } from '../training';
import { chooseEngine } from '../training/graph';
import { trainingLoss } from '../training/loss';
import { splitTensors } from '../training/split-arrays';
import { taskLossKind, taskOf } from '../training/task';
import { encodeNpy } from '../training/formats/npy';
import { generateShapes, parseSyntheticShapesOptions } from '../training/datasets/synthetic-shapes';
import { mulberry32 } from '../training/rng';
import type { Params } from '../search/space-types';
import type { ExperimentSpec } from '../spec/types';
import { oneTrialSpec } from './one-trial-spec';
import { ensureVenv, runPython } from './python-env';
import { rawThroughput } from './training-raw';
import { fmt, machine, median, table } from './table';

const KERAS_TF_VERSION = '2.21.0';
const SCRIPT = join(__dirname, '..', '..', 'bench', 'keras_training.py');
const BATCH_SIZE = 64;
const LEARNING_RATE = 1e-3;
const VALIDATION_SPLIT = 0.1;
/** The graph engine's target against Keras model.fit (issue: at least 1.1x on LeNet, CNN and LSTM). */
const THROUGHPUT_TARGET = 1.1;
const OVERHEAD_TARGET = 0.95;
const ACCURACY_TARGET = 0.9;

interface Case {
  key: 'lenet' | 'cnn' | 'lstm';
  label: string;
  options: Record<string, unknown>;
  /** Writes x.npy / y.npy (and test files) for `samples` examples into `dir`; returns the class count. */
  data: (dir: string, samples: number) => { classes: number; vocabularySize?: number };
  samples: { quick: number; full: number };
}

function writeSplit(dir: string, name: string, x: Uint8Array | Int32Array, shape: number[], y: Uint8Array): void {
  writeFileSync(join(dir, `${name}.npy`), encodeNpy(x, shape));
  writeFileSync(join(dir, `${name}-labels.npy`), encodeNpy(y, [y.length]));
}

/** Train files for `n` examples and a 16-example test split, as the custom data set reads them. */
function writeData(dir: string, n: number, example: (i: number) => ArrayLike<number>, exampleShape: number[], label: (i: number) => number, ints = false): void {
  const size = exampleShape.reduce((a, b) => a * b, 1);
  for (const [name, count] of [['train', n], ['test', 16]] as const) {
    const x = ints ? new Int32Array(count * size) : new Uint8Array(count * size);
    const y = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      x.set(example(i), i * size);
      y[i] = label(i);
    }
    writeSplit(dir, name, x, [count, ...exampleShape], y);
  }
}

const SEQUENCE_LENGTH = 80;
const VOCABULARY = 2000;

const CASES: Case[] = [
  {
    key: 'lenet',
    label: 'LeNet-5, 28x28x1 shapes',
    options: {},
    samples: { quick: 2000, full: 8000 },
    data(dir, n) {
      const shapes = generateShapes(parseSyntheticShapesOptions({ trainSize: n, testSize: 16, imageSize: 28 }), n, 0);
      writeData(dir, n, (i) => shapes.images.subarray(i * 784, (i + 1) * 784), [28, 28], (i) => shapes.labels[i]!);
      return { classes: 6 };
    },
  },
  {
    key: 'cnn',
    label: 'CNN 2x[conv3x3+pool] 16/32 + dense 64, 32x32x3',
    options: { convBlocks: 2, filters: 16, kernelSize: 3, denseUnits: 64 },
    samples: { quick: 1500, full: 6000 },
    data(dir, n) {
      const random = mulberry32(1);
      writeData(dir, n, () => Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(random() * 256)), [32, 32, 3], (i) => i % 10);
      return { classes: 10 };
    },
  },
  {
    key: 'lstm',
    label: `LSTM 64 units, embedding 64, ${SEQUENCE_LENGTH} tokens`,
    options: { embeddingSize: 64, units: 64 },
    samples: { quick: 1000, full: 2000 },
    data(dir, n) {
      const random = mulberry32(2);
      writeData(dir, n, () => Int32Array.from({ length: SEQUENCE_LENGTH }, () => 1 + Math.floor(random() * (VOCABULARY - 1))), [SEQUENCE_LENGTH], (i) => i % 2, true);
      return { classes: 2, vocabularySize: VOCABULARY };
    },
  },
];

/**
 * Models the graph engine covers beyond the Keras rows (functional models, regression, attention):
 * trainSegment on the graph engine against the eager one, same data and settings.
 */
interface EngineCase {
  key: string;
  label: string;
  family: string;
  options: Record<string, unknown>;
  /** The data set: a Case's files (`data`) or a generated one. */
  data: Case['key'] | ((quick: boolean) => ExperimentSpec['dataset']);
}

const ENGINE_CASES: EngineCase[] = [
  {
    key: 'residual-cnn',
    label: 'residual CNN 2x[conv3x3+bn, add] 16/32 + dense 64, 32x32x3',
    family: 'cnn',
    options: { convBlocks: 2, filters: 16, kernelSize: 3, denseUnits: 64, residual: true, batchNorm: true },
    data: 'cnn',
  },
  {
    key: 'series-lstm',
    label: 'LSTM 64 units, time series 24 steps x 3 features, mse',
    family: 'lstm',
    options: { units: 64 },
    data: (quick) => ({ name: 'synthetic-series', options: { trainSize: quick ? 2000 : 6000, testSize: 16, steps: 24, features: 3 } }),
  },
  {
    key: 'transformer',
    label: `Transformer 2 blocks d=32 4 heads ff 64, ${SEQUENCE_LENGTH} tokens`,
    family: 'transformer',
    options: { embeddingSize: 32, heads: 4, blocks: 2, ffUnits: 64 },
    data: 'lstm',
  },
];

interface Args {
  quick: boolean;
  oursOnly: boolean;
  enginesOnly: boolean;
  json: string | null;
}

function parseArgs(argv: string[]): Args {
  const known = new Set(['--quick', '--ours-only', '--engines-only', '--json']);
  const unknown = argv.filter((a, i) => a.startsWith('--') && !known.has(a) && argv[i - 1] !== '--json');
  if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} (known: ${[...known].join(', ')})`);
  const jsonAt = argv.indexOf('--json');
  return {
    quick: argv.includes('--quick'),
    oursOnly: argv.includes('--ours-only'),
    enginesOnly: argv.includes('--engines-only'),
    json: jsonAt >= 0 ? (argv[jsonAt + 1] ?? null) : null,
  };
}

/** The custom data set of a Case's files in `dir`. */
function caseDataset(key: Case['key'], dir: string): ExperimentSpec['dataset'] {
  const options: Record<string, unknown> = {
    format: 'npy',
    train: join(dir, 'train.npy'),
    trainLabels: join(dir, 'train-labels.npy'),
    test: join(dir, 'test.npy'),
    testLabels: join(dir, 'test-labels.npy'),
    ...(key === 'lstm' ? { kind: 'sequence' } : {}),
  };
  return { name: 'custom', options };
}

function specFor(c: Case, dir: string, epochs: number): ExperimentSpec {
  return benchSpec(c.key, c.key, c.options, caseDataset(c.key, dir), epochs);
}

function benchSpec(name: string, family: string, options: Record<string, unknown>, dataset: ExperimentSpec['dataset'], epochs: number): ExperimentSpec {
  const training = { batchSize: BATCH_SIZE, learningRate: LEARNING_RATE, validationSplit: VALIDATION_SPLIT };
  return oneTrialSpec({ name: `bench-${name}`, dataset, model: { family, options }, epochs, training });
}

/** One trial's segment from scratch in a fresh checkpoint folder, on the given engine (default: graph where it covers the model). */
async function trainOnce(
  spec: ExperimentSpec,
  params: Params,
  epochs: number,
  onEpoch?: Parameters<typeof trainSegment>[0]['onEpoch'],
  engine: 'graph' | 'eager' = 'graph',
): Promise<SegmentResult> {
  const checkpointDir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-training-'));
  const before = process.env.TUNEFLOW_ENGINE;
  process.env.TUNEFLOW_ENGINE = engine;
  try {
    return await trainSegment({ spec, params, seed: 1, fromEpoch: 0, toEpoch: epochs, checkpointDir, ...(onEpoch ? { onEpoch } : {}) });
  } finally {
    if (before === undefined) delete process.env.TUNEFLOW_ENGINE;
    else process.env.TUNEFLOW_ENGINE = before;
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

/**
 * Ops per training step: the graph engine's step graph (forward, gradients, updates), and the kernels
 * tfjs dispatches per batch of model.fit (profiled over a few batches after a warm-up).
 */
async function opsPerStep(spec: ExperimentSpec): Promise<{ graph: number | null; eager: number }> {
  const tf = await loadTf();
  const dataset = await loadDataset(spec.dataset, { seed: spec.seed, validationSplit: VALIDATION_SPLIT });
  const config = resolveTrialConfig(spec, {});
  const model = config.family.build(tf, modelInput(dataset, 1), config.hyper);
  const optimizer = createOptimizer(tf, config.optimizer);
  model.compile({ optimizer, loss: trainingLoss(tf, config.family, config.hyper, config.labelSmoothing), metrics: ['accuracy'] });
  const choice = await chooseEngine(tf, model, optimizer, { optimizer: config.optimizer, loss: taskLossKind(config, taskOf(dataset)), numClasses: dataset.numClasses });
  const graph = choice.engine?.stepOps ?? null;
  choice.engine?.dispose();
  const batches = 3;
  const train = splitTensors(tf, dataset, dataset.train);
  const x = tf.slice(train.x, 0, BATCH_SIZE * batches);
  const y = tf.slice(train.y, 0, BATCH_SIZE * batches);
  const fit = () => model.fit(x, y, { batchSize: BATCH_SIZE, epochs: 1, shuffle: false, verbose: 0 });
  await fit();
  const profile = await tf.profile(async () => void (await fit()));
  tf.dispose([train.x, train.y, x, y]);
  model.dispose();
  optimizer.dispose();
  return { graph, eager: Math.round(profile.kernels.length / batches) };
}

interface Throughput {
  /** trainSegment on the graph engine, and on the eager engine. */
  ours: number[];
  eager: number[];
  /** Why the default run was not on the graph engine (null when it was). */
  engineReason: string | null;
  ops: { graph: number | null; eager: number };
  /** Plain TF.js on the same model and data: model.fit alone, and a hand-written minimize() loop. */
  rawFit: number[];
  rawStep: number[];
  keras: number[];
  oursParams: number;
  kerasParams: number | null;
  samples: number;
  fitShare: number[];
  healthShare: number[];
}

/** Samples/s of the timed epochs (all but the first). */
const timed = (rates: number[]) => rates.slice(1);

/**
 * One trial on the default engine (graph where it covers the model), then on the eager one: the timed
 * epochs' samples/s go to `graph` and `eager`; the first run's result, and why it was not on the graph engine.
 */
async function engineRound(spec: ExperimentSpec, epochs: number, graph: number[], eager: number[]): Promise<{ result: SegmentResult; reason: string | null }> {
  const result = await trainOnce(spec, {}, epochs);
  graph.push(...timed(result.epochs.map((e) => e.metrics.samples_per_second!)));
  const other = await trainOnce(spec, {}, epochs, undefined, 'eager');
  eager.push(...timed(other.epochs.map((e) => e.metrics.samples_per_second!)));
  return { result, reason: result.engine === 'graph' ? null : (result.engineReason ?? 'eager') };
}

async function throughput(c: Case, args: Args, python: string | null, root: string, rounds: number, epochs: number): Promise<Throughput> {
  const dir = join(root, c.key);
  mkdirSync(dir, { recursive: true });
  const requested = args.quick ? c.samples.quick : c.samples.full;
  const { classes, vocabularySize } = c.data(dir, requested);
  const spec = specFor(c, dir, epochs);
  // The engine trains on what remains after the validation split: Keras gets exactly as many samples.
  const samples = (await loadDataset(spec.dataset, { seed: spec.seed, validationSplit: VALIDATION_SPLIT })).train.count;
  const out: Throughput = {
    ours: [],
    eager: [],
    engineReason: null,
    ops: await opsPerStep(spec),
    rawFit: [],
    rawStep: [],
    keras: [],
    oursParams: 0,
    kerasParams: null,
    samples,
    fitShare: [],
    healthShare: [],
  };
  for (let round = 0; round < rounds; round++) {
    const { result, reason } = await engineRound(spec, epochs, out.ours, out.eager);
    out.engineReason = reason;
    out.oursParams = result.paramCount ?? 0;
    out.fitShare.push(result.trainSeconds / result.wallSeconds);
    out.healthShare.push(result.epochs.reduce((s, e) => s + e.metrics.health_seconds!, 0) / result.wallSeconds);
    out.rawFit.push(...timed(await rawThroughput(spec, epochs, 'fit')));
    out.rawStep.push(...timed(await rawThroughput(spec, epochs, 'step')));
    if (python) {
      const keras = await runPython<{ samplesPerSecond: number[]; params: number }>(python, SCRIPT, {
        model: c.key,
        options: c.options,
        x: join(dir, 'train.npy'),
        y: join(dir, 'train-labels.npy'),
        samples,
        classes,
        vocabularySize,
        batchSize: BATCH_SIZE,
        learningRate: LEARNING_RATE,
        epochs,
        seed: round,
      });
      out.keras.push(...timed(keras.samplesPerSecond));
      out.kerasParams = keras.params;
    }
    process.stderr.write(`  ${c.key} round ${round + 1}/${rounds}: graph ${fmt(median(out.ours))}/s, eager ${fmt(median(out.eager))}/s, raw fit ${fmt(median(out.rawFit))}/s, raw step ${fmt(median(out.rawStep))}/s${python ? `, keras ${fmt(median(out.keras))}/s` : ''}\n`);
  }
  return out;
}

interface TimeToTarget {
  seconds: number | null;
  epoch: number | null;
  bestAccuracy: number;
  fitShare: number;
  healthShare: number;
  wallSeconds: number;
}

/** The quickstart spec with its model options, trained until val_accuracy reaches the target. */
async function timeToTarget(maxEpochs: number): Promise<TimeToTarget> {
  const path = join(__dirname, '..', '..', 'experiments', 'quickstart.yaml');
  const spec = parseExperiment(await readFile(path, 'utf8'), path);
  spec.training.epochs = maxEpochs;
  const started = performance.now();
  let reached: { seconds: number; epoch: number } | null = null;
  let best = 0;
  const result = await trainOnce(spec, {}, maxEpochs, (e) => {
    best = Math.max(best, e.metrics.val_accuracy ?? 0);
    if (!reached && (e.metrics.val_accuracy ?? 0) >= ACCURACY_TARGET) reached = { seconds: (performance.now() - started) / 1000, epoch: e.epoch };
  });
  const found = reached as { seconds: number; epoch: number } | null;
  return {
    seconds: found?.seconds ?? null,
    epoch: found?.epoch ?? null,
    bestAccuracy: best,
    fitShare: result.trainSeconds / result.wallSeconds,
    healthShare: result.epochs.reduce((s, e) => s + e.metrics.health_seconds!, 0) / result.wallSeconds,
    wallSeconds: result.wallSeconds,
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/** The ENGINE_CASES rows: graph and eager samples/s, alternating per round. */
async function engineRows(args: Args, root: string, rounds: number, epochs: number): Promise<{ rows: (string | number)[][]; figures: Record<string, { graph: number[]; eager: number[]; reason: string | null }> }> {
  const figures: Record<string, { graph: number[]; eager: number[]; reason: string | null }> = {};
  const rows: (string | number)[][] = [];
  for (const c of ENGINE_CASES) {
    let dataset: ExperimentSpec['dataset'];
    if (typeof c.data === 'function') dataset = c.data(args.quick);
    else {
      const source = CASES.find((k) => k.key === c.data)!;
      const dir = join(root, `engines-${c.key}`);
      mkdirSync(dir, { recursive: true });
      source.data(dir, args.quick ? source.samples.quick : source.samples.full);
      dataset = caseDataset(source.key, dir);
    }
    const spec = benchSpec(c.key, c.family, c.options, dataset, epochs);
    const out = { graph: [] as number[], eager: [] as number[], reason: null as string | null };
    for (let round = 0; round < rounds; round++) {
      out.reason = (await engineRound(spec, epochs, out.graph, out.eager)).reason;
      process.stderr.write(`  ${c.key} round ${round + 1}/${rounds}: graph ${fmt(median(out.graph))}/s, eager ${fmt(median(out.eager))}/s\n`);
    }
    figures[c.key] = out;
    const [graph, eager] = [median(out.graph), median(out.eager)];
    rows.push([out.reason ? `${c.label} (eager: ${out.reason})` : c.label, fmt(graph), fmt(eager), `${(graph / eager).toFixed(2)}x`]);
  }
  return { rows, figures };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rounds = args.quick ? 2 : 3;
  const epochs = args.quick ? 3 : 4;
  const info = await backendInfo();
  // On a GPU worker Keras gets the GPU build too (CUDA 12 / cuDNN 9 from PyPI's nvidia-*-cu12 wheels).
  const kerasPackage = info.usingGpu ? `tensorflow[and-cuda]==${KERAS_TF_VERSION}` : `tensorflow-cpu==${KERAS_TF_VERSION}`;
  const python = args.oursOnly || args.enginesOnly ? null : ensureVenv(`keras-${info.usingGpu ? 'gpu' : 'tf'}-${KERAS_TF_VERSION}`, [kerasPackage]);
  console.log(`# bench:training${args.quick ? ' (quick)' : ''}: ours (${info.package}, TensorFlow ${info.tensorflowVersion ?? 'none'}) vs Keras (${kerasPackage})`);
  console.log(`machine: ${machine()}`);
  console.log(`batch ${BATCH_SIZE}, Adam ${LEARNING_RATE}, ${rounds} alternating rounds x ${epochs - 1} timed epochs (+1 warm-up) per side\n`);

  const root = mkdtempSync(join(tmpdir(), 'tuneflow-bench-data-'));
  const results: Record<string, Throughput> = {};
  let engines: Awaited<ReturnType<typeof engineRows>>;
  try {
    if (!args.enginesOnly) for (const c of CASES) results[c.key] = await throughput(c, args, python, root, rounds, epochs);
    engines = await engineRows(args, root, rounds, epochs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const engineTable = () => {
    console.log(table(['model (no Keras twin here)', 'graph samples/s', 'eager samples/s', 'graph/eager'], engines.rows));
    console.log('(trainSegment on each engine, TUNEFLOW_ENGINE=graph and eager; medians over the timed epochs)');
  };
  if (args.enginesOnly) {
    engineTable();
    if (args.json) writeFileSync(args.json, JSON.stringify({ machine: machine(), backend: info, engines: engines.figures }, null, 1));
    return;
  }
  const rows = CASES.map((c) => {
    const r = results[c.key]!;
    const ours = median(r.ours);
    const keras = r.keras.length > 0 ? median(r.keras) : NaN;
    const ratio = ours / keras;
    const bestRatio = r.keras.length > 0 ? Math.max(...r.ours) / Math.max(...r.keras) : NaN;
    const eager = median(r.eager);
    return [
      r.engineReason ? `${c.label} (eager: ${r.engineReason})` : c.label,
      r.samples,
      r.oursParams === r.kerasParams || r.kerasParams === null ? r.oursParams : `${r.oursParams} vs ${r.kerasParams}`,
      fmt(ours),
      fmt(eager),
      `${(ours / eager).toFixed(2)}x`,
      `${r.ops.graph ?? '-'} / ${r.ops.eager}`,
      fmt(median(r.rawFit)),
      fmt(median(r.rawStep)),
      Number.isNaN(keras) ? '-' : `${(median(r.rawFit) / keras).toFixed(2)}x`,
      Number.isNaN(keras) ? '-' : fmt(keras),
      Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}x`,
      Number.isNaN(keras) ? '-' : `${(eager / keras).toFixed(2)}x`,
      Number.isFinite(bestRatio) ? `${bestRatio.toFixed(2)}x` : '-',
      Number.isNaN(ratio) ? '-' : ratio >= THROUGHPUT_TARGET ? 'meets' : 'below',
    ];
  });
  console.log(
    table(
      ['model', 'train samples', 'params', 'graph samples/s', 'eager samples/s', 'graph/eager', 'ops/step graph / eager', 'raw fit', 'raw step', 'raw fit/Keras', 'Keras samples/s', 'graph/Keras', 'eager/Keras', 'best/best epoch', `target ${THROUGHPUT_TARGET}x (medians)`],
      rows,
    ),
  );
  console.log('(graph, eager: trainSegment on each engine; medians over the timed epochs; best/best: fastest graph epoch against the fastest Keras one, less sensitive to a loaded machine)');
  console.log('(ops/step: nodes of the graph engine\'s step graph / kernels tfjs dispatches per batch of model.fit)');
  console.log('(raw fit: plain TF.js model.fit, no trainSegment; raw step: plain optimizer.minimize loop, no fit, no metrics)');
  console.log('');
  engineTable();

  // The first trial on a worker loads (here: generates) the data set; later ones reuse it.
  const cold = await timeToTarget(args.quick ? 6 : 12);
  const target = await timeToTarget(args.quick ? 6 : 12);
  const fitShares = [...Object.values(results).flatMap((r) => r.fitShare), target.fitShare];
  const healthShares = [...Object.values(results).flatMap((r) => r.healthShare), target.healthShare];
  const reachedIn = (t: TimeToTarget) =>
    t.seconds === null ? `not reached (best ${t.bestAccuracy.toFixed(3)})` : `${t.seconds.toFixed(1)} s (epoch ${t.epoch})`;
  console.log('');
  console.log(
    table(
      ['measure', 'value', 'target'],
      [
        [`time to val_accuracy >= ${ACCURACY_TARGET}, quickstart data and model, default params`, reachedIn(target), '-'],
        ['same, first trial of the worker (data set loaded in the trial)', reachedIn(cold), '-'],
        ['time inside training steps (fit) / trainSegment wall time, quickstart trial', pct(target.fitShare), `>= ${pct(OVERHEAD_TARGET)}`],
        ['same, first trial of the worker', pct(cold.fitShare), '-'],
        ['same, median over all bench runs', pct(median(fitShares)), `>= ${pct(OVERHEAD_TARGET)}`],
        ['health probe share of wall time, median over all runs', pct(median(healthShares)), '-'],
      ],
    ),
  );
  if (args.json) writeFileSync(args.json, JSON.stringify({ machine: machine(), backend: info, results, engines: engines.figures, timeToTarget: target, coldTrial: cold }, null, 1));
}

main().catch((error: unknown) => {
  console.error(`bench:training: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
