// When the validation set cannot tell the top trials apart: ties, differences of one validation example,
// and differences within a binomial standard error; and what the message advises.
import { describe, expect, it } from 'vitest';
import { accuracyMargin, isAccuracy, separation } from '../../search/separation';

const acc = (values: number[], valExamples?: number, crossValidation?: number) =>
  separation({ metric: 'val_accuracy', direction: 'maximize', values, ...(valExamples ? { valExamples } : {}), ...(crossValidation ? { crossValidation } : {}) });

describe('separation', () => {
  it('the issue case: several trials at 1.000 on ~140 validation images', () => {
    const s = acc([1, 1, 1, 0.9857], 140);
    expect(s.tied).toBe(2);
    expect(s.margin).toBeCloseTo(1 / 140, 12); // p = 1: no binomial spread, one example decides
    expect(s.close).toBe(2); // 0.9857 is two examples below
    expect(s.message).toBe(
      'the validation set is too small to separate the top trials: 2 other trials are within 0.00714 of the best val_accuracy ' +
        '(140 validation examples: one example is 0.00714, the binomial standard error of a difference 0); training.crossValidation (e.g. 5) validates on every training example and could separate them',
    );
  });

  it('one example apart is within noise; the binomial error widens the margin below 1', () => {
    expect(acc([1, 139 / 140], 140).close).toBe(1);
    expect(acc([1, 138 / 140], 140).close).toBe(0);
    expect(acc([1, 138 / 140], 140).message).toBeNull();
    // p = 0.9 on 140 examples: sqrt(2 * 0.09 / 140) = 0.0359, about five examples.
    expect(accuracyMargin(0.9, 140)).toBeCloseTo(Math.sqrt(0.18 / 140), 12);
    expect(acc([0.9, 0.87, 0.85], 140).close).toBe(1);
    // 10x the data: the same gaps are told apart.
    expect(acc([0.9, 0.87, 0.85], 1400).close).toBe(0);
  });

  it('folds already on: advises more folds or data', () => {
    expect(acc([0.95, 0.95], 700, 5).message).toMatch(/; more folds \(training\.crossValidation, now 5\) or more data could separate them$/);
  });

  it('without the number of examples, or for a loss, only exact ties are reported', () => {
    expect(acc([0.9, 0.899]).message).toBeNull();
    expect(acc([0.9, 0.9]).message).toBe('the best val_accuracy is tied with 1 other trial (val_loss breaks the tie); training.crossValidation (e.g. 5) validates on every training example and could separate them');
    const loss = separation({ metric: 'val_loss', direction: 'minimize', values: [0.1, 0.1000001], valExamples: 140 });
    expect(loss).toEqual({ tied: 0, close: 0, message: null });
    expect(separation({ metric: 'val_loss', direction: 'minimize', values: [] }).message).toBeNull();
  });

  it('knows accuracy metrics by name', () => {
    expect(['val_accuracy', 'accuracy', 'test_accuracy'].every(isAccuracy)).toBe(true);
    expect(['val_loss', 'accuracy_gap', 'inaccuracyx'].some(isAccuracy)).toBe(false);
  });
});
