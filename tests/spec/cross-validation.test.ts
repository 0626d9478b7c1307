// training.crossValidation: kept when written, an integer 2..20, and refused beside a trainable (which
// splits its own data), each with a file:line:column error on the field.
import { describe, expect, test } from 'vitest';
import { parseSpec } from '../../spec';
import { HEADER, problemLines } from './helpers';

describe('training.crossValidation', () => {
  test('is absent unless written', () => {
    expect(parseSpec(HEADER, 'x.yaml').training.crossValidation).toBeUndefined();
    expect(parseSpec(`${HEADER}training:\n  crossValidation: 5\n`, 'x.yaml').training.crossValidation).toBe(5);
  });

  test('must be an integer from 2 to 20', () => {
    expect(problemLines(`${HEADER}training:\n  crossValidation: 1\n`)).toEqual([expect.stringMatching(/^x\.yaml:5:20: training\.crossValidation: must be >= 2/)]);
    expect(problemLines(`${HEADER}training:\n  crossValidation: 21\n`)).toEqual([expect.stringMatching(/^x\.yaml:5:20: training\.crossValidation: must be <= 20/)]);
    expect(problemLines(`${HEADER}training:\n  crossValidation: 2.5\n`)).toEqual([expect.stringMatching(/^x\.yaml:5:20: training\.crossValidation: .*integer/)]);
  });

  test('is refused with a trainable, which splits its own data', () => {
    const spec = 'name: t\ntrainable:\n  command: [python3, train.py]\ntraining:\n  crossValidation: 3\n';
    expect(problemLines(spec)).toEqual([expect.stringMatching(/^x\.yaml:5:20: training\.crossValidation: k-fold cross-validation needs tuneflow's engine/)]);
    const fn = 'name: t\ntrainable:\n  module: ./train.ts\ntraining:\n  crossValidation: 3\n';
    expect(problemLines(fn)).toEqual([expect.stringMatching(/^x\.yaml:5:20: training\.crossValidation: /)]);
  });
});
