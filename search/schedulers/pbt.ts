// Population-based training (Jaderberg et al. 2017; Ray Tune's PopulationBasedTraining), synchronous:
// the population's trials train side by side; every `perturbationInterval` epochs all of them stop at the
// same boundary and this module decides, for each member, `continue` or `exploit` (copy a top member's
// checkpoint and configuration) followed by `explore` (change the mutable parameters for the next segment).
//
// Pure and deterministic: every decision is a function of the members' values at the boundary, their
// parameters, the boundary's epoch and the campaign seed (one RNG stream per recipient and epoch), so the
// campaign workflow can call it and a replay decides the same. The copying itself is an activity.
import { AlgorithmConfigError } from '../errors';
import { OptionReader } from '../options';
import { createRng, type Rng } from '../rng';
import { choiceIndex, fromUnit, type NumericParam, type Param, type Space } from '../space';
import type { Params, Scalar } from '../space-types';
import type { Direction } from '../types';
import type { Scheduler, SchedulerFactory } from './types';

export interface PbtOptions {
  /** Members trained side by side: the campaign's trials (budget.maxTrials must equal it). */
  populationSize: number;
  /** Epochs between two exploit/explore decisions. */
  perturbationInterval: number;
  /** Fraction of the population in the bottom (recipients) and in the top (donors), at most 0.5. */
  quantile: number;
  /** Chance that explore draws a mutable parameter anew from its search-space range instead of perturbing it. */
  resampleProbability: number;
  /** A perturbed number is multiplied by one of these (e.g. [0.8, 1.2]); a categorical moves to a neighbouring choice. */
  perturbationFactors: readonly number[];
  /** The parameters explore may change; null: the spec's default (docs/pbt.md). */
  mutable: readonly string[] | null;
}

export const PBT_OPTION_NAMES = ['populationSize', 'perturbationInterval', 'quantile', 'resampleProbability', 'perturbationFactors', 'mutable'] as const;

/** Reads and checks `search.scheduler.options` of `type: pbt`; throws AlgorithmConfigError naming the option. */
export function readPbtOptions(options: Record<string, unknown> | undefined): PbtOptions {
  const read = new OptionReader('scheduler "pbt"', options);
  const populationSize = read.integer('populationSize', 4, { min: 2 });
  const perturbationInterval = read.integer('perturbationInterval', 2, { min: 1 });
  const quantile = read.number('quantile', 0.25, { minExclusive: 0, max: 0.5 });
  const resampleProbability = read.number('resampleProbability', 0.25, { min: 0, max: 1 });
  const raw = options ?? {};
  read.has('perturbationFactors');
  read.has('mutable');
  const factors = raw.perturbationFactors ?? [0.8, 1.2];
  if (!Array.isArray(factors) || factors.length === 0 || !factors.every((f) => typeof f === 'number' && Number.isFinite(f) && f > 0)) {
    throw new AlgorithmConfigError('options.perturbationFactors', `scheduler "pbt": option "perturbationFactors" must be a non-empty list of numbers > 0, e.g. [0.8, 1.2] (got ${JSON.stringify(factors)})`);
  }
  const mutable = raw.mutable ?? null;
  if (mutable !== null && (!Array.isArray(mutable) || mutable.length === 0 || !mutable.every((m) => typeof m === 'string' && m.length > 0))) {
    throw new AlgorithmConfigError('options.mutable', `scheduler "pbt": option "mutable" must be a non-empty list of parameter names (got ${JSON.stringify(mutable)})`);
  }
  read.done();
  return { populationSize, perturbationInterval, quantile, resampleProbability, perturbationFactors: factors as number[], mutable: mutable as string[] | null };
}

/** One member at a boundary: its value of the first objective at that epoch (null: none, ranks last). */
export interface PbtMember {
  number: number;
  value: number | null;
  params: Params;
}

export type PbtDecision =
  | { kind: 'continue' }
  /** Take `donor`'s checkpoint and configuration, with `params` (the donor's, explored) from this epoch on. */
  | { kind: 'exploit'; donor: number; params: Params };

