// The bench's statistics: the exact Mann–Whitney p-value the sampler table uses to say whether two
// libraries' medians differ beyond seed noise. Reference values: scipy.stats.mannwhitneyu(method='exact').
import { describe, expect, it } from 'vitest';
import { iqr, mannWhitneyP, median } from '../../bench/table';

describe('bench statistics', () => {
  it('mannWhitneyP matches scipy (exact, two-sided)', () => {
    expect(mannWhitneyP([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.1, 12);
    expect(mannWhitneyP([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toBeCloseTo(0.007936507936507936, 12);
    expect(mannWhitneyP([1, 3, 5], [2, 4, 6])).toBeCloseTo(0.7, 12);
    expect(mannWhitneyP([0.3, 1.2, 0.5, 2.2, 0.9, 1.7, 0.1], [1.1, 2.5, 0.2, 3.1, 1.9])).toBeCloseTo(0.26767676767676774, 12);
    expect(mannWhitneyP([1, 2], [1, 2])).toBe(1);
    expect(mannWhitneyP([], [1])).toBeNaN();
  });

  it('median and IQR interpolate between order statistics', () => {
    expect(median([5, 1, 3, 2])).toBe(2.5);
    expect(iqr([1, 2, 3, 4, 5])).toBe(2);
  });
});
