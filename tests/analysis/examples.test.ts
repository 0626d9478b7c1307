// The @example in each analysis/ module's doc comment, run: the output it claims is the output it gives.
import { describe, expect, it } from 'vitest';
import { bestSoFar, edf, hypervolumeHistory, hypervolumeOfLosses, importance, paretoFrontOf, rungStatistics } from '../../analysis';
import { createRng } from '../../search/rng';
import { parseSpace } from '../../search/space';
import type { TrialView } from '../../search/types';

describe('doc comment examples', () => {
  it('bestSoFar', () => {
    const out = bestSoFar(
      [
        { number: 0, params: {}, state: 'COMPLETE', values: [3] },
        { number: 1, params: {}, state: 'PRUNED' },
        { number: 2, params: {}, state: 'COMPLETE', values: [1] },
      ],
      'minimize',
    ).map((p) => [p.value, p.best]);
    expect(out).toEqual([
      [3, 3],
      [null, 3],
      [1, 1],
    ]);
  });

  it('edf', () => {
    expect(edf([3, 1, 2, 2])).toEqual([
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
  });

  it('rungStatistics', () => {
    const out = rungStatistics(
      [
        { number: 0, params: {}, state: 'COMPLETE', values: [0.1], intermediate: { 1: 0.5, 2: 0.1 } },
        { number: 1, params: {}, state: 'PRUNED', intermediate: { 1: 0.9 } },
      ],
      'minimize',
    );
    expect(out).toEqual([
      { epoch: 1, reached: 2, stopped: 1, best: 0.5, median: 0.7 },
      { epoch: 2, reached: 1, stopped: 0, best: 0.1, median: 0.1 },
    ]);
  });

  it('paretoFrontOf, hypervolumeHistory, hypervolumeOfLosses', () => {
    const front = paretoFrontOf(
      [
        { number: 0, params: {}, state: 'COMPLETE', values: [1, 3] },
        { number: 1, params: {}, state: 'COMPLETE', values: [2, 2] },
        { number: 2, params: {}, state: 'COMPLETE', values: [3, 3] },
      ],
      ['minimize', 'minimize'],
    ).map((t) => t.number);
    expect(front).toEqual([0, 1]);
    const { history } = hypervolumeHistory(
      [
        { number: 0, params: {}, state: 'COMPLETE', values: [2, 1] },
        { number: 1, params: {}, state: 'COMPLETE', values: [1, 2] },
      ],
      ['minimize', 'minimize'],
      [3, 3],
    );
    expect(history).toEqual([
      { number: 0, hypervolume: 2 },
      { number: 1, hypervolume: 3 },
    ]);
    expect(hypervolumeOfLosses([[0, 0, 0]], [1, 1, 1])).toBe(1);
  });

  it('importance', () => {
    const space = parseSpace({ x: { type: 'float', low: 0, high: 1 }, z: { type: 'float', low: 0, high: 1 } });
    const rng = createRng(1);
    const trials: TrialView[] = Array.from({ length: 100 }, (_, number) => {
      const x = rng.uniform();
      return { number, params: { x, z: rng.uniform() }, state: 'COMPLETE', values: [(x - 0.3) ** 2] };
    });
    expect(importance(space, trials, 'minimize').map((p) => [p.name, p.importance.toFixed(2)])).toEqual([
      ['x', '0.99'],
      ['z', '0.01'],
    ]);
  });
});
