import { describe, expect, test } from 'vitest';
import { DEFAULT_HEALTH_WEIGHT, healthAwareValue, normalizeObjective, objectiveLabel, objectiveValue } from '../../spec/objective';
import { epochValues, objectiveValues, outcomeMetrics, trialOutcome, trialValues, valueEpoch } from '../../trials';
import { parseSpec } from '../../spec';
import { HEADER, problemLines } from './helpers';

const parse = (text: string) => parseSpec(text, 'x.yaml');

describe('health-aware objectives', () => {
  test('`health: true` takes the default weight, a number is the weight, absent is a plain objective', () => {
    expect(normalizeObjective({ metric: 'val_accuracy', direction: 'maximize', health: true })).toEqual({
      metric: 'val_accuracy',
      direction: 'maximize',
      healthWeight: DEFAULT_HEALTH_WEIGHT,
    });
    expect(normalizeObjective({ metric: 'val_loss', direction: 'minimize', health: 0.5 }).healthWeight).toBe(0.5);
    expect(normalizeObjective({ metric: 'val_loss', direction: 'minimize', health: false })).toEqual({ metric: 'val_loss', direction: 'minimize' });
    expect(parse(`${HEADER}objective: {metric: val_accuracy, direction: maximize, health: true}\n`).objective).toEqual([
      { metric: 'val_accuracy', direction: 'maximize', healthWeight: 0.3 },
    ]);
  });

  test('the schema refuses a weight outside (0, 1) with the field named', () => {
    expect(problemLines(`${HEADER}objective: {metric: val_accuracy, direction: maximize, health: 1.5}\n`)).toEqual([
      expect.stringMatching(/^x\.yaml:4:\d+: objective\.health: .*1/),
    ]);
  });

  test('better health ranks better in both directions', () => {
    expect(healthAwareValue(0.9, 1, 0.3, 'maximize')).toBeCloseTo(0.93, 12);
    expect(healthAwareValue(0.9, 0, 0.3, 'maximize')).toBeCloseTo(0.63, 12);
    expect(healthAwareValue(0.5, 1, 0.3, 'minimize')).toBeCloseTo(0.35, 12);
    expect(healthAwareValue(0.5, 0, 0.3, 'minimize')).toBeCloseTo(0.65, 12);
  });

  test('objective values read the blended metric, and name what was not recorded', () => {
    const aware = { metric: 'val_accuracy', direction: 'maximize' as const, healthWeight: 0.3 };
    expect(objectiveValue(aware, { val_accuracy: 0.8, health_score: 0.5 })).toBeCloseTo(0.71, 12);
    expect(() => objectiveValue(aware, { val_accuracy: 0.8 })).toThrow(/objective metric "health_score" was not recorded \(recorded: val_accuracy\)/);
    expect(objectiveLabel(aware)).toBe('health_aware_val_accuracy');
    const spec = parse(`${HEADER}objective:\n  - {metric: val_accuracy, direction: maximize, health: 0.5}\n  - {metric: param_count, direction: minimize}\n`);
    expect(objectiveValues(spec, { val_accuracy: 0.6, health_score: 1, param_count: 1000 })).toEqual([0.8, 1000]);
  });
});

describe('objective aggregates', () => {
  test('`aggregate: best` is kept, `last` (the default) leaves the objective as it was', () => {
    expect(parse(`${HEADER}objective: {metric: val_accuracy, direction: maximize, aggregate: best}\n`).objective).toEqual([
      { metric: 'val_accuracy', direction: 'maximize', aggregate: 'best' },
    ]);
    expect(parse(`${HEADER}objective: {metric: val_loss, direction: minimize, aggregate: last}\n`).objective).toEqual([{ metric: 'val_loss', direction: 'minimize' }]);
    expect(problemLines(`${HEADER}objective: {metric: val_loss, direction: minimize, aggregate: mean}\n`)).toEqual([
      'x.yaml:4:63: objective.aggregate: must be one of last, best (got "mean")',
    ]);
  });

  test('a trial value is the last epoch, or the best epoch in the direction for `aggregate: best`', () => {
    const spec = parse(
      `${HEADER}objective:\n  - {metric: val_accuracy, direction: maximize, aggregate: best}\n  - {metric: val_loss, direction: minimize}\n  - {metric: train_seconds, direction: minimize, aggregate: best}\n`,
    );
    const history = { 1: [0.7, 0.9, 1], 2: [0.95, 0.5, 2], 3: [0.9, 0.4, 3], 4: [NaN, 0.45, 4] };
    // train_seconds grows every epoch, so its best is the first epoch's; a NaN epoch never wins.
    expect(trialValues(spec, [0.9, 0.45, 4], history)).toEqual([0.95, 0.45, 1]);
    const plain = parse(`${HEADER}objective: {metric: val_accuracy, direction: maximize}\n`);
    expect(trialValues(plain, [0.9], { 1: [0.95], 2: [0.9] })).toEqual([0.9]);
  });

  test('with `aggregate: best` on the first objective, constraints and the tie key read the epoch its value comes from', () => {
    const spec = parse(
      `${HEADER}objective: {metric: val_accuracy, direction: maximize, aggregate: best}\nsearch:\n  constraints:\n    - {metric: param_count, max: 100}\n`,
    );
    const byEpoch = new Map([
      [1, { val_accuracy: 0.7, val_loss: 0.9, param_count: 50 }],
      [2, { val_accuracy: 0.95, val_loss: 0.3, param_count: 80 }],
      [3, { val_accuracy: 0.95, val_loss: 0.2, param_count: 120 }],
      [4, { val_accuracy: 0.9, val_loss: 0.25, param_count: 150 }],
    ]);
    const last = byEpoch.get(4)!;
    // Epoch 2 is the earliest best: its val_loss is the tie key and its param_count is the one constrained (feasible).
    expect(valueEpoch(spec, epochValues(spec, byEpoch))).toBe(2);
    expect(trialOutcome(spec, last, byEpoch)).toEqual({ values: [0.95], constraints: [80 - 100], tieBreak: 0.3 });
    expect(outcomeMetrics(spec)).toEqual(['val_loss', 'param_count']);
    // `aggregate: last` (the default): the last epoch, as before.
    const plain = parse(`${HEADER}objective: {metric: val_accuracy, direction: maximize}\nsearch:\n  constraints:\n    - {metric: param_count, max: 100}\n`);
    expect(valueEpoch(plain, epochValues(plain, byEpoch))).toBeUndefined();
    expect(trialOutcome(plain, last, byEpoch)).toEqual({ values: [0.9], constraints: [50], tieBreak: 0.25 });
    // Epochs without the metrics (an old run): the last epoch's, as before.
    expect(trialOutcome(spec, last, new Map())).toEqual({ values: [0.9], constraints: [50], tieBreak: 0.25 });
  });
});
