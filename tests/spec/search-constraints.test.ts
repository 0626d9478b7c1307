// `search.constraints` and `search.enqueue` in a spec: accepted, normalized, and bad entries pinned to
// their line. The campaign side (the values reaching the sampler) is in tests/search/suggest-activity.test.ts.
import { describe, expect, test } from 'vitest';
import { parseSpec } from '../../spec';
import { constraintValues } from '../../trials';
import { HEADER, problemLines } from './helpers';

const SPACE = '  space: {lr: {type: float, low: 1.0e-4, high: 0.1, log: true}, units: {type: int, low: 8, high: 64}}\n';

describe('search.constraints', () => {
  test('a list of {metric, max} reaches the normalized spec; without it the field is absent', () => {
    const spec = parseSpec(`${HEADER}search:\n${SPACE}  constraints:\n    - {metric: param_count, max: 1.0e6}\n    - {metric: train_seconds, max: 30}\n`, 'x.yaml');
    expect(spec.search.constraints).toEqual([
      { metric: 'param_count', max: 1e6 },
      { metric: 'train_seconds', max: 30 },
    ]);
    expect(parseSpec(`${HEADER}search:\n${SPACE}`, 'x.yaml').search).not.toHaveProperty('constraints');
  });

  test('a bound that is not a number, a missing metric and an unknown key are reported with file:line:column', () => {
    const text = `${HEADER}search:\n${SPACE}  constraints:\n    - {metric: param_count, max: big}\n    - {max: 3}\n    - {metric: m, max: 1, min: 0}\n`;
    const lines = problemLines(text);
    expect(lines.some((l) => l.startsWith('x.yaml:7:') && l.includes('search.constraints[0].max'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml:8:') && l.includes('search.constraints[1]') && l.includes('metric'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml:9:') && l.includes('min'))).toBe(true);
  });

  test('constraint metrics must be recorded metrics when the caller knows them', () => {
    const text = `${HEADER}search:\n${SPACE}  constraints: [{metric: params, max: 10}]\n`;
    expect(problemLines(text, { knownNames: { metrics: ['val_loss', 'param_count'] } })).toEqual([
      'x.yaml:6:26: search.constraints[0].metric: unknown metric "params" (recorded: val_loss, param_count)',
    ]);
  });

  test('constraint values are metric - max (<= 0 feasible), and a missing metric is a clear error', () => {
    const spec = parseSpec(`${HEADER}search:\n${SPACE}  constraints: [{metric: param_count, max: 1000}, {metric: val_loss, max: 0.5}]\n`, 'x.yaml');
    expect(constraintValues(spec, { param_count: 1200, val_loss: 0.25 })).toEqual([200, -0.25]);
    expect(() => constraintValues(spec, { val_loss: 0.25 })).toThrow(/constraint metric "param_count" was not recorded \(recorded: val_loss\)/);
    expect(constraintValues(parseSpec(`${HEADER}search:\n${SPACE}`, 'x.yaml'), { val_loss: 1 })).toBeUndefined();
  });
});

describe('search.enqueue', () => {
  test('configurations are kept in order in the normalized spec', () => {
    const spec = parseSpec(`${HEADER}search:\n${SPACE}  enqueue: [{lr: 0.01, units: 32}, {units: 8}]\n`, 'x.yaml');
    expect(spec.search.enqueue).toEqual([{ lr: 0.01, units: 32 }, { units: 8 }]);
  });
});
