import { describe, expect, it } from 'vitest';
import { SpaceError } from '../../search/errors';
import { createRng } from '../../search/rng';
import {
  activeParams,
  contains,
  enumerateParams,
  explainParams,
  fromUnit,
  isActive,
  paramsKey,
  parseSpace,
  toUnit,
  valueProblem,
  type NumericParam,
  type Param,
} from '../../search/space';
import type { Params, Scalar, SearchSpace } from '../../search/space-types';
import { chiSquare, randomSpace } from './helpers';

function spaceError(raw: unknown): SpaceError {
  try {
    parseSpace(raw as SearchSpace);
  } catch (err) {
    if (err instanceof SpaceError) return err;
    throw err;
  }
  throw new Error('expected a SpaceError');
}

const param = (raw: SearchSpace[string], name = 'x'): Param => parseSpace({ [name]: raw }).byName.get(name)!;

describe('parseSpace validation', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['low >= high', { lr: { type: 'float', low: 1, high: 0.1 } }, 'lr', /^parameter "lr": low must be < high \(low=1, high=0.1\)$/],
    ['low == high', { n: { type: 'int', low: 3, high: 3 } }, 'n', /low must be < high/],
    ['log with low <= 0', { lr: { type: 'float', low: 0, high: 1, log: true } }, 'lr', /low must be > 0 when log is true \(low=0\)/],
    ['step <= 0', { d: { type: 'float', low: 0, high: 1, step: 0 } }, 'd', /step must be > 0 \(got 0\)/],
    ['step > high - low', { d: { type: 'float', low: 0, high: 1, step: 2 } }, 'd', /step must be <= high - low \(step=2, high - low=1\)/],
    ['int with non-integer low', { n: { type: 'int', low: 0.5, high: 4 } }, 'n', /low must be an integer/],
    ['int with non-integer step', { n: { type: 'int', low: 0, high: 4, step: 1.5 } }, 'n', /step must be an integer/],
    ['float log with step', { lr: { type: 'float', low: 0.1, high: 1, log: true, step: 0.1 } }, 'lr', /cannot be combined with log/],
    ['int log with step 2', { n: { type: 'int', low: 1, high: 64, log: true, step: 2 } }, 'n', /has step 1/],
    ['empty choices', { opt: { type: 'categorical', choices: [] } }, 'opt', /choices must be a non-empty list/],
    ['duplicate choices', { opt: { type: 'categorical', choices: ['a', 'b', 'a'] } }, 'opt', /"a" is listed twice/],
    ['unknown type', { x: { type: 'uniform', low: 0, high: 1 } }, 'x', /type must be one of float, int, categorical, fixed/],
    ['unknown field', { x: { type: 'float', lo: 0, high: 1 } }, 'x', /unknown field "lo"/],
    ['non-finite bound', { x: { type: 'float', low: 0, high: Infinity } }, 'x', /high must be a finite number/],
    [
      'when names an unknown parameter',
      { opt: { type: 'categorical', choices: ['sgd'] }, m: { type: 'float', low: 0, high: 1, when: { optimiser: 'sgd' } } },
      'm',
      /when names unknown parameter "optimiser" \(the space has: opt, m\)/,
    ],
    [
      'when with a value the parent never takes',
      { opt: { type: 'categorical', choices: ['sgd', 'adam'] }, m: { type: 'float', low: 0, high: 1, when: { opt: ['sgd', 'rmsprop'] } } },
      'm',
      /when.opt can never hold: "rmsprop" is not a choice of "opt"/,
    ],
    [
      'when with an off-grid value',
      { n: { type: 'int', low: 0, high: 10, step: 5 }, m: { type: 'float', low: 0, high: 1, when: { n: 3 } } },
      'm',
      /when.n can never hold: "n" takes values on the grid/,
    ],
    ['when on itself', { a: { type: 'categorical', choices: [1, 2], when: { a: 1 } } }, 'a', /cannot name the parameter itself/],
    [
      'cycle',
      {
        a: { type: 'categorical', choices: [1, 2], when: { b: 1 } },
        b: { type: 'categorical', choices: [1, 2], when: { a: 1 } },
      },
      'a',
      /conditions form a cycle: a -> b -> a/,
    ],
  ];
  for (const [title, raw, name, message] of cases) {
    it(`rejects ${title}, naming the parameter`, () => {
      const error = spaceError(raw);
      expect(error.param).toBe(name);
      expect(error.message).toMatch(message);
    });
  }

  it('names the field inside the definition', () => {
    expect(spaceError({ lr: { type: 'float', low: 1, high: 0.1 } }).field).toEqual(['low']);
    expect(spaceError({ opt: { type: 'categorical', choices: ['a', 'a'] } }).field).toEqual(['choices', 1]);
    expect(spaceError({ o: { type: 'categorical', choices: [1] }, m: { type: 'fixed', value: 1, when: { o: 2 } } }).field).toEqual(['when', 'o']);
    expect(spaceError({ d: { type: 'float', low: 0, high: 1, step: 3 } }).field).toEqual(['step']);
  });

  it('rejects a space that is not a mapping', () => {
    expect(spaceError([1, 2]).message).toBe('search space: must be a mapping of parameter name to definition');
  });

  it('normalizes bare scalars to fixed parameters and int step to 1', () => {
    const space = parseSpace({ batch: 32, name: 'x', n: { type: 'int', low: 1, high: 4 } });
    expect(space.byName.get('batch')).toMatchObject({ type: 'fixed', value: 32 });
    expect(space.byName.get('n')).toMatchObject({ step: 1, points: 4 });
    expect(space.definition).toEqual({ batch: { type: 'fixed', value: 32 }, name: { type: 'fixed', value: 'x' }, n: { type: 'int', low: 1, high: 4 } });
    expect(parseSpace(space.definition).definition).toEqual(space.definition);
  });
});

