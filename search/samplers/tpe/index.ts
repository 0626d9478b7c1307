// TPE, the tree-structured Parzen estimator (Bergstra et al., 2011), as Optuna 5 does it: after
// `nStartupTrials` finished (COMPLETE or PRUNED) trials drawn at random, the history is split into the
// best `gamma` share ("below", see tpe/split.ts: pruned and infeasible trials rank after feasible
// complete ones, RUNNING ones count as bad when `constantLiar`), a Parzen estimator l(x) is fitted to
// the below group and g(x) to the rest (tpe/parzen.ts), and the proposal is the best of `nEiCandidates`
// draws from l by log l(x) - log g(x). FAIL trials are ignored.
//
// Options (Optuna's defaults): multivariate (true: one joint estimator over the parameters every
// finished trial has, so correlations are modelled; others, i.e. conditional ones, are sampled one by
// one), group (false; true: parameters are partitioned by which ones always appear together and each
// part is modelled jointly on the trials that have it, Optuna's group=True for conditional spaces),
// nStartupTrials 10, nEiCandidates 24, gamma 0.1 and gammaMax 25 (below = min(ceil(0.1 n), 25); with
// several objectives ceil(0.1 n), no cap, as Optuna), priorWeight 1, considerEndpoints false,
// weights 'default' (the newest 25 observations weigh 1, older ones a ramp from 1/n; 'uniform': all 1;
// with several objectives the below group is always uniform, as in Optuna 5), constantLiar true.
// Two options beyond Optuna: startup ('random', Optuna's; 'sobol': the startup trials take points of the
// seeded scrambled Sobol sequence, a space-filling initial design) and bandwidth ('neighbors', Optuna 5's
// rule; 'scott': one Scott-rule bandwidth 0.2·n^(-1/(d+4)) per kernel, as Optuna <= 3's multivariate TPE).
// Neither beat the defaults clearly on the benchmark problems (bench:samplers), so the defaults stay Optuna's.
// Parameters in the enqueued `fixed` values are not modelled (they are given).
import { OptionReader } from '../../options';
import { buildParams, choiceIndex, fromUnit, toUnit, type NumericParam, type Param } from '../../space';
import type { Scalar } from '../../space-types';
import type { Rng } from '../../rng';
import type { TrialView } from '../../types';
import { ParzenEstimator, type Dimension, type ParzenOptions } from './parzen';
import { belowCount, defaultWeights, isSettled, splitTrials, type Split } from './split';
import { SOBOL_MAX_DIMENSIONS, sobolPoint } from '../sobol';
import { samplerRng, type SampleContext, type Sampler, type SamplerFactory } from '../types';

interface TpeOptions extends ParzenOptions {
  multivariate: boolean;
  group: boolean;
  nStartupTrials: number;
  nEiCandidates: number;
  gamma: number;
  gammaMax: number;
  weights: 'default' | 'uniform';
  constantLiar: boolean;
  startup: 'random' | 'sobol';
}

export const createTpeSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "tpe"', options);
  const config: TpeOptions = {
    multivariate: reader.boolean('multivariate', true),
    group: reader.boolean('group', false),
    nStartupTrials: reader.integer('nStartupTrials', 10, { min: 0 }),
    nEiCandidates: reader.integer('nEiCandidates', 24, { min: 1, max: 100_000 }),
    gamma: reader.number('gamma', 0.1, { min: 1e-9, max: 1 }),
    gammaMax: reader.integer('gammaMax', 25, { min: 1 }),
    priorWeight: reader.number('priorWeight', 1, { min: 1e-12 }),
    considerEndpoints: reader.boolean('considerEndpoints', false),
    bandwidth: reader.choice('bandwidth', ['neighbors', 'scott'], 'neighbors'),
    weights: reader.choice('weights', ['default', 'uniform'], 'default'),
    constantLiar: reader.boolean('constantLiar', true),
    startup: reader.choice('startup', ['random', 'sobol'], 'random'),
  };
  reader.done();
  return { name: 'tpe', sample: (ctx) => sampleTpe(ctx, config) } satisfies Sampler;
};

