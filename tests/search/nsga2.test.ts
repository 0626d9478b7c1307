import { describe, expect, it } from 'vitest';
import { median } from '../../bench/table';
import { createRng } from '../../search/rng';
import { parentPopulation, selectElite, simulatedBinaryCrossover } from '../../search/samplers/nsga2';
import { createSampler } from '../../search/samplers';
import { hypervolume2D } from '../../search/pareto';
import type { Params, SearchSpace } from '../../search/space-types';
import { createStudy } from '../../search/study';
import type { Direction, TrialView } from '../../search/types';

const MINMIN: Direction[] = ['minimize', 'minimize'];
const cube: SearchSpace = {
  x0: { type: 'float', low: 0, high: 1 },
  x1: { type: 'float', low: 0, high: 1 },
  x2: { type: 'float', low: 0, high: 1 },
};
const xs = (p: Params) => [p.x0, p.x1, p.x2] as number[];

/** ZDT1 in 3 dimensions: the Pareto front is f2 = 1 - sqrt(f1) at x1 = x2 = 0. */
function zdt1(p: Params): number[] {
  const [x0, x1, x2] = xs(p) as [number, number, number];
  const g = 1 + (9 * (x1 + x2)) / 2;
  return [x0, g * (1 - Math.sqrt(x0 / g))];
}

function frontHypervolume(type: string, seed: number, options: Record<string, unknown> = {}): number {
  const study = createStudy({ space: cube, directions: MINMIN, sampler: { type, seed, options } });
  for (let i = 0; i < 200; i++) {
    const { number, params } = study.ask();
    study.tell(number, zdt1(params));
  }
  return hypervolume2D(
    study.paretoFront.map((t) => t.values!),
    [1.1, 11],
    MINMIN,
  );
}

const complete = (number: number, values: number[], constraints?: number[]): TrialView => ({
  number,
  params: {},
  state: 'COMPLETE',
  values,
  ...(constraints ? { constraints } : {}),
});

describe('nsga2', () => {
  it('finds a better ZDT1 front than random search at 200 trials (hypervolume, median of 3 seeds)', () => {
    const seeds = [0, 1, 2];
    const random = median(seeds.map((seed) => frontHypervolume('random', seed)));
    const uniform = median(seeds.map((seed) => frontHypervolume('nsga2', seed, { populationSize: 20 })));
    const sbx = median(seeds.map((seed) => frontHypervolume('nsga2', seed, { populationSize: 20, crossover: 'sbx' })));
    expect(uniform).toBeGreaterThan(random + 0.2);
    expect(sbx).toBeGreaterThan(random + 0.2);
  });

  it('selects the elite by rank, then crowding distance, feasible first', () => {
    const candidates = [
      complete(0, [0, 4]),
      complete(1, [1, 2]),
      complete(2, [3, 1]),
      complete(3, [4, 0]),
      complete(4, [5, 5]),
      complete(5, [0, 0], [1]), // best values but infeasible
    ];
    // Front 0 is {0, 1, 2, 3}: the extremes 0 and 3 are kept, then 1 (the wider gap) before 2.
    expect(selectElite(candidates, MINMIN, 3).map((r) => r.trial.number)).toEqual([0, 3, 1]);
    const all = selectElite(candidates, MINMIN, 6);
    expect(all.map((r) => [r.trial.number, r.rank])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0], [4, 1], [5, 2]]);
  });

  it('builds parents only from finished trials of earlier generations (a pure function of the history)', () => {
    const trials = [complete(0, [1, 1]), complete(1, [2, 2]), { number: 2, params: {}, state: 'RUNNING' as const }, complete(3, [0, 0]), complete(4, [3, 3])];
    // Population 2: generation 1 = trials 2 and 3; trial 4 (generation 2) is not a parent of generation 2.
    expect(parentPopulation(trials, MINMIN, 2, 1).map((r) => r.trial.number)).toEqual([0, 1]);
    expect(parentPopulation(trials, MINMIN, 2, 2).map((r) => r.trial.number)).toEqual([3, 0]);
  });

  it('works for a single objective (ranked by value)', () => {
    const sphere = (p: Params) => xs(p).reduce((s, v) => s + (v - 0.3) ** 2, 0);
    const best = (type: string, seed: number) => {
      const study = createStudy({ space: cube, sampler: { type, seed, options: type === 'nsga2' ? { populationSize: 20, crossover: 'sbx' } : {} } });
      for (let i = 0; i < 200; i++) {
        const { number, params } = study.ask();
        study.tell(number, sphere(params));
      }
      return study.bestTrial!.values![0]!;
    };
    const seeds = [0, 1, 2];
    expect(median(seeds.map((s) => best('nsga2', s)))).toBeLessThan(median(seeds.map((s) => best('random', s))) / 2);
  });

  it('keeps SBX children inside [0, 1] and near close parents', () => {
    const rng = createRng(1);
    for (let i = 0; i < 500; i++) {
      const [a, b] = [rng.uniform(), rng.uniform()];
      const child = simulatedBinaryCrossover(a, b, 20, rng);
      expect(child).toBeGreaterThanOrEqual(0);
      expect(child).toBeLessThanOrEqual(1);
    }
    expect(Math.abs(simulatedBinaryCrossover(0.5, 0.51, 20, rng) - 0.505)).toBeLessThan(0.05);
    expect(simulatedBinaryCrossover(0.3, 0.3, 20, rng)).toBe(0.3);
  });

  it('validates its options', () => {
    expect(() => createSampler({ type: 'nsga2', options: { populationSize: 1 } })).toThrow(/"populationSize" must be an integer >= 2/);
    expect(() => createSampler({ type: 'nsga2', options: { crossover: 'blx' } })).toThrow(/"crossover" must be one of "uniform", "sbx"/);
    expect(() => createSampler({ type: 'nsga2', options: { mutationProb: 2 } })).toThrow(/"mutationProb" must be a number >= 0 and <= 1/);
  });
});