describe('conditions', () => {
  // Declared child-first on purpose: the order must still put parents first.
  const raw: SearchSpace = {
    nesterov: { type: 'categorical', choices: [true, false], when: { momentum: [0.9, 0.99] } },
    momentum: { type: 'categorical', choices: [0, 0.9, 0.99], when: { optimizer: 'sgd' } },
    optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
    lr: { type: 'float', low: 1e-4, high: 1, log: true },
  };
  const space = parseSpace(raw);

  it('orders parents before dependants, otherwise keeps declaration order', () => {
    expect(space.params.map((p) => p.name)).toEqual(['optimizer', 'momentum', 'nesterov', 'lr']);
  });

  it('lists the active parameters for (partial) configurations', () => {
    const names = (params: Record<string, Scalar>) => activeParams(space, params).map((p) => p.name);
    expect(names({ optimizer: 'adam', lr: 0.1 })).toEqual(['optimizer', 'lr']);
    expect(names({ optimizer: 'sgd' })).toEqual(['optimizer', 'momentum', 'lr']);
    expect(names({ optimizer: 'sgd', momentum: 0.9 })).toEqual(['optimizer', 'momentum', 'nesterov', 'lr']);
    // An inactive parent's stale value does not switch a grandchild on.
    expect(names({ optimizer: 'adam', momentum: 0.9 })).toEqual(['optimizer', 'lr']);
    expect(isActive(space.byName.get('momentum')!, { optimizer: 'sgd' })).toBe(true);
    expect(isActive(space.byName.get('momentum')!, { optimizer: 'adam' })).toBe(false);
  });

  it('checks membership: bounds, grid, conditions, missing and unknown parameters', () => {
    expect(contains(space, { optimizer: 'adam', lr: 0.01 })).toBe(true);
    expect(contains(space, { optimizer: 'sgd', momentum: 0, lr: 0.01 })).toBe(true);
    expect(contains(space, { optimizer: 'sgd', momentum: 0.9, nesterov: false, lr: 0.01 })).toBe(true);
    expect(explainParams(space, { optimizer: 'sgd', lr: 0.01 })).toBe('missing parameter "momentum"');
    expect(explainParams(space, { optimizer: 'adam', momentum: 0.9, lr: 0.01 })).toMatch(/"momentum" is inactive in this configuration \(it applies when optimizer is "sgd" \(here "adam"\)\)/);
    expect(explainParams(space, { optimizer: 'adam', lr: 2 })).toMatch(/"lr" takes a number in \[0.0001, 1\] \(got 2\)/);
    expect(explainParams(space, { optimizer: 'adam', lr: 0.1, extra: 1 })).toMatch(/unknown parameter "extra"/);
    expect(explainParams(space, { optimizer: 'rmsprop', lr: 0.1 })).toMatch(/"rmsprop" is not a choice of "optimizer"/);
    // Partial configurations (enqueue) may leave parameters out, but not contradict conditions.
    expect(explainParams(space, { momentum: 0.9 }, { partial: true })).toBeNull();
    expect(explainParams(space, { optimizer: 'adam', momentum: 0.9 }, { partial: true })).toMatch(/inactive/);

    const grid = parseSpace({ d: { type: 'float', low: 0, high: 0.5, step: 0.1 }, n: { type: 'int', low: 0, high: 20, step: 5 } });
    expect(contains(grid, { d: 0.3, n: 15 })).toBe(true);
    expect(contains(grid, { d: 0.1 + 0.2, n: 15 })).toBe(true); // binary noise is still on the grid
    expect(explainParams(grid, { d: 0.35, n: 15 })).toMatch(/"d" takes values on the grid 0 \+ k \* 0.1 \(got 0.35\)/);
    expect(explainParams(grid, { d: 0.3, n: 12 })).toMatch(/grid/);
    expect(explainParams(grid, { d: 0.3, n: 15.5 })).toMatch(/an integer/);
  });

  it('enumerates a finite space, honoring conditions and fixed values', () => {
    const all = enumerateParams(space, {}, 100);
    expect(all.kind).toBe('infinite'); // lr is continuous
    const finite = parseSpace({ ...raw, lr: { type: 'float', low: 0.1, high: 0.3, step: 0.1 } });
    const result = enumerateParams(finite, {}, 100);
    // adam: 3 lr; sgd: momentum 0 (3 lr) + momentum 0.9 or 0.99 × nesterov 2 × 3 lr (12) = 18
    expect(result.kind === 'all' && result.configurations.length).toBe(18);
    if (result.kind === 'all') expect(result.configurations.every((p) => contains(finite, p))).toBe(true);
    const fixed = enumerateParams(finite, { optimizer: 'adam' }, 100);
    expect(fixed.kind === 'all' && fixed.configurations.length).toBe(3);
    expect(enumerateParams(finite, {}, 17)).toEqual({ kind: 'too-many', limit: 17 });
    expect(enumerateParams(finite, {}, 18).kind).toBe('all');
  });
});