/** A parameter TPE models: not fixed, more than one possible value. */
function isModelled(param: Param): boolean {
  if (param.type === 'fixed') return false;
  if (param.type === 'categorical') return param.choices.length > 1;
  return param.points !== 1;
}

function sampleTpe(ctx: SampleContext, options: TpeOptions) {
  const rng = samplerRng(ctx);
  const random = (param: Param) => fromUnit(param, rng.uniform());
  const history = ctx.trials.filter((t) => t.number !== ctx.trialNumber && t.state !== 'FAIL');
  const finished = history.filter(isSettled); // paused trials count as pruned ones (see tpe/split.ts)
  if (finished.length < options.nStartupTrials) {
    if (options.startup === 'random' || ctx.attempt > 0) return buildParams(ctx.space, ctx.fixed, random);
    const searched = ctx.space.params.filter((p) => p.type !== 'fixed').slice(0, SOBOL_MAX_DIMENSIONS);
    const point = sobolPoint(ctx.trialNumber, searched.length, ctx.seed);
    const coordinate = new Map(searched.map((p, i) => [p.name, point[i]!]));
    return buildParams(ctx.space, ctx.fixed, (param) => fromUnit(param, coordinate.get(param.name) ?? rng.uniform()));
  }

  const cap = ctx.directions.length > 1 ? Infinity : options.gammaMax;
  const split = splitTrials(options.constantLiar ? history : finished, ctx.directions, (n) => belowCount(n, options.gamma, cap));
  const modelled = ctx.space.params.filter((p) => isModelled(p) && ctx.fixed[p.name] === undefined);
  const groups = parameterGroups(modelled, finished, options);
  const groupOf = new Map<string, Param[]>();
  for (const group of groups) for (const p of group) groupOf.set(p.name, group);
  const model = new Model(split, options, ctx.directions.length > 1, rng);

  const chosen = new Map<string, Scalar>();
  return buildParams(ctx.space, ctx.fixed, (param) => {
    const known = chosen.get(param.name);
    if (known !== undefined) return known;
    if (!isModelled(param)) return random(param);
    const group = groupOf.get(param.name) ?? [param];
    const values = model.propose(group);
    group.forEach((p, i) => chosen.set(p.name, values[i]!));
    return values[group.indexOf(param)]!;
  });
}

/**
 * The sets of parameters modelled jointly. Independent: one each. Multivariate: the parameters every
 * finished trial has (all unconditional ones before any trial finished); the rest one each. Group: the
 * coarsest partition in which every finished trial's parameter set is a union of parts.
 */
function parameterGroups(modelled: readonly Param[], finished: readonly TrialView[], options: TpeOptions): Param[][] {
  if (!options.multivariate) return modelled.map((p) => [p]);
  if (!options.group) {
    const joint = finished.length === 0 ? modelled.filter((p) => p.when === null) : modelled.filter((p) => finished.every((t) => t.params[p.name] !== undefined));
    const inJoint = new Set(joint);
    return [joint, ...modelled.filter((p) => !inJoint.has(p)).map((p) => [p])].filter((g) => g.length > 0);
  }
  let parts: Param[][] = [];
  for (const trial of finished) {
    const present = new Set(modelled.filter((p) => trial.params[p.name] !== undefined));
    const next: Param[][] = [];
    for (const part of parts) {
      const inside = part.filter((p) => present.has(p));
      const outside = part.filter((p) => !present.has(p));
      for (const piece of [inside, outside]) if (piece.length > 0) next.push(piece);
      for (const p of inside) present.delete(p);
    }
    if (present.size > 0) next.push(modelled.filter((p) => present.has(p)));
    parts = next;
  }
  return parts;
}

/** Fits l and g for a set of parameters and picks the best candidate; encodes each trial once. */
class Model {
  private readonly encoded = new Map<number, Map<string, number>>();

