// Problems the schema cannot see (they involve several fields), each still pinned to the right node.
import { describe, expect, test } from 'vitest';
import { checkSpace } from '../../spec';
import { HEADER, problemLines } from './helpers';

const withSpace = (...lines: string[]): string => `${HEADER}search:\n  space:\n${lines.map((line) => `    ${line}\n`).join('')}`;

describe('search space checks', () => {
  test('ranges: low < high, log needs low > 0, step fits the range', () => {
    const text = withSpace(
      'lr:',
      '  type: float',
      '  low: 1',
      '  high: 0.1',
      'wd: {type: float, low: 0, high: 1, log: true}',
      'drop: {type: float, low: 0, high: 0.5, step: 1}',
      'units: {type: int, low: 8, high: 64, log: true, step: 8}',
      'eps: {type: float, low: 1.0e-8, high: 1.0e-4, log: true, step: 1.0e-8}',
    );
    expect(problemLines(text)).toEqual([
      'x.yaml:8:12: search.space.lr.low: must be < high (low=1, high=0.1)',
      'x.yaml:10:28: search.space.wd.low: must be > 0 when log is true (low=0)',
      'x.yaml:11:50: search.space.drop.step: must be <= high - low (step=1, high - low=0.5)',
      'x.yaml:12:59: search.space.units.step: cannot be combined with log: true (an int parameter with log: true has step 1)',
      'x.yaml:13:68: search.space.eps.step: cannot be combined with log: true (a float parameter cannot have both)',
    ]);
  });

  test('a parameter name with a dot is quoted in the path', () => {
    expect(problemLines(withSpace('conv.filters: {type: int, low: 64, high: 8}'))).toEqual([
      'x.yaml:6:36: search.space["conv.filters"].low: must be < high (low=64, high=8)',
    ]);
  });

  test('when: names a known parameter, with values it can take', () => {
    const text = withSpace(
      'optimizer: {type: categorical, choices: [adam, sgd]}',
      'momentum: {type: float, low: 0, high: 1, when: {optimizer: [sgd, nesterov]}}',
      'beta: {type: float, low: 0, high: 1, when: {optimiser: adam}}',
      'depth: {type: int, low: 1, high: 4}',
      'width: {type: int, low: 1, high: 4, when: {depth: 2.5}}',
      'mode: {type: fixed, value: fast, when: {mode: fast}}',
    );
    expect(problemLines(text)).toEqual([
      'x.yaml:7:70: search.space.momentum.when.optimizer[1]: "nesterov" is not a choice of "optimizer" (choices: "adam", "sgd")',
      'x.yaml:8:49: search.space.beta.when.optimiser: unknown parameter "optimiser" (the space has: optimizer, momentum, beta, depth, width, mode)',
      'x.yaml:10:55: search.space.width.when.depth: "depth" takes an integer in [1, 4] (got 2.5)',
      'x.yaml:11:45: search.space.mode.when.mode: a parameter cannot depend on itself',
    ]);
  });

  test('when: dependencies must not form a cycle', () => {
    const text = withSpace(
      'a: {type: categorical, choices: [x, y], when: {c: on}}',
      'b: {type: categorical, choices: [on, off], when: {a: x}}',
      'c: {type: categorical, choices: [on, off], when: {b: on}}',
    );
    expect(problemLines(text)).toEqual(['x.yaml:7:55: search.space.b.when.a: conditions form a cycle: a -> c -> b -> a']);
  });

  test('enqueued configurations name known parameters with values inside the space', () => {
    const text = [
      withSpace(
        'lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}',
        'optimizer: {type: categorical, choices: [adam, sgd]}',
        'momentum: {type: float, low: 0, high: 1, when: {optimizer: sgd}}',
        'layers: 2',
      ).trimEnd(),
      '  enqueue:',
      '    - {lr: 0.5, optimizer: adam}',
      '    - {optimizer: rmsprop, layers: 3}',
      '    - {optimizer: adam, momentum: 0.9, lr_: 0.01}',
      '',
    ].join('\n');
    expect(problemLines(text)).toEqual([
      'x.yaml:11:12: search.enqueue[0].lr: "lr" takes a number in [0.0001, 0.1] (got 0.5)',
      'x.yaml:12:19: search.enqueue[1].optimizer: "rmsprop" is not a choice of "optimizer" (choices: "adam", "sgd")',
      'x.yaml:12:36: search.enqueue[1].layers: "layers" is fixed at 2 (got 3)',
      'x.yaml:13:35: search.enqueue[2].momentum: is inactive in this configuration: it applies when optimizer is "sgd" (here optimizer is "adam")',
      'x.yaml:13:40: search.enqueue[2].lr_: unknown parameter "lr_" (the space has: lr, optimizer, momentum, layers)',
    ]);
  });

  test('a broken range is reported once, not again for every value checked against it', () => {
    const text = `${withSpace('units: {type: int, low: 64, high: 8}')}  enqueue:\n    - {units: 16}\n`;
    expect(problemLines(text)).toEqual(['x.yaml:6:29: search.space.units.low: must be < high (low=64, high=8)']);
  });

  test('checkSpace is a pure function over a space, with paths relative to `search`', () => {
    expect(checkSpace({ lr: { type: 'float', low: 0.1, high: 0.01 }, layers: 3 }, [{ layers: 3 }, { layers: 4 }])).toEqual([
      { path: ['space', 'lr', 'low'], message: 'must be < high (low=0.1, high=0.01)' },
      { path: ['enqueue', 1, 'layers'], message: '"layers" is fixed at 3 (got 4)' },
    ]);
    expect(checkSpace({ a: { type: 'int', low: 1, high: 10, step: 3, when: { b: true } }, b: { type: 'categorical', choices: [true, false] } })).toEqual([]);
  });
});