describe('encoding', () => {
  it('round-trips every grid point and choice exactly, continuous values closely', () => {
    const failures: string[] = [];
    for (let seed = 0; seed < 150; seed++) {
      const space = parseSpace(randomSpace(seed));
      const rng = createRng(seed, 1);
      for (const p of space.params) {
        for (let i = 0; i < 20; i++) {
          const value = fromUnit(p, rng.uniform());
          const u = toUnit(p, value);
          const back = fromUnit(p, u);
          const exact = !(p.type === 'float' && p.step === null);
          const same = exact ? back === value : Math.abs((back as number) - (value as number)) <= 1e-9 * Math.max(1, Math.abs(value as number));
          const problem = valueProblem(p, value) ?? (u >= 0 && u <= 1 ? null : `u=${u}`) ?? (same ? null : `came back as ${String(back)}`);
          if (problem !== null) failures.push(`seed ${seed} ${p.name}=${String(value)}: ${problem}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('maps the ends of [0, 1] to the ends of the range, log scale in the middle', () => {
    const lr = param({ type: 'float', low: 1e-4, high: 1, log: true });
    expect(fromUnit(lr, 0)).toBeCloseTo(1e-4, 12);
    expect(fromUnit(lr, 1)).toBe(1);
    expect(fromUnit(lr, 0.5)).toBeCloseTo(0.01, 12);
    expect(toUnit(lr, 0.01)).toBeCloseTo(0.5, 12);
    expect(fromUnit(lr, -3)).toBeCloseTo(1e-4, 12); // clamped
    const n = param({ type: 'int', low: 1, high: 5 });
    expect([0, 0.2, 0.39, 0.41, 0.999, 1].map((u) => fromUnit(n, u))).toEqual([1, 2, 2, 3, 5, 5]);
    expect(toUnit(n, 3)).toBeCloseTo(0.5, 12);
    const opt = param({ type: 'categorical', choices: ['a', 'b', 'c', 'd'] });
    expect(toUnit(opt, 'c')).toBe(0.625);
    expect(fromUnit(opt, 0.625)).toBe('c');
  });

  it('writes stepped floats without binary noise', () => {
    const d = param({ type: 'float', low: 0.1, high: 0.9, step: 0.1 }) as NumericParam;
    const values = Array.from({ length: d.points! }, (_, k) => fromUnit(d, (k + 0.5) / d.points!));
    expect(values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  it('gives every grid point equal mass (ints, steps, categoricals)', () => {
    const rng = createRng(99);
    const cases: [SearchSpace[string], Scalar[]][] = [
      [{ type: 'int', low: 1, high: 5 }, [1, 2, 3, 4, 5]],
      [{ type: 'int', low: 0, high: 11, step: 3 }, [0, 3, 6, 9]], // 11 is off the grid
      [{ type: 'float', low: 0, high: 1, step: 0.25 }, [0, 0.25, 0.5, 0.75, 1]],
      [{ type: 'categorical', choices: ['x', 'y', 'z'] }, ['x', 'y', 'z']],
    ];
    for (const [definition, points] of cases) {
      const p = param(definition);
      const counts = new Map(points.map((v) => [v, 0]));
      const strays: Scalar[] = [];
      for (let i = 0; i < 20_000; i++) {
        const v = fromUnit(p, rng.uniform());
        if (counts.has(v)) counts.set(v, counts.get(v)! + 1);
        else strays.push(v);
      }
      expect(strays).toEqual([]);
      // 99.9% quantile of chi-square with up to 4 degrees of freedom is 18.5; without the half-step
      // extension the end points would get half the mass and the statistic would be in the thousands.
      expect(chiSquare([...counts.values()])).toBeLessThan(18.5);
    }
  });

  it('keeps the end values of a log int range (half-step extension on the log scale)', () => {
    const n = param({ type: 'int', low: 1, high: 4, log: true });
    const rng = createRng(5);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[(fromUnit(n, rng.uniform()) as number) - 1]! += 1;
    // Mass of k is log((k + 0.5) / (k - 0.5)) / log(4.5 / 0.5): 50%, 23%, 15%, 12%.
    const expected = [1, 2, 3, 4].map((k) => Math.log((k + 0.5) / (k - 0.5)) / Math.log(9));
    counts.forEach((c, i) => expect(c / 20_000).toBeCloseTo(expected[i]!, 1));
  });
});

describe('paramsKey', () => {
  it('ignores key order and tells 1, "1" and true apart', () => {
    expect(paramsKey({ a: 1, b: 'x' })).toBe(paramsKey({ b: 'x', a: 1 }));
    const configurations: Params[] = [{ a: 1 }, { a: '1' }, { a: true }, { a: 1.0000001 }, { b: 1 }];
    const keys = configurations.map(paramsKey);
    expect(new Set(keys).size).toBe(5);
  });
});
