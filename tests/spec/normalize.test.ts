// Valid specs: shorthands expanded, defaults filled, plain JSON out; the shipped examples all load.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSpec, loadSpecFile, durationSeconds, type ExperimentSpec } from '../../spec';
import { HEADER } from './helpers';

const parse = (text: string): ExperimentSpec => parseSpec(text, 'x.yaml');

describe('defaults', () => {
  test('a minimal spec gets every default', () => {
    expect(parse(HEADER)).toEqual({
      name: 't',
      description: '',
      seed: 0,
      dataset: { name: 'd', options: {} },
      model: { family: 'm', options: {} },
      search: {
        space: {},
        sampler: { type: 'random', options: {} },
        scheduler: { type: 'median', options: {} },
        enqueue: [],
      },
      objective: [{ metric: 'val_loss', direction: 'minimize' }],
      budget: { maxTrials: 20, maxConcurrentTrials: 2, maxFailedTrials: 4, maxDurationSeconds: null },
      training: { epochs: 10, segmentEpochs: 1, batchSize: 64, learningRate: 0.001, optimizer: 'adam', validationSplit: 0.1 },
      retrain: { topK: 3, epochs: 20, seeds: 1 },
      resources: { taskQueue: 'tuneflow-training', fallbackTaskQueue: null, fallbackAfterSeconds: 300 },
      tracking: { experimentName: 'tuneflow/t', tags: {}, reportEvery: 10 },
    } satisfies ExperimentSpec);
  });

  test('defaults that depend on other fields follow them', () => {
    const small = parse(`${HEADER}budget: {maxTrials: 1}\ntraining: {epochs: 3}\n`);
    expect(small.budget).toEqual({ maxTrials: 1, maxConcurrentTrials: 1, maxFailedTrials: 3, maxDurationSeconds: null });
    expect(small.retrain).toEqual({ topK: 1, epochs: 6, seeds: 1 });
    expect(parse(`${HEADER}budget: {maxTrials: 52}\n`).budget.maxFailedTrials).toBe(11);
  });

  test('explicit values win over defaults', () => {
    const spec = parse(
      `${HEADER}budget: {maxTrials: 8, maxConcurrentTrials: 8, maxFailedTrials: 0}\nretrain: {topK: 0, epochs: 1, seeds: 3}\n` +
        'tracking: {experimentName: shared, tags: {team: vision}, reportEvery: 0}\nresources: {taskQueue: gpu, fallbackTaskQueue: cpu, fallbackAfter: 2m}\n',
    );
    expect(spec.budget).toEqual({ maxTrials: 8, maxConcurrentTrials: 8, maxFailedTrials: 0, maxDurationSeconds: null });
    expect(spec.retrain).toEqual({ topK: 0, epochs: 1, seeds: 3 });
    expect(spec.tracking).toEqual({ experimentName: 'shared', tags: { team: 'vision' }, reportEvery: 0 });
    expect(spec.resources).toEqual({ taskQueue: 'gpu', fallbackTaskQueue: 'cpu', fallbackAfterSeconds: 120 });
  });
});

describe('shorthands', () => {
  test('strings for dataset, model, sampler, scheduler; one objective without a list', () => {
    const spec = parse(
      'name: t\ndataset: {name: shapes, options: {trainSize: 10}}\nmodel: {family: cnn, options: {filters: 8}}\n' +
        'search: {sampler: tpe, scheduler: {type: asha, options: {reductionFactor: 3}}}\nobjective: {metric: val_accuracy, direction: maximize}\n',
    );
    expect(spec.dataset).toEqual({ name: 'shapes', options: { trainSize: 10 } });
    expect(spec.model).toEqual({ family: 'cnn', options: { filters: 8 } });
    expect(spec.search.sampler).toEqual({ type: 'tpe', options: {} });
    expect(spec.search.scheduler).toEqual({ type: 'asha', options: { reductionFactor: 3 } });
    expect(spec.objective).toEqual([{ metric: 'val_accuracy', direction: 'maximize' }]);
  });

  test('bare values are fixed parameters; ranges get an explicit log', () => {
    const spec = parse(
      `${HEADER}search:\n  space:\n    layers: 2\n    act: relu\n    bn: true\n` +
        '    lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}\n    units: {type: int, low: 8, high: 64, step: 8, when: {bn: true}}\n',
    );
    expect(spec.search.space).toEqual({
      layers: { type: 'fixed', value: 2 },
      act: { type: 'fixed', value: 'relu' },
      bn: { type: 'fixed', value: true },
      lr: { type: 'float', low: 1e-4, high: 1e-2, log: true },
      units: { type: 'int', low: 8, high: 64, step: 8, log: false, when: { bn: true } },
    });
  });

  test('durations become seconds', () => {
    const cases: Array<[number | string, number]> = [
      [45, 45],
      [0.5, 0.5],
      ['90s', 90],
      ['30m', 1800],
      ['2h', 7200],
      ['1d', 86_400],
      ['1h30m', 5400],
      ['1.5h', 5400],
      ['1d2h3m4s', 93_784],
    ];
    for (const [written, seconds] of cases) {
      expect(durationSeconds(written)).toBe(seconds);
      expect(parse(`${HEADER}budget: {maxDuration: ${written}}\n`).budget.maxDurationSeconds).toBe(seconds);
    }
  });
});

describe('the normalized spec is plain JSON', () => {
  test('it survives JSON.stringify unchanged and shares nothing with defaults', () => {
    const first = parse(HEADER);
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
    first.search.sampler.options.mutated = true;
    first.objective.push({ metric: 'x', direction: 'maximize' });
    expect(parse(HEADER).search.sampler.options).toEqual({});
    expect(parse(HEADER).objective).toHaveLength(1);
  });
});

describe('shipped specs', () => {
  const root = join(__dirname, '..', '..');
  const files = [
    ...readdirSync(join(root, 'experiments'))
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => join('experiments', file)),
    join('tests', 'fixtures', 'specs', 'tiny.yaml'),
  ];

  test('the examples are there', () => {
    expect(files).toEqual(expect.arrayContaining([join('experiments', 'quickstart.yaml'), join('experiments', 'fashion-mnist-lenet.yaml')]));
  });

  test.each(files)('%s loads and round-trips through JSON', async (file) => {
    const spec = await loadSpecFile(join(root, file));
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(hasUndefined(spec)).toBe(false);
  });

  test('quickstart is small enough for a laptop and exercises a conditional parameter', async () => {
    const spec = await loadSpecFile(join(root, 'experiments', 'quickstart.yaml'));
    expect(spec.dataset.name).toBe('synthetic-shapes');
    expect(spec.model.family).toBe('cnn');
    expect(spec.budget.maxTrials * spec.training.epochs + spec.retrain.topK * spec.retrain.epochs).toBeLessThanOrEqual(60);
    expect(spec.search.space.momentum).toMatchObject({ when: { optimizer: 'sgd' } });
    expect(spec.retrain).toMatchObject({ topK: 2, epochs: 6 });
  });

  test('the end-to-end fixture stays tiny', async () => {
    const spec = await loadSpecFile(join(root, 'tests', 'fixtures', 'specs', 'tiny.yaml'));
    expect(spec.model.family).toBe('mlp');
    expect(spec.budget.maxTrials).toBe(4);
    expect(spec.training.epochs).toBe(2);
    expect(spec.retrain).toMatchObject({ topK: 1, epochs: 2 });
    expect(readFileSync(join(root, 'tests', 'fixtures', 'specs', 'tiny.yaml'), 'utf8')).toMatch(/trainSize: 600/);
  });
});

function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasUndefined);
  return false;
}
