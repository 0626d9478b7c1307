// Grid search: every combination of per-parameter value lists, visited once each in a seeded shuffled
// order. Value lists: `options.grid[name]` when given (checked against the space), else every choice of a
// categorical, every point of an int or stepped float, and `nPoints` evenly spaced values (log-spaced for
// log floats; default 10, a number for every continuous float or a mapping per parameter) of a continuous
// float. Conditional parameters: combinations that differ only in inactive parameters are one
// configuration, visited at the first of their positions, so every branch of a condition comes up about as
// often as it has combinations of the full product (an `adam` branch is not drowned by a bigger `sgd`
// one). Every trial in the history (RUNNING ones included) counts as visited; when
// every grid configuration has been visited the sampler throws SpaceExhaustedError.
//
// The order is a keyed permutation of the combination indices (a Feistel network with cycle walking), so
// a grid of any size is shuffled without being materialized; trial n walks the permutation from the start
// and takes the first configuration not visited yet (attempt k: the (k+1)-th).
import { AlgorithmConfigError, SpaceExhaustedError } from '../../errors';
import { OptionReader } from '../../options';
import { buildParams, gridValue, paramsKey, valueProblem, type Param, type Space } from '../../space';
import type { Params, Scalar } from '../../space-types';
import { createRng, mix32 } from '../../rng';
import { type Sampler, type SamplerFactory } from '../types';

const DEFAULT_FLOAT_POINTS = 10;
const ORDER_STREAM = 0x96d;
const FEISTEL_ROUNDS = 4;

interface Axis {
  param: Param;
  values: readonly Scalar[];
}

export const createGridSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "grid"', options);
  const grid = reader.mapping('grid') ?? {};
  for (const [name, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new AlgorithmConfigError(`options.grid.${name}`, `sampler "grid": option "grid.${name}" must be a non-empty list of values (got ${JSON.stringify(values)})`);
    }
  }
  const rawPoints = (options as Record<string, unknown> | undefined)?.nPoints;
  const nPointsAll = typeof rawPoints === 'object' ? DEFAULT_FLOAT_POINTS : reader.integer('nPoints', DEFAULT_FLOAT_POINTS, { min: 1 });
  const nPointsEach = typeof rawPoints === 'object' ? (reader.mapping('nPoints') ?? {}) : {};
  for (const [name, n] of Object.entries(nPointsEach)) {
    if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1)) {
      throw new AlgorithmConfigError(`options.nPoints.${name}`, `sampler "grid": option "nPoints.${name}" must be an integer >= 1 (got ${JSON.stringify(n)})`);
    }
  }
  reader.done();

  const axesOf = (space: Space, fixed: Params): Axis[] => {
    for (const name of [...Object.keys(grid), ...Object.keys(nPointsEach)]) {
      if (!space.byName.has(name)) {
        throw new AlgorithmConfigError(`options.grid.${name}`, `sampler "grid": "${name}" is not a parameter of the space (the space has: ${[...space.byName.keys()].join(', ')})`);
      }
    }
    const axes: Axis[] = [];
    for (const param of space.params) {
      if (param.type === 'fixed' || fixed[param.name] !== undefined) continue;
      axes.push({ param, values: axisValues(param, grid[param.name] as Scalar[] | undefined, (nPointsEach[param.name] as number | undefined) ?? nPointsAll) });
    }
    return axes;
  };

  return {
    name: 'grid',
    sample(ctx) {
      const axes = axesOf(ctx.space, ctx.fixed);
      const size = axes.reduce((n, axis) => n * axis.values.length, 1);
      if (size > 2 ** 52) throw new AlgorithmConfigError('options.grid', `sampler "grid": the grid has ${size} combinations (at most 2^52)`);
      const visited = new Set(ctx.trials.map((t) => paramsKey(t.params)));
      const permutation = keyedPermutation(size, ctx.seed);
      const byName = new Map(axes.map((axis, i) => [axis.param.name, i]));
      const digits = new Array<number>(axes.length).fill(0);
      let skip = ctx.attempt;
      const distinct = new Set<string>();
      let firstDistinct: Params | undefined;
      for (let position = 0; position < size; position++) {
        let index = permutation(position);
        for (let a = axes.length - 1; a >= 0; a--) {
          const n = axes[a]!.values.length;
          digits[a] = index % n;
          index = Math.floor(index / n);
        }
        const params = buildParams(ctx.space, ctx.fixed, (param) => {
          const a = byName.get(param.name)!;
          return axes[a]!.values[digits[a]!]!;
        });
        // Combinations that differ only in inactive parameters are one configuration: its first position counts.
        const key = paramsKey(params);
        if (distinct.has(key)) continue;
        distinct.add(key);
        firstDistinct ??= params;
        if (visited.has(key)) continue;
        if (skip-- === 0) return params;
      }
      // A partially enqueued configuration is an explicit request: repeat one rather than refuse it.
      if (Object.keys(ctx.fixed).length > 0 && firstDistinct !== undefined) return firstDistinct;
      throw new SpaceExhaustedError(
        `the grid is exhausted: all ${distinct.size} configurations have been tried (sampler "grid", trial ${ctx.trialNumber} has nothing new to try)`,
      );
    },
  } satisfies Sampler;
};

/** The values one parameter takes on the grid. */
function axisValues(param: Exclude<Param, { type: 'fixed' }>, given: readonly Scalar[] | undefined, floatPoints: number): readonly Scalar[] {
  if (given !== undefined) {
    for (const value of given) {
      const problem = valueProblem(param, value);
      if (problem !== null) throw new AlgorithmConfigError(`options.grid.${param.name}`, `sampler "grid": option "grid.${param.name}": ${problem}`);
    }
    const keys = new Set(given.map((v) => JSON.stringify(v)));
    if (keys.size !== given.length) throw new AlgorithmConfigError(`options.grid.${param.name}`, `sampler "grid": option "grid.${param.name}" lists a value twice`);
    return given;
  }
  if (param.type === 'categorical') return param.choices;
  if (param.points !== null) return Array.from({ length: param.points }, (_, k) => gridValue(param, k));
  if (floatPoints === 1) return [param.log ? Math.sqrt(param.low * param.high) : (param.low + param.high) / 2];
  const values: number[] = [];
  for (let k = 0; k < floatPoints; k++) {
    const t = k / (floatPoints - 1);
    const value = param.log ? Math.exp(Math.log(param.low) + t * (Math.log(param.high) - Math.log(param.low))) : param.low + t * (param.high - param.low);
    values.push(k === floatPoints - 1 ? param.high : Math.min(Math.max(value, param.low), param.high));
  }
  return values;
}

/**
 * A bijection of [0, size) keyed by the seed: a balanced Feistel network on the smallest even number of
 * bits covering `size`, walked until it lands inside the range (expected fewer than 4 steps).
 */
function keyedPermutation(size: number, seed: number): (position: number) => number {
  let halfBits = 1;
  while (2 ** (2 * halfBits) < size) halfBits++;
  const half = 2 ** halfBits;
  const rng = createRng(seed, ORDER_STREAM);
  const keys = Array.from({ length: FEISTEL_ROUNDS }, () => rng.nextUint32());
  const encrypt = (x: number): number => {
    let left = Math.floor(x / half);
    let right = x % half;
    for (const key of keys) {
      const next = (left ^ (mix32((right ^ key) >>> 0) % half)) >>> 0;
      left = right;
      right = next;
    }
    return left * half + right;
  };
  return (position) => {
    let x = encrypt(position);
    while (x >= size) x = encrypt(x);
    return x;
  };
}