  constructor(
    private readonly split: Split,
    private readonly options: TpeOptions,
    private readonly multiObjective: boolean,
    private readonly rng: Rng,
  ) {}

  propose(params: readonly Param[]): Scalar[] {
    const dims = params.map(dimension);
    const below = this.rows(this.split.below, params);
    const above = this.rows(this.split.above, params);
    const weigh = (n: number, uniform: boolean) => (uniform || this.options.weights === 'uniform' ? new Array<number>(n).fill(1) : defaultWeights(n));
    const l = new ParzenEstimator(dims, below, weigh(below.length, this.multiObjective), this.options);
    const g = new ParzenEstimator(dims, above, weigh(above.length, false), this.options);
    const candidates = l.sample(this.rng, this.options.nEiCandidates);
    const logL = l.logPdf(candidates);
    const logG = g.logPdf(candidates);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < candidates.count; c++) {
      const score = logL[c]! - logG[c]!;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    const d = params.length;
    return params.map((param, j) => {
      const x = candidates.x[best * d + j]!;
      if (param.type === 'categorical') return param.choices[x]!;
      const dim = dims[j]!;
      return fromUnit(param, dim.kind === 'discrete' ? (x + candidates.upper[best * d + j]!) / 2 : x);
    });
  }

  /** Encoded rows of the trials that have every one of `params` with a valid value. */
  private rows(trials: readonly TrialView[], params: readonly Param[]): Float64Array[] {
    const rows: Float64Array[] = [];
    for (const trial of trials) {
      const row = new Float64Array(params.length);
      let complete = true;
      for (let j = 0; j < params.length && complete; j++) {
        const value = this.encode(trial, params[j]!);
        if (Number.isNaN(value)) complete = false;
        else row[j] = value;
      }
      if (complete) rows.push(row);
    }
    return rows;
  }

  /** The estimator coordinate of a trial's value: the encoded value, or the choice index; NaN when absent or invalid. */
  private encode(trial: TrialView, param: Param): number {
    let cache = this.encoded.get(trial.number);
    if (cache === undefined) this.encoded.set(trial.number, (cache = new Map()));
    const hit = cache.get(param.name);
    if (hit !== undefined) return hit;
    const value = trial.params[param.name];
    let coordinate = NaN;
    if (value !== undefined) {
      if (param.type === 'categorical') {
        const index = choiceIndex(param, value);
        coordinate = index >= 0 ? index : NaN;
      } else if (param.type !== 'fixed' && typeof value === 'number' && value >= param.low && value <= param.high) {
        coordinate = toUnit(param, value);
      }
    }
    cache.set(param.name, coordinate);
    return coordinate;
  }
}

/** How the estimator treats a parameter (see tpe/parzen.ts). */
function dimension(param: Param): Dimension {
  if (param.type === 'categorical') return { kind: 'categorical', choices: param.choices.length };
  if (param.type === 'fixed') throw new Error(`tpe: fixed parameter "${param.name}" is not modelled`);
  if (param.points === null) return { kind: 'continuous' };
  if (param.log) return { kind: 'discrete', cell: logIntCell(param) };
  const n = param.points;
  return {
    kind: 'discrete',
    cell: (u) => {
      const k = Math.min(Math.floor(u * n), n - 1);
      return [k / n, (k + 1) / n];
    },
  };
}

/** An int on a log scale: value v owns [log(v - 0.5), log(v + 0.5)] of the encoded log range. */
function logIntCell(param: NumericParam): (u: number) => [number, number] {
  const lo = Math.log(param.low - 0.5);
  const span = Math.log(param.high + 0.5) - lo;
  return (u) => {
    const v = Math.min(Math.max(Math.round(Math.exp(lo + u * span)), param.low), param.high);
    return [(Math.log(v - 0.5) - lo) / span, (Math.log(v + 0.5) - lo) / span];
  };
}
