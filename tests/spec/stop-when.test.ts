// budget.stopWhen: normalized (minDelta defaults to 0, absent when not written), and bad values get a
// file:line:column error on the field.
import { describe, expect, test } from 'vitest';
import { parseSpec } from '../../spec';
import { HEADER, problemLines } from './helpers';

const budget = (lines: string) => `${HEADER}budget:\n  maxTrials: 10\n${lines}`;

describe('budget.stopWhen', () => {
  test('is absent unless written; minDelta defaults to 0', () => {
    expect(parseSpec(budget(''), 'x.yaml').budget.stopWhen).toBeUndefined();
    expect(parseSpec(budget('  stopWhen: {target: 0.95}\n'), 'x.yaml').budget.stopWhen).toEqual({ target: 0.95 });
    expect(parseSpec(budget('  stopWhen:\n    plateau: {trials: 4}\n'), 'x.yaml').budget.stopWhen).toEqual({ plateau: { trials: 4, minDelta: 0 } });
    expect(parseSpec(budget('  stopWhen: {target: 0.1, plateau: {trials: 4, minDelta: 0.002}}\n'), 'x.yaml').budget.stopWhen).toEqual({
      target: 0.1,
      plateau: { trials: 4, minDelta: 0.002 },
    });
  });

  test('bad values name the field, with line and column', () => {
    const lines = problemLines(budget('  stopWhen:\n    target: high\n    plateau: {trials: 0, minDelta: -1, window: 3}\n'));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^x\.yaml:7:13: budget\.stopWhen\.target: .*number/),
        expect.stringMatching(/^x\.yaml:8:\d+: budget\.stopWhen\.plateau\.trials: /),
        expect.stringMatching(/^x\.yaml:8:\d+: budget\.stopWhen\.plateau\.minDelta: /),
        expect.stringMatching(/^x\.yaml:8:\d+: budget\.stopWhen\.plateau\.window: /),
      ]),
    );
  });

  test('an empty stopWhen, and a plateau that could never fire, are refused', () => {
    expect(problemLines(budget('  stopWhen: {}\n'))).toEqual([expect.stringMatching(/^x\.yaml:6:13: budget\.stopWhen: /)]);
    expect(problemLines(budget('  stopWhen:\n    plateau: {trials: 10}\n'))).toEqual([
      'x.yaml:7:23: budget.stopWhen.plateau.trials: must be < budget.maxTrials: the plateau rule compares the best value before the last 10 finished trials with the best after them, so it could never stop a campaign of 10 trials',
    ]);
  });
});