describe('cross-field checks', () => {
  test('objective metrics are unique', () => {
    const text = `${HEADER}objective:\n  - {metric: val_loss, direction: minimize}\n  - {metric: val_loss, direction: maximize}\n`;
    expect(problemLines(text)).toEqual(['x.yaml:6:14: objective[1].metric: repeats metric "val_loss" (already objective[0])']);
  });

  test('concurrency, retrain and enqueue fit in the trial budget; segments fit in the epochs', () => {
    const text = [
      HEADER + 'search:',
      '  space: {units: {type: categorical, choices: [8, 16, 32]}}',
      '  enqueue: [{units: 8}, {units: 16}, {units: 32}]',
      'budget: {maxTrials: 2, maxConcurrentTrials: 3}',
      'training: {epochs: 4, segmentEpochs: 5}',
      'retrain: {topK: 4}',
      'resources: {taskQueue: gpu, fallbackTaskQueue: gpu}',
      '',
    ].join('\n');
    expect(problemLines(text)).toEqual([
      'x.yaml:6:38: search.enqueue[2]: would never be tried: budget.maxTrials is 2 and search.enqueue has 3 entries',
      'x.yaml:7:45: budget.maxConcurrentTrials: must be <= budget.maxTrials (maxConcurrentTrials=3, maxTrials=2)',
      'x.yaml:8:38: training.segmentEpochs: must be <= training.epochs (segmentEpochs=5, epochs=4)',
      'x.yaml:9:17: retrain.topK: must be <= budget.maxTrials (topK=4, maxTrials=2)',
      'x.yaml:10:48: resources.fallbackTaskQueue: must differ from resources.taskQueue ("gpu")',
    ]);
  });

  test('registered names are checked when the caller knows them', () => {
    const text = 'name: t\ndataset: fashion-mnist\nmodel: {family: lenet5}\nsearch: {sampler: rnadom, scheduler: {type: median}}\n';
    const knownNames = { datasets: ['fashion-mnist'], models: ['mlp', 'lenet'], samplers: ['random', 'tpe'], schedulers: ['median'] };
    expect(problemLines(text, { knownNames })).toEqual([
      'x.yaml:3:17: model.family: unknown model family "lenet5" (known: mlp, lenet)',
      'x.yaml:4:19: search.sampler: unknown sampler "rnadom" (known: random, tpe)',
    ]);
  });
});