export interface PbtRound {
  members: readonly PbtMember[];
  direction: Direction;
  /** The boundary: every member has trained exactly this many epochs. */
  epoch: number;
  seed: number;
  options: PbtOptions;
  space: Space;
  /** The parameters explore changes (the options' `mutable`, or the spec's default). */
  mutable: readonly string[];
}

/** How many members are in the top and in the bottom quantile (Ray's rule: round up, at most half). */
export function quantileSize(populationSize: number, quantile: number): number {
  if (populationSize < 2) return 0;
  return Math.min(Math.ceil(populationSize * quantile), Math.floor(populationSize / 2));
}

/** Best first; a member without a value (or NaN) last; ties by trial number, so the order is total. */
function ranked(members: readonly PbtMember[], direction: Direction): PbtMember[] {
  const key = (m: PbtMember) => (m.value === null || Number.isNaN(m.value) ? Infinity : direction === 'minimize' ? m.value : -m.value);
  return [...members].sort((a, b) => key(a) - key(b) || a.number - b.number);
}

/** Each member's decision at the boundary, by trial number. */
export function pbtDecisions(round: PbtRound): Map<number, PbtDecision> {
  const order = ranked(round.members, round.direction);
  const k = quantileSize(order.length, round.options.quantile);
  const top = order.slice(0, k);
  const bottom = new Set(order.slice(order.length - k).map((m) => m.number));
  const decisions = new Map<number, PbtDecision>();
  for (const member of round.members) {
    if (!bottom.has(member.number)) {
      decisions.set(member.number, { kind: 'continue' });
      continue;
    }
    // A stream per (epoch, recipient): one member's draws never shift another's.
    const rng = createRng(round.seed, round.epoch, member.number);
    const donor = rng.choice(top);
    decisions.set(member.number, { kind: 'exploit', donor: donor.number, params: explore(donor.params, round, rng) });
  }
  return decisions;
}

/** The donor's parameters with every mutable one resampled (with resampleProbability) or perturbed. */
export function explore(params: Params, round: Pick<PbtRound, 'options' | 'space' | 'mutable'>, rng: Rng): Params {
  const next: Params = { ...params };
  for (const name of round.mutable) {
    const param = round.space.byName.get(name);
    const value = params[name];
    if (!param || value === undefined || param.type === 'fixed') continue;
    next[name] = rng.uniform() < round.options.resampleProbability ? fromUnit(param, rng.uniform()) : perturb(param, value, round.options.perturbationFactors, rng);
  }
  return next;
}

function perturb(param: Exclude<Param, { type: 'fixed' }>, value: Scalar, factors: readonly number[], rng: Rng): Scalar {
  if (param.type === 'categorical') {
    // A neighbouring choice (Ray's rule for lists): one step either way; at an end, the only neighbour.
    const n = param.choices.length;
    const at = Math.max(0, choiceIndex(param, value));
    if (n < 2) return param.choices[at]!;
    const step = at === 0 ? 1 : at === n - 1 ? -1 : rng.choice([-1, 1]);
    return param.choices[at + step]!;
  }
  return snap(param, Number(value) * rng.choice(factors));
}

/** Clamped into the range, onto the grid for ints and stepped floats. */
function snap(param: NumericParam, value: number): number {
  const clamped = Math.min(Math.max(value, param.low), param.high);
  if (param.step === null) return clamped;
  const k = Math.round((clamped - param.low) / param.step);
  const point = param.low + Math.min(Math.max(k, 0), param.points! - 1) * param.step;
  return param.type === 'int' ? point : Number(point.toPrecision(12));
}

/**
 * As a registry scheduler: it never prunes; segments end at the population's boundaries. The exploit and
 * explore steps are the campaign's (workflows/pbt.ts), which calls pbtDecisions at every boundary.
 */
export const createPbtScheduler: SchedulerFactory = (options) => {
  const { perturbationInterval } = readPbtOptions(options);
  return {
    name: 'pbt',
    decide: () => 'continue',
    nextMilestone: (ctx, _trialNumber, epochsDone) => {
      const next = (Math.floor(epochsDone / perturbationInterval) + 1) * perturbationInterval;
      return ctx.maxEpochs === undefined ? next : Math.min(next, ctx.maxEpochs);
    },
  } satisfies Scheduler;
};
