// Shape errors found by the JSON schema, translated to plain English and pinned to the offending node.
import { describe, expect, test } from 'vitest';
import { HEADER, problemLines } from './helpers';

describe('schema errors name the field, the place and what was expected', () => {
  test('missing required fields point at the enclosing map', () => {
    expect(problemLines('dataset: d\nmodel: m\n')).toEqual(['x.yaml:1:1: missing required field "name"']);
    expect(problemLines(`${HEADER}objective: {metric: val_loss}\n`)).toEqual([
      'x.yaml:4:12: objective: missing required field "direction" (one of minimize, maximize)',
    ]);
  });

  test('an unknown key points at the key, lists the allowed keys and suggests a near miss', () => {
    expect(problemLines(`${HEADER}budget:\n  maxTrials: 4\n  maxTrial: 3\n`)).toEqual([
      'x.yaml:6:3: budget.maxTrial: unknown key "maxTrial" (allowed: maxTrials, maxConcurrentTrials, maxFailedTrials, maxDuration, stopWhen); did you mean "maxTrials"?',
    ]);
    expect(problemLines(`${HEADER}color: blue\n`)[0]).toMatch(
      /^x\.yaml:4:1: color: unknown key "color" \(allowed: name, description, seed, dataset, model, trainable, search, objective, budget, training, retrain, resources, tracking\)$/,
    );
  });

  test('wrong types, enums and bounds show the value that was given', () => {
    expect(problemLines(`${HEADER}seed: abc\n`)).toEqual(['x.yaml:4:7: seed: must be integer (got "abc")']);
    expect(problemLines(`${HEADER}seed: 4294967296\n`)).toEqual(['x.yaml:4:7: seed: must be <= 4294967295 (got 4294967296)']);
    expect(problemLines(`${HEADER}objective: {metric: acc, direction: max}\n`)).toEqual([
      'x.yaml:4:37: objective.direction: must be one of minimize, maximize (got "max")',
    ]);
    expect(problemLines(`${HEADER}budget: {maxTrials: 0, maxFailedTrials: -1}\n`)).toEqual([
      'x.yaml:4:21: budget.maxTrials: must be >= 1 (got 0)',
      'x.yaml:4:41: budget.maxFailedTrials: must be >= 0 (got -1)',
    ]);
    expect(problemLines(`${HEADER}training:\n  validationSplit: 1\n`)).toEqual(['x.yaml:5:20: training.validationSplit: must be < 1 (got 1)']);
    expect(problemLines(`${HEADER}tracking: {tags: {version: 2}}\n`)).toEqual(['x.yaml:4:28: tracking.tags.version: must be string (got 2)']);
  });

  test('a field that takes a string or a mapping says both', () => {
    expect(problemLines('name: t\ndataset: 5\nmodel: [cnn]\n')).toEqual([
      'x.yaml:2:10: dataset: must be mapping or string (got 5)',
      'x.yaml:3:8: model: must be mapping or string (got a list)',
    ]);
  });

  test('the name must be identifier-like', () => {
    expect(problemLines('name: my experiment\ndataset: d\nmodel: m\n')).toEqual([
      'x.yaml:1:7: name: must start with a letter or digit, use only letters, digits, ".", "_" and "-", and have at most 100 characters (got "my experiment")',
    ]);
  });

  test('a parameter with a known type reports the errors of that type only', () => {
    const text = `${HEADER}search:\n  space:\n    lr: {type: float, low: 0.1, choices: [1, 2]}\n`;
    expect(problemLines(text)).toEqual([
      'x.yaml:6:9: search.space.lr: missing required field "high"',
      'x.yaml:6:33: search.space.lr.choices: unknown key "choices" (allowed: type, low, high, log, step, when)',
    ]);
  });

  test('a parameter without a valid type says which types exist', () => {
    expect(problemLines(`${HEADER}search:\n  space:\n    lr: {low: 1, high: 2}\n`)).toEqual([
      'x.yaml:6:9: search.space.lr: missing required field "type" (one of float, int, categorical, fixed)',
    ]);
    expect(problemLines(`${HEADER}search:\n  space:\n    lr: {type: double, low: 1, high: 2}\n`)).toEqual([
      'x.yaml:6:16: search.space.lr.type: must be one of float, int, categorical, fixed (got "double")',
    ]);
  });

  test('int parameters need integer bounds; categorical choices are distinct and not empty', () => {
    const text = [
      HEADER + 'search:',
      '  space:',
      '    units: {type: int, low: 1.5, high: 8}',
      '    act: {type: categorical, choices: [relu, tanh, relu]}',
      '    none: {type: categorical, choices: []}',
      '',
    ].join('\n');
    expect(problemLines(text)).toEqual([
      'x.yaml:6:29: search.space.units.low: must be integer (got 1.5)',
      'x.yaml:7:52: search.space.act.choices[2]: repeats "relu" (same as item 0)',
      'x.yaml:8:40: search.space.none.choices: must not be empty',
    ]);
  });

  test('a parameter value must be a scalar or a mapping', () => {
    expect(problemLines(`${HEADER}search:\n  space:\n    lr:\n    units: [8, 16]\n`)).toEqual([
      'x.yaml:6:5: search.space.lr: must be string, number, boolean or mapping (got null)',
      'x.yaml:7:12: search.space.units: must be string, number, boolean or mapping (got a list)',
    ]);
  });

  test('parameter names are identifiers, reported at the key', () => {
    expect(problemLines(`${HEADER}search:\n  space:\n    "learning rate": 0.1\n`)).toEqual([
      'x.yaml:6:5: search.space["learning rate"]: invalid name "learning rate": must start with a letter or "_", use only letters, digits, "_", "." and "-", and have at most 100 characters',
    ]);
  });

  test('durations are seconds or strings like 1h30m', () => {
    expect(problemLines(`${HEADER}budget: {maxDuration: 30 min}\n`)).toEqual([
      'x.yaml:4:23: budget.maxDuration: must be a duration like 90s, 30m, 2h, 1d or 1h30m (got "30 min")',
    ]);
    expect(problemLines(`${HEADER}resources: {fallbackAfter: 0}\n`)).toEqual(['x.yaml:4:28: resources.fallbackAfter: must be > 0 (got 0)']);
    expect(problemLines(`${HEADER}budget: {maxDuration: 30m1h}\n`)[0]).toMatch(/^x\.yaml:4:23: budget\.maxDuration: must be a duration/);
  });

  test('values YAML allows but JSON cannot carry are refused', () => {
    expect(problemLines(`${HEADER.replace('dataset: d', 'dataset: {name: d, options: {scale: .inf}}')}`)).toEqual([
      'x.yaml:2:37: dataset.options.scale: must be a finite number (got Infinity)',
    ]);
  });

  test('all problems are reported at once, in file order', () => {
    const lines = problemLines('name: t\nseed: -1\ndataset: d\nmodel: m\nbudget: {maxTrials: x}\n');
    expect(lines).toEqual(['x.yaml:2:7: seed: must be >= 0 (got -1)', 'x.yaml:5:21: budget.maxTrials: must be integer (got "x")']);
  });
});
