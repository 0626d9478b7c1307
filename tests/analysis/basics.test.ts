// Hand-computed cases for the analysis layer: best so far, EDF, rung statistics.
import { describe, expect, it } from 'vitest';
import { bestSoFar, edf, rungStatistics } from '../../analysis';
import type { TrialView } from '../../search/types';

const done = (number: number, value: number, extra: Partial<TrialView> = {}): TrialView => ({ number, params: {}, state: 'COMPLETE', values: [value], ...extra });

describe('bestSoFar', () => {
  const trials: TrialView[] = [
    done(3, 2),
    done(0, 5),
    { number: 1, params: {}, state: 'PRUNED', intermediate: { 1: 0.1 } },
    done(2, 1, { constraints: [0.5] }), // infeasible: shown, never best
    { number: 4, params: {}, state: 'FAIL' },
    { number: 5, params: {}, state: 'RUNNING' },
    done(6, 2), // ties the best: the earlier trial keeps it
  ];

  it('minimize: number order, pruned/failed without value, infeasible never best, running skipped', () => {
    expect(bestSoFar(trials, 'minimize')).toEqual([
      { number: 0, state: 'COMPLETE', value: 5, feasible: true, best: 5, bestNumber: 0 },
      { number: 1, state: 'PRUNED', value: null, feasible: true, best: 5, bestNumber: 0 },
      { number: 2, state: 'COMPLETE', value: 1, feasible: false, best: 5, bestNumber: 0 },
      { number: 3, state: 'COMPLETE', value: 2, feasible: true, best: 2, bestNumber: 3 },
      { number: 4, state: 'FAIL', value: null, feasible: true, best: 2, bestNumber: 3 },
      { number: 6, state: 'COMPLETE', value: 2, feasible: true, best: 2, bestNumber: 3 },
    ]);
  });

  it('maximize keeps the largest', () => {
    expect(bestSoFar(trials, 'maximize').map((p) => p.best)).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('no trials before the first value: best is null', () => {
    expect(bestSoFar([{ number: 0, params: {}, state: 'FAIL' }], 'minimize')).toEqual([
      { number: 0, state: 'FAIL', value: null, feasible: true, best: null, bestNumber: null },
    ]);
  });
});

describe('edf', () => {
  it('sorted distinct values with the cumulative fraction; ties make one step', () => {
    expect(edf([3, 1, 2, 2])).toEqual([
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
  });

  it('drops non-finite values from the values and the denominator', () => {
    expect(edf([NaN, 4, Infinity, 2])).toEqual([
      { value: 2, fraction: 0.5 },
      { value: 4, fraction: 1 },
    ]);
    expect(edf([])).toEqual([]);
  });
});

describe('rungStatistics', () => {
  it('reached, stopped (pruned at its last report), best and median per epoch', () => {
    const trials: TrialView[] = [
      { number: 0, params: {}, state: 'COMPLETE', values: [0.1], intermediate: { 1: 0.5, 2: 0.3, 3: 0.1 } },
      { number: 1, params: {}, state: 'PRUNED', intermediate: { 1: 0.9 } },
      { number: 2, params: {}, state: 'PRUNED', intermediate: { 1: 0.4, 2: 0.6 } },
      { number: 3, params: {}, state: 'RUNNING', intermediate: { 1: 0.7 } },
      { number: 4, params: {}, state: 'FAIL' },
    ];
    const rungs = rungStatistics(trials, 'minimize');
    expect(rungs.map(({ median: _, ...r }) => r)).toEqual([
      { epoch: 1, reached: 4, stopped: 1, best: 0.4 },
      { epoch: 2, reached: 2, stopped: 1, best: 0.3 },
      { epoch: 3, reached: 1, stopped: 0, best: 0.1 },
    ]);
    // Medians: (0.5 + 0.7) / 2 of [0.4, 0.5, 0.7, 0.9]; (0.3 + 0.6) / 2; the one value.
    expect(rungs[0]!.median).toBeCloseTo(0.6, 12);
    expect(rungs[1]!.median).toBeCloseTo(0.45, 12);
    expect(rungs[2]!.median).toBe(0.1);
    expect(rungStatistics(trials, 'maximize').map((r) => r.best)).toEqual([0.9, 0.6, 0.1]);
    expect(rungStatistics([], 'minimize')).toEqual([]);
  });
});
