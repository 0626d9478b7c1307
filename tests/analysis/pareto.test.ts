// Pareto front and hypervolume on cases computed by hand (2-D rectangles, a 3-D unit cube).
import { describe, expect, it } from 'vitest';
import { hypervolumeHistory, hypervolumeOfLosses, paretoFrontOf } from '../../analysis';
import type { Direction, TrialView } from '../../search/types';

const done = (number: number, values: number[], extra: Partial<TrialView> = {}): TrialView => ({ number, params: {}, state: 'COMPLETE', values, ...extra });
const minmin: Direction[] = ['minimize', 'minimize'];

describe('paretoFrontOf', () => {
  it('keeps the non-dominated feasible trials, in number order', () => {
    const trials = [
      done(2, [3, 3]), // dominated by 1
      done(0, [1, 3]),
      done(1, [2, 2]),
      done(3, [0, 0], { constraints: [1] }), // would dominate all, but infeasible
      { number: 4, params: {}, state: 'PRUNED' } as TrialView,
      done(5, [3, 1]),
    ];
    expect(paretoFrontOf(trials, minmin).map((t) => t.number)).toEqual([0, 1, 5]);
  });

  it('honours maximize', () => {
    const trials = [done(0, [1, 3]), done(1, [2, 2]), done(2, [3, 3])];
    expect(paretoFrontOf(trials, ['maximize', 'maximize']).map((t) => t.number)).toEqual([2]);
    // min x, max y: (1, 3) is no worse than (3, 3) in both and better in x; (2, 2) is worse in both.
    expect(paretoFrontOf(trials, ['minimize', 'maximize']).map((t) => t.number)).toEqual([0]);
    expect(paretoFrontOf([...trials, done(3, [0, 1])], ['minimize', 'maximize']).map((t) => t.number)).toEqual([0, 3]);
  });
});

describe('hypervolumeHistory', () => {
  it('2-D with a reference: union of rectangles after each finished trial', () => {
    // Reference (4, 4). Trial 0 (1, 3): 3 x 1 = 3. Trial 1 (3, 1): adds 1 x 3 minus overlap 1 x 1 = 2 → 5.
    // Trial 2 pruned: unchanged. Trial 3 (2, 2): adds the 1 x 1 square (2..3, 2..3) → 6.
    // Trial 4 (3, 3): dominated → 6. Trial 5 (0, 0) infeasible → 6.
    const trials = [
      done(0, [1, 3]),
      done(1, [3, 1]),
      { number: 2, params: {}, state: 'PRUNED' } as TrialView,
      done(3, [2, 2]),
      done(4, [3, 3]),
      done(5, [0, 0], { constraints: [2] }),
    ];
    const { reference, history } = hypervolumeHistory(trials, minmin, [4, 4]);
    expect(reference).toEqual([4, 4]);
    expect(history).toEqual([
      { number: 0, hypervolume: 3 },
      { number: 1, hypervolume: 5 },
      { number: 2, hypervolume: 5 },
      { number: 3, hypervolume: 6 },
      { number: 4, hypervolume: 6 },
      { number: 5, hypervolume: 6 },
    ]);
  });

  it('default reference is the worst observed per objective (feasible trials only)', () => {
    // Worst: 3 in each. (1, 3) and (3, 1) sit on the reference and add nothing; (2, 2) adds 1 x 1.
    const trials = [done(0, [1, 3]), done(1, [3, 1]), done(2, [2, 2]), done(3, [9, 9], { constraints: [1] })];
    const { reference, history } = hypervolumeHistory(trials, minmin);
    expect(reference).toEqual([3, 3]);
    expect(history.map((h) => h.hypervolume)).toEqual([0, 0, 1, 1]);
  });

  it('maximize objectives: reference is the minimum, rectangles measured the other way', () => {
    const trials = [done(0, [2, 1]), done(1, [1, 2])];
    // Reference (0, 0): [0,2]x[0,1] ∪ [0,1]x[0,2] = 2 + 2 - 1 = 3.
    expect(hypervolumeHistory(trials, ['maximize', 'maximize'], [0, 0]).history.map((h) => h.hypervolume)).toEqual([2, 3]);
  });

  it('3-D: the unit cube, then two overlapping boxes', () => {
    expect(hypervolumeOfLosses([[0, 0, 0]], [1, 1, 1])).toBe(1);
    const dirs: Direction[] = ['minimize', 'minimize', 'minimize'];
    // Box A: (0,0,1)→(2,2,2) volume 4·1 = 4... with reference (2, 2, 2): A = [0,2]x[0,2]x[1,2] = 4;
    // B = [1,2]x[1,2]x[0,2] = 2; overlap [1,2]x[1,2]x[1,2] = 1 → 5.
    const trials = [done(0, [0, 0, 1]), done(1, [1, 1, 0])];
    expect(hypervolumeHistory(trials, dirs, [2, 2, 2]).history.map((h) => h.hypervolume)).toEqual([4, 5]);
    // The 3-D result agrees with the 2-D one when the third objective is constant.
    const flat = [done(0, [1, 3, 0]), done(1, [3, 1, 0]), done(2, [2, 2, 0])];
    expect(hypervolumeHistory(flat, dirs, [4, 4, 1]).history.map((h) => h.hypervolume)).toEqual([3, 5, 6]);
  });

  it('refuses a reference of the wrong length', () => {
    expect(() => hypervolumeHistory([done(0, [1, 1])], minmin, [1])).toThrow(/reference/);
  });
});
