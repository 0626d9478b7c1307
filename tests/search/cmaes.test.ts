import { describe, expect, it } from 'vitest';
import { PROBLEMS } from '../../bench/problems';
import { median } from '../../bench/table';
import { cmaDimensions, defaultPopsize, replay } from '../../search/samplers/cmaes';
import { createSampler } from '../../search/samplers';
import type { SampleContext } from '../../search/samplers/types';
import { parseSpace } from '../../search/space';
import type { Params, SearchSpace } from '../../search/space-types';
import { createStudy } from '../../search/study';
import type { TrialView } from '../../search/types';

const box = (n: number, low: number, high: number): SearchSpace =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, { type: 'float' as const, low, high }]));
const vector = (params: Params, n: number) => Array.from({ length: n }, (_, i) => params[`x${i}`] as number);
const sphere = (x: number[]) => x.reduce((sum, v) => sum + v * v, 0);

/** Best value after `budget` trials of a sequential ask/tell loop. */
function bestAfter(type: string, space: SearchSpace, objective: (p: Params) => number, budget: number, seed: number, options = {}): number {
  const study = createStudy({ space, sampler: { type, seed, options } });
  let best = Infinity;
  for (let i = 0; i < budget; i++) {
    const { number, params } = study.ask();
    const value = objective(params);
    best = Math.min(best, value);
    study.tell(number, value);
  }
  return best;
}

