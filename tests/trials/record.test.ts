import { describe, expect, it } from 'vitest';
import { compareValues } from '../../search/ranking';
import { createStudy } from '../../search/study';
import { countStates, leaderboard, newTrial, rankCompleted, toView, type TrialRecord } from '../../trials';

function trial(number: number, state: TrialRecord['state'], value: number | null, history: Record<number, number[]> = {}): TrialRecord {
  return { ...newTrial(number, { lr: number / 10 }), state, values: value === null ? null : [value], history, epochsDone: Object.keys(history).length };
}

describe('trial bookkeeping', () => {
  it('ranks completed trials by the first objective, NaN last, ties by number', () => {
    const trials = [trial(0, 'COMPLETE', 0.5), trial(1, 'COMPLETE', NaN), trial(2, 'COMPLETE', 0.2), trial(3, 'PRUNED', null), trial(4, 'COMPLETE', 0.2)];
    expect(rankCompleted(trials, 'minimize').map((t) => t.number)).toEqual([2, 4, 0, 1]);
    expect(rankCompleted(trials, 'maximize').map((t) => t.number)).toEqual([0, 2, 4, 1]);
    expect(compareValues(Infinity, 1, 'maximize')).toBeGreaterThan(0);
  });

  it('puts unfinished trials after completed ones, by their best intermediate value', () => {
    const trials = [trial(0, 'PRUNED', null, { 1: [0.9] }), trial(1, 'COMPLETE', 0.4, { 1: [0.6], 2: [0.4] }), trial(2, 'FAIL', null), trial(3, 'PRUNED', null, { 1: [0.7], 2: [0.3] })];
    const rows = leaderboard(trials, 'minimize');
    expect(rows.map((r) => r.trialNumber)).toEqual([1, 3, 0, 2]);
    expect(rows[0]).toMatchObject({ state: 'COMPLETE', values: [0.4], epochs: 2 });
  });

  it('summarizes trials for the sampler with the first objective per epoch', () => {
    const t = trial(5, 'COMPLETE', 0.1, { 1: [0.5, 3], 2: [0.1, 4] });
    expect(toView(t)).toEqual({ number: 5, params: { lr: 0.5 }, state: 'COMPLETE', values: [0.1], intermediate: { 1: 0.5, 2: 0.1 } });
    expect(countStates([t, trial(6, 'FAIL', null), { ...trial(7, 'RUNNING', null), paused: true }])).toEqual({ RUNNING: 0, COMPLETE: 1, PRUNED: 0, FAIL: 1, PAUSED: 1 });
  });

  it('never ranks a trial that breaks a constraint, however good its value, and lists it after the feasible ones', () => {
    const feasible = { ...trial(0, 'COMPLETE', 0.5), constraints: [-10] };
    const infeasible = { ...trial(1, 'COMPLETE', 0.1), constraints: [33_000] };
    const unconstrained = trial(2, 'COMPLETE', 0.7);
    const pruned = trial(3, 'PRUNED', null, { 1: [0.05] });
    const trials = [feasible, infeasible, unconstrained, pruned];
    expect(rankCompleted(trials, 'minimize').map((t) => t.number)).toEqual([0, 2]);
    const rows = leaderboard(trials, 'minimize');
    expect(rows.map((r) => [r.trialNumber, r.infeasible ?? false])).toEqual([[0, false], [2, false], [1, true], [3, false]]);
  });

  it('agrees with the ask/tell study on the best trial (one ranking for both)', () => {
    const study = createStudy({ space: { x: { type: 'float', low: 0, high: 1 } }, sampler: { type: 'random', seed: 4 } });
    const records: TrialRecord[] = [];
    for (let i = 0; i < 40; i++) {
      const { number, params } = study.ask();
      const value = Number(params.x);
      const constraints = [value < 0.3 ? 1 : -1]; // the best values are infeasible
      study.tell(number, value, { constraints });
      records.push({ ...newTrial(number, params), state: 'COMPLETE', values: [value], constraints });
    }
    expect(study.bestTrial!.number).toBe(rankCompleted(records, 'minimize')[0]!.number);
    expect(Number(study.bestTrial!.params.x)).toBeGreaterThanOrEqual(0.3);
  });
});
