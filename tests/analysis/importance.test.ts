// PED-ANOVA importance on synthetic objectives whose answer is known.
import { describe, expect, it } from 'vitest';
import { importance } from '../../analysis';
import { createRng } from '../../search/rng';
import { fromUnit, parseSpace, type Space } from '../../search/space';
import type { Params } from '../../search/space-types';
import type { TrialView } from '../../search/types';

/** n trials drawn uniformly (in unit coordinates) from the unconditional space, valued by f. */
function sample(space: Space, n: number, f: (p: Params) => number, seed = 7): TrialView[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, number) => {
    const params: Params = {};
    for (const param of space.params) params[param.name] = fromUnit(param, rng.uniform());
    return { number, params, state: 'COMPLETE', values: [f(params)] } as TrialView;
  });
}

const byName = (list: { name: string; importance: number }[]): Record<string, number> => Object.fromEntries(list.map((p) => [p.name, p.importance]));

describe('importance (PED-ANOVA)', () => {
  const space = parseSpace({
    x: { type: 'float', low: 0, high: 1 },
    y: { type: 'float', low: 0, high: 1 },
    z: { type: 'float', low: 0, high: 1 },
  });
  const f = (p: Params): number => 10 * ((p.x as number) - 0.3) ** 2 + 0.1 * (p.y as number);

  it('f = 10(x-0.3)^2 + 0.1y: x first, unused z near 0, shares sum to 1', () => {
    const result = importance(space, sample(space, 300, f), 'minimize');
    expect(result.map((p) => p.name)[0]).toBe('x');
    const share = byName(result);
    expect(share.z).toBeLessThan(0.05);
    expect(share.x).toBeGreaterThan(share.y!);
    expect(result.reduce((s, p) => s + p.importance, 0)).toBeCloseTo(1, 12);
  });

  it('maximize flips what is good: -f gives the same ranking', () => {
    const trials = sample(space, 300, (p) => -f(p));
    expect(importance(space, trials, 'maximize')[0]!.name).toBe('x');
    // ...and asking to minimize -f looks at the worst trials instead (x far from 0.3 at both ends).
    expect(importance(space, trials, 'minimize')).not.toEqual(importance(space, trials, 'maximize'));
  });

  it('is deterministic: same trials (in any order) give the same result', () => {
    const trials = sample(space, 200, f, 11);
    const first = importance(space, trials, 'minimize');
    expect(importance(space, trials, 'minimize')).toEqual(first);
    expect(importance(space, [...trials].reverse(), 'minimize')).toEqual(first);
    expect(importance(space, sample(space, 200, f, 12), 'minimize')).not.toEqual(first);
  });

  it('a categorical that decides the value ranks first; log and int parameters are encoded, not raw', () => {
    const mixed = parseSpace({
      optimizer: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop', 'adagrad'] },
      lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
      layers: { type: 'int', low: 1, high: 4 },
      noise: { type: 'float', low: 0, high: 1 },
    });
    const cost: Record<string, number> = { sgd: 3, adam: 0, rmsprop: 2, adagrad: 1 };
    const trials = sample(mixed, 400, (p) => cost[p.optimizer as string]! + 0.01 * Math.abs(Math.log10(p.lr as number) + 3));
    const result = importance(mixed, trials, 'minimize');
    expect(result[0]!.name).toBe('optimizer');
    const share = byName(result);
    // lr matters a little (log-distance to 1e-3): it beats the unused ones.
    expect(share.lr).toBeGreaterThan(share.layers!);
    expect(share.noise).toBeLessThan(0.05);
    expect(share.layers).toBeLessThan(0.05);
  });

  it('a parameter that never varied, and a fixed one, score exactly 0', () => {
    const s = parseSpace({ x: { type: 'float', low: 0, high: 1 }, k: { type: 'int', low: 1, high: 9 }, c: 5 });
    const trials = sample(s, 50, (p) => (p.x as number) ** 2).map((t) => ({ ...t, params: { ...t.params, k: 4 } }));
    const share = byName(importance(s, trials, 'minimize'));
    expect(share).toEqual({ x: 1, k: 0, c: 0 });
  });

  it('conditional parameters: judged where active, no throw', () => {
    const s = parseSpace({
      optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
      momentum: { type: 'float', low: 0, high: 0.99, when: { optimizer: 'sgd' } },
      beta1: { type: 'float', low: 0.8, high: 0.999, when: { optimizer: 'adam' } },
    });
    const rng = createRng(3);
    const trials: TrialView[] = Array.from({ length: 120 }, (_, number) => {
      const sgd = rng.uniform() < 0.5;
      const u = rng.uniform();
      const params: Params = sgd ? { optimizer: 'sgd', momentum: 0.99 * u } : { optimizer: 'adam', beta1: 0.8 + 0.199 * u };
      // With sgd the momentum decides; with adam beta1 does nothing.
      return { number, params, state: 'COMPLETE', values: [sgd ? (u - 0.9) ** 2 : 0.5] };
    });
    const result = importance(s, trials, 'minimize');
    const share = byName(result);
    expect(Object.keys(share).sort()).toEqual(['beta1', 'momentum', 'optimizer']);
    expect(result.find((p) => p.name === 'momentum')!.trials).toBeLessThan(120);
    expect(share.momentum).toBeGreaterThan(share.beta1!);
    expect(result.reduce((sum, p) => sum + p.importance, 0)).toBeCloseTo(1, 12);
  });

  it('a flat objective (every trial tied) gives every parameter 0, not NaN', () => {
    const result = importance(space, sample(space, 40, () => 1), 'minimize');
    expect(result.map((p) => p.importance)).toEqual([0, 0, 0]);
  });

  it('fewer than 2 usable trials gives [] without throwing; pruned, failed and infeasible do not count', () => {
    expect(importance(space, [], 'minimize')).toEqual([]);
    const one = sample(space, 1, f);
    expect(importance(space, one, 'minimize')).toEqual([]);
    const others: TrialView[] = [
      { number: 1, params: { x: 0.1, y: 0.1, z: 0.1 }, state: 'PRUNED' },
      { number: 2, params: { x: 0.2, y: 0.2, z: 0.2 }, state: 'FAIL' },
      { number: 3, params: { x: 0.3, y: 0.3, z: 0.3 }, state: 'COMPLETE', values: [0], constraints: [1] },
    ];
    expect(importance(space, [...one, ...others], 'minimize')).toEqual([]);
    expect(importance(space, sample(space, 2, f), 'minimize')).toHaveLength(3);
  });
});