describe('cmaes', () => {
  it('converges on a 4-D sphere to < 1e-3 within 400 trials', () => {
    for (const seed of [0, 1]) {
      expect(bestAfter('cmaes', box(4, -5, 5), (p) => sphere(vector(p, 4)), 400, seed)).toBeLessThan(1e-3);
    }
  });

  it('beats random search clearly on rosenbrock4 at 100 trials (median of 3 seeds)', () => {
    const problem = PROBLEMS.find((p) => p.name === 'rosenbrock4')!;
    const run = (type: string) => median([0, 1, 2].map((seed) => bestAfter(type, problem.space, problem.evaluate, problem.budget, seed)));
    const [cma, random] = [run('cmaes'), run('random')];
    expect(cma).toBeLessThan(random / 3);
  });

  it('searches log and int parameters on their own scale and keeps categoricals random', () => {
    const space: SearchSpace = {
      lr: { type: 'float', low: 1e-5, high: 1, log: true },
      units: { type: 'int', low: 1, high: 64 },
      act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
      extra: { type: 'float', low: 0, high: 1, when: { act: 'gelu' } },
    };
    expect(cmaDimensions(parseSpace(space).params).map((p) => p.name)).toEqual(['lr', 'units']);
    // Optimum at lr = 1e-3, units = 40: on the log scale the distance is symmetric.
    const objective = (p: Params) => ((Math.log10(p.lr as number) + 3) / 3) ** 2 + ((p.units as number) - 40) ** 2 / 100;
    const study = createStudy({ space, sampler: { type: 'cmaes', seed: 3 } });
    const acts = new Set<unknown>();
    for (let i = 0; i < 150; i++) {
      const { number, params } = study.ask();
      acts.add(params.act);
      expect('extra' in params).toBe(params.act === 'gelu');
      study.tell(number, objective(params));
    }
    expect(acts.size).toBe(3);
    const best = study.bestTrial!.params;
    expect(Math.abs(Math.log10(best.lr as number) + 3)).toBeLessThan(0.5);
    expect(Math.abs((best.units as number) - 40)).toBeLessThanOrEqual(3);
  });

  it('is a pure function of the history: a trial in an unfinished generation ignores its siblings', () => {
    const space = parseSpace(box(3, 0, 1));
    const sampler = createSampler({ type: 'cmaes' });
    const lambda = defaultPopsize(3); // 7
    const trials: TrialView[] = [];
    const ctx = (trialNumber: number, history: TrialView[]): SampleContext => ({
      space,
      trials: history,
      seed: 11,
      trialNumber,
      attempt: 0,
      directions: ['minimize'],
      fixed: {},
    });
    for (let k = 0; k < lambda + 3; k++) {
      const params = sampler.sample(ctx(k, trials));
      trials.push({ number: k, params, state: 'COMPLETE', values: [sphere(vector(params, 3))] });
    }
    // Trial λ + 3 is in generation 1; its siblings λ..λ+2 being finished, running or failed changes nothing.
    const target = lambda + 3;
    const asFinished = sampler.sample(ctx(target, trials));
    const asRunning = sampler.sample(ctx(target, trials.map((t) => (t.number >= lambda ? { ...t, state: 'RUNNING' as const, values: undefined } : t))));
    const asFailed = sampler.sample(ctx(target, trials.map((t) => (t.number >= lambda ? { ...t, state: 'FAIL' as const, values: undefined } : t))));
    expect(asRunning).toEqual(asFinished);
    expect(asFailed).toEqual(asFinished);
    // But generation 0's results matter: its mean moved from the centre towards the best points.
    const told = replay(ctx(target, trials), cmaDimensions(space.params), { sigma0: 1 / 6, popsize: null, restartStrategy: 'ipop', incPopsize: 2, nStartupTrials: 0 });
    expect(told.state.generation).toBe(1);
    const fresh = sampler.sample(ctx(target, trials.slice(0, 2)));
    expect(fresh).not.toEqual(asFinished);
  });

  it('restarts with a doubled population when the run stalls (IPOP), and never with restartStrategy none', () => {
    // A flat objective: tolfun stops each run after 10 + ⌈30n/λ⌉ generations.
    const space = parseSpace(box(2, -1, 1));
    const dims = cmaDimensions(space.params);
    const trials: TrialView[] = [];
    const study = createStudy({ space: box(2, -1, 1), sampler: { type: 'cmaes', seed: 5 } });
    for (let i = 0; i < 400; i++) {
      const { number } = study.ask();
      study.tell(number, 1);
    }
    trials.push(...study.trials);
    const options = { sigma0: 1 / 6, popsize: null, incPopsize: 2, nStartupTrials: 0 };
    const ipop = replay({ trials, seed: 5, trialNumber: 400, directions: ['minimize'] }, dims, { ...options, restartStrategy: 'ipop' });
    expect(ipop.restart).toBeGreaterThanOrEqual(2);
    expect(ipop.state.params.lambda).toBe(defaultPopsize(2) * 2 ** ipop.restart);
    const none = replay({ trials, seed: 5, trialNumber: 400, directions: ['minimize'] }, dims, { ...options, restartStrategy: 'none' });
    expect(none.restart).toBe(0);
    expect(none.state.generation).toBe(Math.floor(400 / defaultPopsize(2)));
  });

  it('ranks failed and pruned trials last, and honors nStartupTrials and its options', () => {
    const study = createStudy({ space: box(2, -5, 5), sampler: { type: 'cmaes', seed: 2, options: { nStartupTrials: 5, popsize: 6, sigma0: 0.3 } } });
    for (let i = 0; i < 120; i++) {
      const { number, params } = study.ask();
      const x = vector(params, 2);
      // The half-plane x0 > 1 "crashes": the search must still find the optimum at (1, 1) from the left side.
      if (x[0]! > 1) study.tell(number, { state: i % 2 === 0 ? 'FAIL' : 'PRUNED' });
      else study.tell(number, (x[0]! - 1) ** 2 + (x[1]! - 1) ** 2);
    }
    expect(study.bestTrial!.values![0]).toBeLessThan(1e-2);
    expect(() => createSampler({ type: 'cmaes', options: { popsize: 1 } })).toThrow(/option "popsize" must be an integer >= 2/);
    expect(() => createSampler({ type: 'cmaes', options: { restartStrategy: 'bipop' } })).toThrow(/"restartStrategy" must be one of "ipop", "none"/);
  });

  // Suggest time is a speed target: bench/samplers.ts measures it (ms per ask), not a timed test.

});
