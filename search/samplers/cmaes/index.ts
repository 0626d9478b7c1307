// CMA-ES (Hansen's covariance matrix adaptation evolution strategy) with IPOP restarts, for the
// continuous part of a space, like Optuna's CmaEsSampler.
//
// What it models: every unconditional float/int parameter with more than one value, in the [0, 1]
// encoding of `space.ts` (so log and stepped parameters are searched on their natural scale; an int or
// stepped value is the grid point whose cell the sample falls in, and the history is read back as the
// cell centre). Categorical and conditional parameters are drawn independently at random, as Optuna
// does (it warns; this pure code cannot log, so it is documented here). With several objectives it
// optimizes the first one.
//
// Purity: the sampler keeps no state. Every call replays the run from the trial history: after
// `nStartupTrials` random trials, trial numbers are cut into generations of λ trials (restart r has
// λ·incPopsize^r), and a generation is told as soon as all its trials are finished. COMPLETE trials
// rank by value, COMPLETE but infeasible ones (constraints > 0) after them by total violation, FAIL and
// PRUNED ones last. Trial n is sampled from the state after the last told generation before its own, with
// the trial's own random stream, so the same history always gives the same point, whichever worker asks.
// Trials sampled in parallel before a restart was detected simply join the new run's first generation.
// Enqueued and warm-start trials take part in their generation with the values they have.
//
// Bounds: a draw outside the unit cube is redrawn (up to 100 times), then clipped, as the `cmaes` library
// does. Restarts (restartStrategy 'ipop', the default) happen on the `cmaes` library's stopping tests
// (tolfun, tolx, tolxup, no effect along an axis or a coordinate, condition number > 1e14) with a
// uniformly random new mean, sigma0 again and a population incPopsize times larger.
//
// Options: sigma0 (1/6, in unit-cube scale: a sixth of each range), popsize (4 + ⌊3 ln n⌋),
// restartStrategy ('ipop' | 'none'), incPopsize (2), nStartupTrials (0).
import { OptionReader } from '../../options';
import { totalViolation } from '../../pareto';
import { createRng } from '../../rng';
import { buildParams, fromUnit, toUnit, type NumericParam, type Param } from '../../space';
import type { Params } from '../../space-types';
import type { Direction, TrialView } from '../../types';
import { initialState, samplePoint, stopReason, tellGeneration, type CmaState } from './state';
import { samplerRng, type SampleContext, type Sampler, type SamplerFactory } from '../types';

interface CmaOptions {
  sigma0: number;
  popsize: number | null;
  restartStrategy: 'ipop' | 'none';
  incPopsize: number;
  nStartupTrials: number;
}

/** Keeps the restart means' stream apart from the per-trial sampler streams. */
const RESTART_STREAM = 0xc3a35;
const MAX_RESAMPLES = 100;

export const createCmaEsSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "cmaes"', options);
  const popsize = reader.integer('popsize', 0, { min: 2, max: 100_000 });
  const config: CmaOptions = {
    sigma0: reader.number('sigma0', 1 / 6, { min: 1e-12, max: 10 }),
    popsize: popsize === 0 ? null : popsize,
    restartStrategy: reader.choice('restartStrategy', ['ipop', 'none'], 'ipop'),
    incPopsize: reader.integer('incPopsize', 2, { min: 1, max: 100 }),
    nStartupTrials: reader.integer('nStartupTrials', 0, { min: 0 }),
  };
  reader.done();
  return { name: 'cmaes', sample: (ctx) => sampleCmaEs(ctx, config) } satisfies Sampler;
};

/** The parameters CMA-ES searches: always active, numeric, more than one value. */
export function cmaDimensions(params: readonly Param[]): NumericParam[] {
  return params.filter((p): p is NumericParam => (p.type === 'float' || p.type === 'int') && p.when === null && p.points !== 1);
}

export function defaultPopsize(n: number): number {
  return 4 + Math.floor(3 * Math.log(n));
}

