// `tuneflow train <spec> --json` as a user runs it: the built CLI in a child process (after `npm run
// build`), every model family on tiny data, one JSON object on stdout, clear one-line errors.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { npyDataset, tempDir, tokenSequences } from '../training/helpers';

const root = join(__dirname, '..', '..');
const dir = tempDir('cli-train');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI asynchronously (never spawnSync: see the shared notes on in-process workers). */
function tuneflow(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], {
      cwd: dir,
      env: { ...process.env, TUNEFLOW_CACHE_DIR: join(dir, 'cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function writeSpec(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}

const imageSpec = writeSpec(
  'images',
  `name: train-cli-images
seed: 5
dataset:
  name: synthetic-shapes
  options: {trainSize: 160, testSize: 40, imageSize: 12, classes: 3}
model: {family: cnn, options: {}}
search:
  space:
    learningRate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
training: {epochs: 2, batchSize: 32, validationSplit: 0.25}
`,
);

const text = npyDataset('cli-train-tokens', tokenSequences, { kind: 'sequence' });
const textSpec = writeSpec(
  'text',
  `name: train-cli-text
seed: 5
dataset:
  name: custom
  options: ${JSON.stringify(text.options)}
model: {family: lstm, options: {embeddingSize: 8, units: 8}}
training: {epochs: 1, batchSize: 64, learningRate: 0.01, validationSplit: 0.2}
`,
);

interface Report {
  params: Record<string, unknown>;
  model: string;
  epochs: ({ epoch: number } & Record<string, number>)[];
  test: Record<string, number>;
  samplesPerSecond: number;
  backend: string;
  engine: 'graph' | 'eager' | null;
  engineReason: string | null;
}

/** Runs `train --json` and checks the one-object contract; returns the object. */
async function trainJson(args: string[]): Promise<Report> {
  const run = await tuneflow(['train', ...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const report = JSON.parse(lines[0]!) as Report;
  expect(report).toMatchObject({ params: expect.any(Object), epochs: expect.any(Array), test: expect.any(Object), samplesPerSecond: expect.any(Number), backend: expect.any(String) });
  return report;
}

describe('tuneflow train --json', () => {
  // Family, its options as --set overrides (small, so each run takes a second or two), and what it builds.
  const imageFamilies: [string, string[], string][] = [
    ['softmax', ['model.l2=0.001'], 'softmax'],
    ['mlp', ['model.units=16', 'model.layers=1'], 'mlp'],
    ['lenet', ['model.activation=tanh'], 'lenet'],
    ['cnn', ['model.filters=4', 'model.denseUnits=8'], 'cnn'],
    ['svm-linear', ['model.loss=hinge'], 'svm-linear'],
    ['svm-rbf', ['model.features=64'], 'svm-rbf'],
    ['auto', ['model.filters=4', 'model.denseUnits=8'], 'cnn'],
  ];

  it.each(imageFamilies)('%s trains on images and reports epochs, test metrics and speed', async (family, sets, built) => {
    const report = await trainJson([imageSpec, '--set', `model.family=${family}`, ...sets.flatMap((s) => ['--set', s])]);
    expect(report.model).toBe(built);
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    for (const epoch of report.epochs) {
      for (const metric of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'samples_per_second']) expect(Number.isFinite(epoch[metric]), metric).toBe(true);
      expect(epoch.val_accuracy).toBeGreaterThanOrEqual(0);
      expect(epoch.val_accuracy).toBeLessThanOrEqual(1);
    }
    expect(Object.keys(report.test).sort()).toEqual(['test_accuracy', 'test_loss']);
    expect(report.samplesPerSecond).toBeGreaterThan(0);
    // The graph engine trains every built-in family, the SVMs' hinge losses included.
    expect(report).toMatchObject({ engine: 'graph', engineReason: null });
    // Every --set model option is a recorded parameter, with the value as given (YAML-typed).
    for (const set of sets) {
      const [key, value] = set.slice('model.'.length).split('=') as [string, string];
      expect(report.params[key], key).toBe(Number.isNaN(Number(value)) ? value : Number(value));
    }
    expect(report.params.learningRate).toBeCloseTo(Math.sqrt(1e-3 * 1e-2), 12); // the centre of the log range
  });

  it.each(['lstm', 'auto'])('%s trains on token sequences and builds an lstm', async (family) => {
    const report = await trainJson([textSpec, '--set', `model.family=${family}`, '--epochs', '2', '--set', 'batchSize=128']);
    expect(report.model).toBe('lstm');
    expect(report.engine).toBe('graph');
    expect(report.epochs).toHaveLength(2);
    expect(report.params.batchSize).toBe(128);
    expect(report.test.test_accuracy).toBeGreaterThanOrEqual(0);
  });

  it('activation, learning-rate schedule and label smoothing from --set are used and recorded as params', async () => {
    const sets = ['model.activation=swish', 'learningRate=0.01', 'lrSchedule=step', 'lrStepSize=1', 'lrGamma=0.5', 'labelSmoothing=0.1'];
    const report = await trainJson([imageSpec, '--set', 'model.family=mlp', '--set', 'model.units=16', ...sets.flatMap((s) => ['--set', s])]);
    expect(report.params).toMatchObject({ activation: 'swish', learningRate: 0.01, lrSchedule: 'step', lrStepSize: 1, lrGamma: 0.5, labelSmoothing: 0.1 });
    expect(report.epochs.map((e) => e.lr)).toEqual([0.01, 0.005]);
  });

  it('--params trains the settings of a file (a plain map or best_hyperparameters.yaml), --set winning', async () => {
    const best = writeSpec('best', 'trial: 3\nval_loss: 0.5\nparams:\n  learningRate: 0.02\n  filters: 4\n  denseUnits: 8\n  batchSize: 64\n');
    const report = await trainJson([imageSpec, '--params', best, '--set', 'filters=6', '--epochs', '1']);
    expect(report.params).toMatchObject({ learningRate: 0.02, filters: 6, denseUnits: 8, batchSize: 64 });
    expect((report as Report & { paramSources: Record<string, string> }).paramSources).toMatchObject({ learningRate: '--params', filters: 'set' });
  });

  it('a bad --params file names the file, line, column and field', async () => {
    const cases: [string, RegExp][] = [
      ['learningRate: 0.01\nnosuch: 3\n', /^bad-params-0\.yaml:2:1: nosuch: model "cnn" and the training settings have no setting "nosuch" \(known: /],
      ['params:\n  learningRate: [0.01]\n', /^bad-params-1\.yaml:2:17: params\.learningRate: must be a number, string or boolean, got \[0\.01\]$/],
      ['- 1\n', /^bad-params-2\.yaml:1:1: expected a map of settings/],
    ];
    for (const [i, [body, message]] of cases.entries()) {
      writeSpec(`bad-params-${i}`, body);
      const run = await tuneflow(['train', imageSpec, '--params', `bad-params-${i}.yaml`, '--json']);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim()).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a bad --set key or value is one clear line and a non-zero exit, no stack trace', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'nosuch=1'], /^tuneflow train: --set nosuch: unknown key\. Use a hyperparameter of model "cnn"/],
      [['--set', 'model.nosuch=1'], /^tuneflow train: --set model\.nosuch: model "cnn" has no option "nosuch" \(known: .*filters/],
      [['--set', 'dataset.colour=red'], /^tuneflow train: --set dataset\.colour: data set "synthetic-shapes" has no option "colour"/],
      [['--set', 'model.family=resnet'], /^tuneflow train: --set model\.family: unknown model family "resnet" \(known: softmax, mlp/],
      [['--set', 'learningRate'], /^tuneflow train: --set learningRate: expected key=value/],
      [['--epochs', 'two'], /^tuneflow train: --epochs must be a positive integer, got "two"/],
      // Checked when the rewritten spec loads, with its line: not after the data is loaded.
      [['--set', 'dataset.imageSize=6'], /^images\.yaml with --set:\d+:\d+: dataset\.options\.imageSize: must be an integer >= 8 and <= 64, got 6$/],
      [['--set', 'model.pooling=median'], /^images\.yaml with --set:\d+:\d+: search\.space\.pooling: must be one of max, avg, none, got "median"$/],
      [['--set', 'lrGamma=1.5'], /^images\.yaml with --set:\d+:\d+: search\.space\.lrGamma: must be a number > 0 and <= 1, got 1\.5$/],
    ];
    for (const [args, message] of cases) {
      const run = await tuneflow(['train', imageSpec, ...args, '--json']);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
