import { describe, expect, it } from 'vitest';
import { AlgorithmConfigError, SpaceExhaustedError } from '../../search/errors';
import { paramsKey } from '../../search/space';
import type { SearchSpace } from '../../search/space-types';
import { createStudy, type Study } from '../../search/study';

function askAll(study: Study, limit: number): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  for (let i = 0; i < limit; i++) {
    let asked;
    try {
      asked = study.ask();
    } catch (err) {
      expect(err).toBeInstanceOf(SpaceExhaustedError);
      break;
    }
    seen.push(asked.params);
    if (i % 2 === 0) study.tell(asked.number, i); // the rest stay RUNNING: they count as visited too
  }
  return seen;
}

describe('grid sampler', () => {
  const space: SearchSpace = {
    opt: { type: 'categorical', choices: ['sgd', 'adam'] },
    layers: { type: 'int', low: 1, high: 3 },
    dropout: { type: 'float', low: 0, high: 0.5, step: 0.25 },
    momentum: { type: 'float', low: 0, high: 0.9, when: { opt: 'sgd' } },
    lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
    batch: 32,
  };
  const options = { grid: { momentum: [0, 0.9], lr: [1e-3, 1e-2] } };
  // sgd: 3 layers × 3 dropouts × 2 momenta × 2 lrs = 36; adam: 3 × 3 × 2 = 18.
  const total = 54;

  it('visits every grid configuration exactly once, then reports exhaustion', () => {
    const study = createStudy({ space, sampler: { type: 'grid', seed: 4, options } });
    const seen = askAll(study, total + 5);
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((p) => paramsKey(p as never))).size).toBe(total);
    for (const p of seen) {
      expect(p.batch).toBe(32);
      expect([0, 0.25, 0.5]).toContain(p.dropout);
      expect([1e-3, 1e-2]).toContain(p.lr);
      expect('momentum' in p).toBe(p.opt === 'sgd');
    }
    expect(() => study.ask()).toThrow(/the grid is exhausted: all 54 configurations have been tried/);
  });

  it('shuffles by seed, deterministically', () => {
    const order = (seed: number) => askAll(createStudy({ space, sampler: { type: 'grid', seed, options } }), 10).map((p) => paramsKey(p as never));
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
  });

  it('spaces continuous floats by nPoints (log-spaced on a log scale)', () => {
    const study = createStudy({
      space: { lr: { type: 'float', low: 1e-4, high: 1, log: true }, x: { type: 'float', low: 0, high: 1 } },
      sampler: { type: 'grid', seed: 0, options: { nPoints: { lr: 5, x: 3 } } },
    });
    const seen = askAll(study, 20);
    expect(seen).toHaveLength(15);
    const lrs = [...new Set(seen.map((p) => p.lr as number))].sort((a, b) => a - b);
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo(10 ** (i - 4), 12));
    expect([...new Set(seen.map((p) => p.x))].sort()).toEqual([0, 0.5, 1]);
  });

  it('rejects grid values outside the space and unknown parameters, naming them', () => {
    const bad = (grid: Record<string, unknown>) => () =>
      createStudy({ space, sampler: { type: 'grid', seed: 0, options: { grid } } }).ask();
    expect(bad({ layers: [1, 7] })).toThrow(AlgorithmConfigError);
    expect(bad({ layers: [1, 7] })).toThrow(/grid\.layers.*\[1, 3\]/);
    expect(bad({ nope: [1] })).toThrow(/"nope" is not a parameter/);
    expect(() => createStudy({ space, sampler: { type: 'grid', options: { grid: { layers: [] } } } })).toThrow(/non-empty list/);
    expect(() => createStudy({ space, sampler: { type: 'grid', options: { nPoints: 0 } } })).toThrow(/nPoints/);
  });
});
