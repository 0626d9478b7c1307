// NSGA-II (Deb et al., 2002), the genetic algorithm behind Optuna's NSGAIISampler, for one or several
// objectives, with Deb's constraint domination (feasible before infeasible, infeasible by total violation).
//
// Purity: trial n belongs to generation ⌊n / populationSize⌋. Generation 0 is drawn at random. The parents
// of generation g are the elite of generation g−1's parents together with generation g−1's COMPLETE trials:
// the best `populationSize` by non-dominated rank, the last front cut by crowding distance (ties: lower
// trial number). The whole chain is rebuilt from the history on every call, so the same history gives
// the same proposal; trials still RUNNING (or FAIL/PRUNED) are not parents. A child picks two parents by
// binary tournament (rank, then crowding distance), crosses them with probability crossoverProb (else it
// copies the first), then each parameter mutates (is redrawn at random) with probability mutationProb.
// Parameters a parent lacks (inactive in it) and enqueued values follow the usual `buildParams` rules.
//
// Options (Optuna's defaults): populationSize 50, crossover 'uniform' (each parameter from the second
// parent with probability swappingProb) or 'sbx' (simulated binary crossover on numeric parameters in
// the unit encoding, distribution index sbxEta, uniform for categorical ones), crossoverProb 0.9,
// swappingProb 0.5, mutationProb (default 1 / number of searched parameters), sbxEta 20.
import { OptionReader } from '../../options';
import { crowdingDistance, nonDominatedSort, totalViolation } from '../../pareto';
import type { Rng } from '../../rng';
import { buildParams, fromUnit, toUnit, valueProblem, type Param } from '../../space';
import type { Params, Scalar } from '../../space-types';
import type { Direction, TrialView } from '../../types';
import { samplerRng, type SampleContext, type Sampler, type SamplerFactory } from '../types';

interface Nsga2Options {
  populationSize: number;
  crossover: 'uniform' | 'sbx';
  crossoverProb: number;
  swappingProb: number;
  mutationProb: number | null;
  sbxEta: number;
}

export const createNsga2Sampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "nsga2"', options);
  const mutationProb = reader.number('mutationProb', -1, { min: 0, max: 1 });
  const config: Nsga2Options = {
    populationSize: reader.integer('populationSize', 50, { min: 2, max: 100_000 }),
    crossover: reader.choice('crossover', ['uniform', 'sbx'], 'uniform'),
    crossoverProb: reader.number('crossoverProb', 0.9, { min: 0, max: 1 }),
    swappingProb: reader.number('swappingProb', 0.5, { min: 0, max: 1 }),
    mutationProb: mutationProb < 0 ? null : mutationProb,
    sbxEta: reader.number('sbxEta', 20, { min: 0, max: 1000 }),
  };
  reader.done();
  return { name: 'nsga2', sample: (ctx) => sampleNsga2(ctx, config) } satisfies Sampler;
};

/** A parent with its place in the population: non-dominated rank and crowding distance within its front. */
export interface RankedTrial {
  trial: TrialView;
  rank: number;
  crowding: number;
}

function sampleNsga2(ctx: SampleContext, options: Nsga2Options): Params {
  const rng = samplerRng(ctx);
  const random = (param: Param) => fromUnit(param, rng.uniform());
  const generation = Math.floor(ctx.trialNumber / options.populationSize);
  const parents = generation === 0 ? [] : parentPopulation(ctx.trials, ctx.directions, options.populationSize, generation);
  if (parents.length < 2) return buildParams(ctx.space, ctx.fixed, random);

  const first = tournament(parents, rng);
  let second = tournament(parents, rng);
  for (let retry = 0; retry < 8 && second === first; retry++) second = tournament(parents, rng);
  const inherited = options.crossoverProb > 0 && rng.uniform() < options.crossoverProb ? crossover(ctx, first.trial.params, second.trial.params, options, rng) : { ...first.trial.params };

  const searched = ctx.space.params.filter((p) => p.type !== 'fixed').length;
  const mutationProb = options.mutationProb ?? 1 / Math.max(1, searched);
  return buildParams(ctx.space, ctx.fixed, (param) => {
    const value = inherited[param.name];
    const mutate = rng.uniform() < mutationProb;
    return mutate || value === undefined || valueProblem(param, value) !== null ? random(param) : value;
  });
}

