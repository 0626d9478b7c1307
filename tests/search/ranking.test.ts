// The one ranking (search/ranking.ts): one objective by value, several by Pareto front then crowding
// distance, infeasible trials never ranked (and listed last by the leaderboard), ties by compareTies.
import { describe, expect, it } from 'vitest';
import { bestFeasible, compareTies, rankFeasible, rankFeasibleFronts, type Rankable } from '../../search/ranking';
import { leaderboard, newTrial, type TrialRecord } from '../../trials';

const done = (number: number, values: number[], extra: Partial<Rankable> = {}): Rankable => ({ number, state: 'COMPLETE', values, ...extra });
const numbers = (ranked: readonly Rankable[]) => ranked.map((t) => t.number);

describe('one objective', () => {
  it('is the order it always was: by value, NaN last, non-COMPLETE left out', () => {
    const trials = [done(0, [0.5]), done(1, [NaN]), done(2, [0.2]), { number: 3, state: 'PRUNED' as const }, done(4, [0.3])];
    expect(numbers(rankFeasible(trials, 'minimize'))).toEqual([2, 4, 0, 1]);
    expect(numbers(rankFeasible(trials, ['maximize']))).toEqual([0, 4, 2, 1]);
  });

  it('gives the trials tied at the best value front 1, the next value front 2', () => {
    const fronts = rankFeasibleFronts([done(0, [1]), done(1, [0.9]), done(2, [1]), done(3, [1])], 'maximize');
    expect(fronts.map((r) => [r.trial.number, r.front])).toEqual([[0, 1], [2, 1], [3, 1], [1, 2]]);
  });
});

describe('bestFeasible', () => {
  it("is rankFeasible's first trial, in one pass: values with ties, NaN, infeasible and unfinished trials", () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const trials: Rankable[] = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, n) => {
        const r = next();
        if (r < 0.15) return { number: n, state: 'PRUNED' as const };
        const value = r < 0.2 ? NaN : Math.round(next() * 5) / 5; // few distinct values: many ties
        return done(n, [value], { ...(next() < 0.5 ? { tieBreak: Math.round(next() * 3) } : {}), epochsDone: 1 + Math.floor(next() * 3), ...(next() < 0.1 ? { constraints: [1] } : {}) });
      });
      for (const direction of ['minimize', 'maximize'] as const) expect(bestFeasible(trials, direction)?.number).toBe(rankFeasible(trials, direction)[0]?.number);
    }
    expect(bestFeasible([{ number: 0, state: 'RUNNING' }], 'minimize')).toBeUndefined();
    // Several objectives: the first of the Pareto ranking.
    const several = [done(0, [0.9, 1000]), done(1, [0.8, 100]), done(2, [0.7, 2000])];
    expect(bestFeasible(several, ['maximize', 'minimize'])?.number).toBe(rankFeasible(several, ['maximize', 'minimize'])[0]!.number);
  });
});

describe('ties (compareTies)', () => {
  it('the lower val_loss wins among equal values, a trial without one after those with one', () => {
    // Three trials at val_accuracy 1.0: trial 2 has the lowest val_loss, trial 0 has none recorded.
    const trials = [done(0, [1]), done(1, [1], { tieBreak: 0.08 }), done(2, [1], { tieBreak: 0.03 }), done(3, [0.95], { tieBreak: 0.01 })];
    expect(numbers(rankFeasible(trials, 'maximize'))).toEqual([2, 1, 0, 3]);
  });

  it('then fewer epochs, then the earlier trial number', () => {
    const a = done(5, [1], { tieBreak: 0.1, epochsDone: 8 });
    const b = done(6, [1], { tieBreak: 0.1, epochsDone: 4 });
    const c = done(2, [1], { tieBreak: 0.1, epochsDone: 8 });
    expect(numbers(rankFeasible([a, b, c], 'maximize'))).toEqual([6, 2, 5]);
    expect(compareTies(c, a)).toBeLessThan(0);
    expect(compareTies(a, a)).toBe(0);
  });

  it('the leaderboard and the campaign records use the same rule (tieBreak on the record)', () => {
    const rec = (n: number, value: number, tieBreak?: number): TrialRecord => ({
      ...newTrial(n, {}),
      state: 'COMPLETE',
      values: [value],
      epochsDone: 3,
      ...(tieBreak !== undefined ? { tieBreak } : {}),
    });
    const rows = leaderboard([rec(0, 1, 0.5), rec(1, 1, 0.2), rec(2, 0.9, 0.1)], ['maximize']);
    expect(rows.map((r) => [r.trialNumber, r.front])).toEqual([[1, 1], [0, 1], [2, 2]]);
  });
});

describe('several objectives', () => {
  // maximize accuracy, minimize parameter count.
  const dirs = ['maximize', 'minimize'] as const;

  it('ranks by non-dominated front: a dominated trial comes after every trial of the front, even with a better first objective than some', () => {
    const trials = [
      done(0, [0.9, 1000]), // front 1 (extreme: best accuracy)
      done(1, [0.8, 100]), // front 1
      done(2, [0.7, 10]), // front 1 (extreme: fewest parameters)
      done(3, [0.85, 2000]), // dominated by 0 only: front 2
      done(4, [0.6, 50]), // dominated by 2: front 2
    ];
    const ranked = rankFeasibleFronts(trials, dirs);
    expect(ranked.map((r) => r.front)).toEqual([1, 1, 1, 2, 2]);
    expect(new Set(ranked.slice(0, 3).map((r) => r.trial.number))).toEqual(new Set([0, 1, 2]));
    // The top-ranked trial has the best first objective (what TuneflowBestValue shows).
    expect(ranked[0]!.trial.number).toBe(0);
  });

  it('orders a front by crowding distance: extremes first (by the first objective), then the most isolated', () => {
    const trials = [
      done(0, [0.9, 1000]),
      done(1, [0.85, 900]), // crowded: close to trial 0
      done(2, [0.6, 100]),
      done(3, [0.75, 400]), // isolated: middle of the front
    ];
    expect(numbers(rankFeasible(trials, dirs))).toEqual([0, 2, 3, 1]);
  });

  it('never ranks an infeasible trial; the leaderboard lists it after every feasible one', () => {
    const rec = (n: number, values: number[], constraints?: number[]): TrialRecord => ({
      ...newTrial(n, {}),
      state: 'COMPLETE',
      values,
      ...(constraints ? { constraints } : {}),
    });
    const trials = [rec(0, [0.99, 10], [5]), rec(1, [0.8, 100], [-1]), rec(2, [0.7, 500], [-1]), { ...newTrial(3, {}), state: 'PRUNED' as const, history: { 1: [0.95, 5] } }];
    expect(numbers(rankFeasible(trials, dirs))).toEqual([1, 2]);
    const rows = leaderboard(trials, [...dirs]);
    expect(rows.map((r) => [r.trialNumber, r.front ?? null, r.infeasible ?? false])).toEqual([
      [1, 1, false],
      [2, 2, false],
      [0, null, true],
      [3, null, false],
    ]);
  });

  it('ties on every objective follow compareTies too', () => {
    const trials = [done(0, [0.9, 100], { tieBreak: 0.3 }), done(1, [0.9, 100], { tieBreak: 0.2 })];
    expect(numbers(rankFeasible(trials, dirs))).toEqual([1, 0]);
  });
});