function sampleCmaEs(ctx: SampleContext, options: CmaOptions): Params {
  const rng = samplerRng(ctx);
  const dims = cmaDimensions(ctx.space.params);
  const random = (param: Param) => fromUnit(param, rng.uniform());
  if (dims.length === 0 || ctx.trialNumber < options.nStartupTrials) return buildParams(ctx.space, ctx.fixed, random);

  const { state } = replay(ctx, dims, options);
  const n = dims.length;
  // A repeated proposal (attempt > 0) means the distribution has shrunk onto tried grid points: widen it.
  const sigma = state.sigma * (ctx.attempt === 0 ? 1 : 1.5 ** Math.min(ctx.attempt, 20));
  const scaled: CmaState = { ...state, sigma };
  const z = new Float64Array(n);
  const x = new Float64Array(n);
  for (let draw = 0; draw < MAX_RESAMPLES; draw++) {
    for (let i = 0; i < n; i++) z[i] = rng.normal();
    samplePoint(scaled, z, x);
    if (x.every((v) => v >= 0 && v <= 1)) break;
  }
  const position = new Map(dims.map((p, i) => [p.name, i]));
  return buildParams(ctx.space, ctx.fixed, (param) => {
    const i = position.get(param.name);
    return i === undefined ? random(param) : fromUnit(param, x[i]!); // fromUnit clips to [0, 1]
  });
}

export interface CmaReplay {
  state: CmaState;
  /** Index of the current restart (0 for the first run). */
  restart: number;
  /** Trial number where the current restart's generation 0 starts. */
  restartStart: number;
}

/** The CMA state after every told generation before `ctx.trialNumber`'s generation. */
export function replay(ctx: Pick<SampleContext, 'trials' | 'seed' | 'trialNumber' | 'directions'>, dims: readonly NumericParam[], options: CmaOptions): CmaReplay {
  const n = dims.length;
  const byNumber = new Map<number, TrialView>();
  for (const trial of ctx.trials) byNumber.set(trial.number, trial);
  let lambda = options.popsize ?? defaultPopsize(n);
  let restart = 0;
  let restartStart = options.nStartupTrials;
  let state = initialState(new Float64Array(n).fill(0.5), options.sigma0, lambda);
  let generationStart = restartStart;
  while (generationStart + lambda <= ctx.trialNumber) {
    const members: TrialView[] = [];
    for (let k = generationStart; k < generationStart + lambda; k++) {
      const trial = byNumber.get(k);
      if (trial === undefined || trial.state === 'RUNNING') break;
      members.push(trial);
    }
    if (members.length < lambda) break; // not told yet: later trials use the state so far
    const ranked = rankMembers(members, ctx.directions[0]!);
    tellGeneration(
      state,
      ranked.map((r) => encode(r.trial, dims)),
      ranked.filter((r) => r.category === 0).map((r) => r.key),
    );
    generationStart += lambda;
    if (options.restartStrategy === 'ipop' && stopReason(state) !== null) {
      restart++;
      restartStart = generationStart;
      lambda *= options.incPopsize;
      const meanRng = createRng(ctx.seed, RESTART_STREAM, restart);
      state = initialState(Float64Array.from({ length: n }, () => meanRng.uniform()), options.sigma0, lambda);
    }
  }
  return { state, restart, restartStart };
}

interface RankedMember {
  trial: TrialView;
  /** 0: complete and feasible (key = loss), 1: complete but infeasible (key = total violation), 2: failed or pruned. */
  category: 0 | 1 | 2;
  key: number;
}

/** Best first: feasible by value, infeasible by violation, then failed/pruned; ties by trial number. */
function rankMembers(members: readonly TrialView[], direction: Direction): RankedMember[] {
  const ranked = members.map((trial): RankedMember => {
    const value = trial.values?.[0];
    if (trial.state !== 'COMPLETE' || value === undefined || !Number.isFinite(value)) return { trial, category: 2, key: 0 };
    const violation = totalViolation(trial.constraints);
    if (violation > 0) return { trial, category: 1, key: violation };
    return { trial, category: 0, key: direction === 'maximize' ? -value : value };
  });
  return ranked.sort((a, b) => a.category - b.category || a.key - b.key || a.trial.number - b.trial.number);
}

function encode(trial: TrialView, dims: readonly NumericParam[]): Float64Array {
  return Float64Array.from(dims, (param) => {
    const value = trial.params[param.name];
    // A trial from outside (warm start) should hold every always-active parameter; the centre is a neutral stand-in.
    return value === undefined ? 0.5 : toUnit(param, value);
  });
}