/**
 * The parents of `generation` (≥ 1): elitist selection over the previous parents and the previous
 * generation's COMPLETE trials, chained from generation 0. Ranked for the tournament.
 */
export function parentPopulation(trials: readonly TrialView[], directions: readonly Direction[], populationSize: number, generation: number): RankedTrial[] {
  const byGeneration: TrialView[][] = Array.from({ length: generation }, () => []);
  for (const trial of trials) {
    const g = Math.floor(trial.number / populationSize);
    if (g < generation && trial.state === 'COMPLETE' && trial.values !== undefined && trial.values.length === directions.length) {
      byGeneration[g]!.push(trial);
    }
  }
  let population: TrialView[] = [];
  for (const offspring of byGeneration) {
    if (offspring.length === 0) continue;
    population = selectElite([...population, ...offspring], directions, populationSize).map((r) => r.trial);
  }
  return selectElite(population, directions, populationSize);
}

/** The best `size` of `candidates` (rank, then crowding distance, then trial number), ranked. */
export function selectElite(candidates: readonly TrialView[], directions: readonly Direction[], size: number): RankedTrial[] {
  const sorted = [...candidates].sort((a, b) => a.number - b.number);
  const values = sorted.map((t) => t.values!);
  const violations = sorted.map((t) => totalViolation(t.constraints));
  const fronts = nonDominatedSort(values, directions, violations);
  const elite: RankedTrial[] = [];
  for (const [rank, front] of fronts.entries()) {
    if (elite.length >= size) break;
    const distance = crowdingDistance(values, front, directions);
    const members = front.map((index, i) => ({ trial: sorted[index]!, rank, crowding: distance[i]! }));
    if (elite.length + members.length > size) members.sort((a, b) => b.crowding - a.crowding || a.trial.number - b.trial.number);
    elite.push(...members.slice(0, size - elite.length));
  }
  return elite;
}

/** Binary tournament with Deb's crowded comparison: lower rank wins, then larger crowding distance. */
function tournament(population: readonly RankedTrial[], rng: Rng): RankedTrial {
  const a = population[rng.int(0, population.length - 1)]!;
  const b = population[rng.int(0, population.length - 1)]!;
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  if (a.crowding !== b.crowding) return a.crowding > b.crowding ? a : b;
  return a.trial.number <= b.trial.number ? a : b;
}

function crossover(ctx: SampleContext, first: Params, second: Params, options: Nsga2Options, rng: Rng): Params {
  const child: Params = {};
  for (const param of ctx.space.params) {
    const a = first[param.name];
    const b = second[param.name];
    let value: Scalar | undefined;
    if (a === undefined || b === undefined) value = a ?? b;
    else if (options.crossover === 'sbx' && (param.type === 'float' || param.type === 'int')) {
      value = fromUnit(param, simulatedBinaryCrossover(toUnit(param, a), toUnit(param, b), options.sbxEta, rng));
    } else value = rng.uniform() < options.swappingProb ? b : a;
    if (value !== undefined) child[param.name] = value;
  }
  return child;
}

/** One child of Deb's bounded SBX on [0, 1]: children spread around the parents, closer for a larger eta. */
export function simulatedBinaryCrossover(x1: number, x2: number, eta: number, rng: Rng): number {
  const low = Math.min(x1, x2);
  const high = Math.max(x1, x2);
  const gap = high - low;
  if (gap < 1e-14) return x1;
  const spread = (beta: number): number => {
    const alpha = 2 - beta ** -(eta + 1);
    const u = rng.uniform();
    return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
  };
  const c1 = 0.5 * (low + high - spread(1 + (2 * low) / gap) * gap);
  const c2 = 0.5 * (low + high + spread(1 + (2 * (1 - high)) / gap) * gap);
  const child = rng.uniform() < 0.5 ? c1 : c2;
  return Math.min(1, Math.max(0, child));
}
