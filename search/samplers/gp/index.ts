// Gaussian-process Bayesian optimization, after Optuna 5's GPSampler.
//
// After `nStartupTrials` COMPLETE trials drawn at random, each proposal:
// 1. encodes the modelled parameters of every COMPLETE trial: numeric ones to [0, 1] through the space's
//    encoding (log scale for log parameters; grid values at their cell centres), categorical ones as a
//    choice index with a Hamming distance in the kernel; the objective is standardized, warped by a
//    concave power transform fitted to it (gp/warping.ts: a heavy tail of bad values no longer squashes
//    the good region; Optuna does not warp) and direction-signed so larger is better;
// 2. fits a Matérn 5/2 ARD GP by maximizing the log marginal likelihood plus Optuna's priors
//    (gp/model.ts), from two fixed starting points since a pure sampler has no previous fit;
// 3. adds RUNNING trials to the GP with the best observed value as a "constant liar" (Optuna 5's choice
//    for logEI), so parallel proposals keep away from points already being evaluated;
// 4. maximizes log expected improvement over the best observed value (gp/acquisition.ts), with grid and
//    categorical dimensions searched on their own values, never rounded afterwards;
// 5. returns the best point that is not a configuration already tried.
//
// Modelled parameters: the unconditional ones with more than one possible value. Conditional parameters
// (those with `when`) are drawn uniformly at random, like Optuna's independent fallback for a dynamic
// space. FAIL and PRUNED trials are ignored (as Optuna does); enqueued values are held fixed while the
// acquisition is maximized. One objective only: several directions are an AlgorithmConfigError.
//
// Options: nStartupTrials (10), deterministicObjective (false: fix the noise at its floor instead of
// fitting it), nCandidates (2048), nLocalSearch (10), maxModelTrials (250).
//
// Scaling: the fit factors the n × n kernel matrix at every likelihood evaluation and each acquisition
// candidate costs O(n²), so a proposal grows like n³ (measured on hartmann6 with random trials, 2-core
// machine: 0.2 s at 100 COMPLETE trials, 1.1 s at 300, 3.3 s at 500, 26 s at 1,000, 350 s at 2,000).
// Above `maxModelTrials` the GP is fitted on a subset of that size (selectModelTrials): the best quarter
// by objective, which holds the incumbent of EI and the region worth refining, plus a uniform draw of
// the rest from this proposal's seeded stream, so the subset is a pure function of (space, trials, seed,
// trial number) and successive proposals see different parts of the history. At the default a proposal
// takes under 1 s however long the campaign runs (0.6-0.9 s from 300 to 2,000 trials); a cap of 200
// saves about 40%, 400 costs about 3×. Up to the cap every COMPLETE trial is used, exactly as before
// the option.
import { AlgorithmConfigError } from '../../errors';
import { OptionReader } from '../../options';
import { buildParams, choiceIndex, fromUnit, gridValue, paramsKey, toUnit, valueProblem, type NumericParam, type Param } from '../../space';
import type { Params, Scalar } from '../../space-types';
import type { TrialView } from '../../types';
import { LogExpectedImprovement, maximizeAcquisition, type SearchDimension } from './acquisition';
import { fitKernelParams, GaussianProcess, type TrainingData } from './model';
import { warpedTargets } from './warping';
import type { Rng } from '../../rng';
import { samplerRng, type SampleContext, type Sampler, type SamplerFactory } from '../types';

interface GpOptions {
  nStartupTrials: number;
  deterministicObjective: boolean;
  nCandidates: number;
  nLocalSearch: number;
  maxModelTrials: number;
}

export const createGpSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "gp"', options);
  const config: GpOptions = {
    nStartupTrials: reader.integer('nStartupTrials', 10, { min: 0 }),
    deterministicObjective: reader.boolean('deterministicObjective', false),
    nCandidates: reader.integer('nCandidates', 2048, { min: 1, max: 1_000_000 }),
    nLocalSearch: reader.integer('nLocalSearch', 10, { min: 1, max: 1000 }),
    maxModelTrials: reader.integer('maxModelTrials', 250, { min: 1, max: 100_000 }),
  };
  reader.done();
  return { name: 'gp', sample: (ctx) => sampleGp(ctx, config) } satisfies Sampler;
};

function sampleGp(ctx: SampleContext, options: GpOptions): Params {
  if (ctx.directions.length > 1) {
    throw new AlgorithmConfigError('type', `sampler "gp" optimizes one objective (got ${ctx.directions.length} directions): use "nsga2" or "tpe" for several`);
  }
  const rng = samplerRng(ctx);
  const random = (param: Param): Scalar => fromUnit(param, rng.uniform());
  const modelled = ctx.space.params.filter(isModelled);
  const others = ctx.trials.filter((t) => t.number !== ctx.trialNumber);
  const finished = others.filter((t) => t.state === 'COMPLETE' && t.values !== undefined && t.values.length > 0 && hasAll(t, modelled));
  // A retry (attempt > 0) means the model's choice was already tried: a random draw breaks the tie.
  if (modelled.length === 0 || finished.length < Math.max(options.nStartupTrials, 1) || ctx.attempt > 0) {
    return buildParams(ctx.space, ctx.fixed, random);
  }

  const dims = modelled.map((param) => searchDimension(param, ctx.fixed[param.name]));
  const d = dims.length;
  const sign = ctx.directions[0] === 'maximize' ? 1 : -1;
  const allLosses = finished.map((t) => -sign * t.values![0]!);
  const rows = selectModelTrials(allLosses, options.maxModelTrials, rng);
  const complete = rows.map((i) => finished[i]!);
  // Warped and standardized over the rows the GP sees, so its priors meet the scale they assume.
  const y = warpedTargets(rows.map((i) => allLosses[i]!));
  const x = encodeTrials(complete, modelled);
  const isCategorical = Uint8Array.from(modelled, (p) => (p.type === 'categorical' ? 1 : 0));
  const data: TrainingData = { x, y, n: complete.length, d, isCategorical };
  const params = fitKernelParams(data, { deterministic: options.deterministicObjective });

  let best = -Infinity;
  let bestRow = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! > best) {
      best = y[i]!;
      bestRow = i;
    }
  }
  const running = others.filter((t) => t.state === 'RUNNING' && hasAll(t, modelled));
  const conditioned =
    running.length === 0
      ? data
      : {
          ...data,
          n: data.n + running.length,
          x: concat(x, encodeTrials(running, modelled)),
          y: concat(y, new Float64Array(running.length).fill(best)),
        };
  const gp = new GaussianProcess(conditioned, params);
  const acquisition = new LogExpectedImprovement(gp, best);

  const lengthscales = Float64Array.from(params.inverseSquaredLengthscales, (eta) => 1 / Math.sqrt(eta));
  const anchor = x.slice(bestRow * d, bestRow * d + d);
  dims.forEach((dim, j) => {
    if (dim.fixed !== null) anchor[j] = dim.fixed;
  });
  const ranked = maximizeAcquisition(acquisition, dims, [anchor], {
    nCandidates: options.nCandidates,
    nLocalSearch: options.nLocalSearch,
    lengthscales,
    rng,
  });

  // The best-ranked point whose configuration is new. Conditional parameters are drawn once, so every
  // candidate is completed with the same draws.
  const conditionalDraws = new Map<string, Scalar>();
  const completeParams = (point: Float64Array): Params =>
    buildParams(ctx.space, ctx.fixed, (param) => {
      const j = modelled.indexOf(param);
      if (j >= 0) return decode(param, dims[j]!, point[j]!);
      let value = conditionalDraws.get(param.name);
      if (value === undefined) conditionalDraws.set(param.name, (value = random(param)));
      return value;
    });
  const tried = new Set(others.map((t) => paramsKey(t.params)));
  const first = completeParams(ranked[0]!.x);
  if (!tried.has(paramsKey(first))) return first;
  for (const { x: point } of ranked.slice(1)) {
    const proposal = completeParams(point);
    if (!tried.has(paramsKey(proposal))) return proposal;
  }
  return first; // all tried: the study asks again (attempt 1), which draws at random
}

/**
 * The rows (ascending) of the finished trials the GP is fitted on, given their losses (smaller is
 * better; NaN counts as the worst): every row when there are at most `max`, with no draw from `rng`;
 * otherwise the ceil(max / 4) best (ties to the earlier row) and max - ceil(max / 4) rows drawn uniformly
 * without replacement from the rest. The best row is always kept: EI's incumbent and the local search's
 * anchor come from it.
 */
export function selectModelTrials(losses: readonly number[], max: number, rng: Rng): number[] {
  const n = losses.length;
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  const loss = (i: number) => (Number.isNaN(losses[i]!) ? Infinity : losses[i]!);
  const ranked = all.sort((a, b) => loss(a) - loss(b) || a - b);
  const nBest = Math.ceil(max / 4);
  const spread = rng.shuffle(ranked.slice(nBest).sort((a, b) => a - b)).slice(0, max - nBest);
  return [...ranked.slice(0, nBest), ...spread].sort((a, b) => a - b);
}

/** An unconditional parameter with more than one possible value. */
function isModelled(param: Param): boolean {
  if (param.when !== null || param.type === 'fixed') return false;
  if (param.type === 'categorical') return param.choices.length > 1;
  return param.points !== 1;
}

/** The trial holds a valid value for every modelled parameter. */
function hasAll(trial: TrialView, modelled: readonly Param[]): boolean {
  return modelled.every((p) => {
    const value = trial.params[p.name];
    return value !== undefined && valueProblem(p, value) === null;
  });
}

function encodeTrials(trials: readonly TrialView[], modelled: readonly Param[]): Float64Array {
  const d = modelled.length;
  const x = new Float64Array(trials.length * d);
  trials.forEach((trial, i) => modelled.forEach((param, j) => (x[i * d + j] = encode(param, trial.params[param.name]!))));
  return x;
}

/** The model coordinate of a value: its unit encoding, or its choice index for a categorical. */
function encode(param: Param, value: Scalar): number {
  return param.type === 'categorical' ? choiceIndex(param, value) : toUnit(param, value);
}

function decode(param: Param, dim: SearchDimension, coordinate: number): Scalar {
  if (param.type === 'categorical') return param.choices[Math.round(coordinate)]!;
  if (dim.kind === 'discrete') return gridValue(param as NumericParam, dim.index(coordinate));
  return fromUnit(param, coordinate);
}

/** How the acquisition optimizer moves along a parameter; `given` is an enqueued value to hold. */
function searchDimension(param: Param, given: Scalar | undefined): SearchDimension {
  const fixed = given === undefined ? null : encode(param, given);
  if (param.type === 'categorical') {
    const size = param.choices.length;
    return { kind: 'categorical', size, fixed, coordinate: (k) => k, index: (u) => Math.min(Math.floor(u * size), size - 1) };
  }
  const numeric = param as NumericParam;
  if (numeric.points === null) return { kind: 'continuous', size: 0, fixed, coordinate: (u) => u, index: (u) => u };
  const size = numeric.points;
  // fromUnit maps any u to the grid value of its cell; the grid index of that value is k.
  const index = (u: number) => Math.min(Math.max(Math.round(((fromUnit(numeric, u) as number) - numeric.low) / numeric.step!), 0), size - 1);
  return { kind: 'discrete', size, fixed, coordinate: (k) => toUnit(numeric, gridValue(numeric, k)), index };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
