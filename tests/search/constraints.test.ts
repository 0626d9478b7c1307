// Constraints, Pareto fronts, warm start and enqueue through the study, and the samplers that steer
// towards feasible regions.
import { describe, expect, it } from 'vitest';
import { median } from '../../bench/table';
import { createSampler } from '../../search/samplers';
import type { Params, SearchSpace } from '../../search/space-types';
import { createStudy, studyFromJSON, type StudyJSON } from '../../search/study';
import type { TrialView } from '../../search/types';

const square: SearchSpace = { x0: { type: 'float', low: 0, high: 1 }, x1: { type: 'float', low: 0, high: 1 } };

describe('study: constraints', () => {
  it('records constraints; bestTrial and paretoFront only consider feasible trials', () => {
    const study = createStudy({ space: square, sampler: { type: 'random', seed: 1 } });
    for (let i = 0; i < 4; i++) study.ask();
    study.tell(0, 1, { constraints: [2, -1] }); // best value, infeasible
    study.tell(1, 3, { constraints: [0, -5] }); // 0 counts as satisfied
    study.tell(2, 2); // no constraints: feasible
    study.tell(3, { state: 'PRUNED' }, { constraints: [0.5] });
    expect(study.bestTrial?.number).toBe(2);
    expect(study.paretoFront.map((t) => t.number)).toEqual([2]);
    expect(study.trials[0]!.constraints).toEqual([2, -1]);
    expect(study.trials[3]).toMatchObject({ state: 'PRUNED', constraints: [0.5] });
    const restored = studyFromJSON(JSON.parse(JSON.stringify(study.toJSON())) as StudyJSON);
    expect(restored.trials).toEqual(study.trials);
    expect(restored.bestTrial?.number).toBe(2);
  });

  it('has no best trial when nothing is feasible, and rejects bad constraint values', () => {
    const study = createStudy({ space: square });
    study.ask();
    study.ask();
    study.tell(0, 1, { constraints: [0.1] });
    expect(study.bestTrial).toBeUndefined();
    expect(study.paretoFront).toEqual([]);
    expect(() => study.tell(1, 1, { constraints: [Number.NaN] })).toThrow(/tell\(1\): constraints must be a list of numbers/);
    expect(() => study.tell(1, 1, { constraints: 'x' as never })).toThrow(/constraints must be a list of numbers/);
    expect(study.trials[1]!.state).toBe('RUNNING');
  });

  it('leaves random search untouched: the same proposals with or without constraints', () => {
    const run = (withConstraints: boolean) => {
      const study = createStudy({ space: square, sampler: { type: 'random', seed: 4 } });
      for (let i = 0; i < 20; i++) {
        const { number, params } = study.ask();
        study.tell(number, params.x1 as number, withConstraints ? { constraints: [0.5 - (params.x0 as number)] } : undefined);
      }
      return study.trials.map((t) => t.params);
    };
    expect(run(true)).toEqual(run(false));
  });

  // min (x0 - 0.2)² + (x1 - 0.5)² subject to x0 >= 0.5: the unconstrained optimum is infeasible.
  const lateFeasibleShare = (type: string, seed: number, constrained: boolean, options: Record<string, unknown> = {}) => {
    const study = createStudy({ space: square, sampler: { type, seed, options } });
    let feasible = 0;
    for (let i = 0; i < 200; i++) {
      const { number, params } = study.ask();
      const [x0, x1] = [params.x0 as number, params.x1 as number];
      if (i >= 150 && x0 >= 0.5) feasible++;
      study.tell(number, (x0 - 0.2) ** 2 + (x1 - 0.5) ** 2, constrained ? { constraints: [0.5 - x0] } : undefined);
    }
    return { share: feasible / 50, best: study.bestTrial!.values![0]! };
  };

  for (const [type, options, bestBound] of [['cmaes', {}, 0.095], ['nsga2', { populationSize: 20 }, 0.11]] as const) {
    it(`${type} moves to the feasible region: most late proposals satisfy x0 >= 0.5`, () => {
      const seeds = [0, 1, 2];
      const constrained = seeds.map((seed) => lateFeasibleShare(type, seed, true, options));
      const free = seeds.map((seed) => lateFeasibleShare(type, seed, false, options));
      expect(median(constrained.map((r) => r.share))).toBeGreaterThanOrEqual(0.6);
      expect(median(free.map((r) => r.share))).toBeLessThan(0.45); // without constraints it goes for x0 = 0.2
      // The best feasible value approaches the constrained optimum 0.09 (x0 = 0.5, x1 = 0.5).
      expect(median(constrained.map((r) => r.best))).toBeLessThan(bestBound);
    });
  }
});

describe('study: several objectives', () => {
  it('runs end to end with nsga2 and random and returns the Pareto front of feasible trials', () => {
    for (const type of ['nsga2', 'random']) {
      const study = createStudy({ space: square, directions: ['minimize', 'maximize'], sampler: { type, seed: 2, options: type === 'nsga2' ? { populationSize: 10 } : {} } });
      for (let i = 0; i < 60; i++) {
        const { number, params } = study.ask();
        const [x0, x1] = [params.x0 as number, params.x1 as number];
        study.tell(number, [x0, x0 + x1 * (1 - x0)], { constraints: [0.1 - x1] });
      }
      const front = study.paretoFront;
      expect(front.length).toBeGreaterThan(0);
      for (const a of front) {
        expect(a.constraints![0]).toBeLessThanOrEqual(0);
        for (const b of study.trials) {
          if (b.state !== 'COMPLETE' || b.constraints![0]! > 0) continue;
          const dominated = b.values![0]! <= a.values![0]! && b.values![1]! >= a.values![1]! && (b.values![0]! < a.values![0]! || b.values![1]! > a.values![1]!);
          expect(dominated, `${type}: trial ${a.number} is dominated by ${b.number}`).toBe(false);
        }
      }
    }
  });

  it('gives every trial tied at the best value as the front of a single objective', () => {
    const study = createStudy({ space: square, direction: 'maximize' });
    for (const value of [1, 3, 2, 3]) study.tell(study.ask().number, value);
    expect(study.paretoFront.map((t) => t.number)).toEqual([1, 3]);
    expect(study.bestTrial?.number).toBe(1);
  });
});

describe('study: warm start and enqueue', () => {
  const source = (): TrialView[] => {
    const other = createStudy({ space: square, sampler: { type: 'random', seed: 9 } });
    for (let i = 0; i < 6; i++) {
      const { number, params } = other.ask();
      if (i === 4) other.tell(number, { state: 'FAIL' });
      else other.tell(number, (params.x0 as number) + (params.x1 as number), { constraints: [i === 1 ? 1 : -1] });
    }
    other.ask(); // still running: not imported below
    return other.trials.filter((t) => t.state !== 'RUNNING');
  };

  it('imports finished trials as 0..k-1 and continues numbering from k; the sampler sees them', () => {
    const imported = source().reverse(); // order of the list decides the numbers
    const study = createStudy({ space: square, sampler: { type: 'random', seed: 1 }, warmStart: imported });
    expect(study.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(study.trials.map((t) => t.params)).toEqual(imported.map((t) => t.params));
    expect(study.trials.map((t) => t.state)).toEqual(imported.map((t) => t.state));
    expect(study.trials[4]!.constraints).toEqual([1]);
    const { number } = study.ask();
    expect(number).toBe(6);
    const best = imported.filter((t) => t.state === 'COMPLETE' && t.constraints![0]! <= 0).sort((a, b) => a.values![0]! - b.values![0]!)[0]!;
    expect(study.bestTrial?.params).toEqual(best.params);

    // The sampler's history holds the imported trials: nsga2 with a population of 3 breeds trial 6 from them
    // (generation 2), so its proposal changes when the imported results change.
    const breed = (views: TrialView[]) => createStudy({ space: square, sampler: { type: 'nsga2', seed: 1, options: { populationSize: 3 } }, warmStart: views }).ask().params;
    const flipped = imported.map((t) => (t.values ? { ...t, values: [-t.values[0]!] } : t));
    expect(breed(imported)).not.toEqual(breed(flipped));
    // Restoring keeps them (toJSON carries them as ordinary trials).
    const restored = studyFromJSON(JSON.parse(JSON.stringify(study.toJSON())) as StudyJSON);
    expect(restored.trials).toEqual(study.trials);
  });

  it('refuses running, malformed or foreign trials, naming the position', () => {
    const running: TrialView = { number: 0, params: { x0: 0.1, x1: 0.2 }, state: 'RUNNING' };
    expect(() => createStudy({ space: square, warmStart: [running] })).toThrow(/warmStart\[0\]: state must be COMPLETE, PRUNED or FAIL/);
    const foreign: TrialView = { number: 0, params: { x0: 0.1, y: 2 }, state: 'FAIL' };
    expect(() => createStudy({ space: square, warmStart: [foreign] })).toThrow(/warmStart\[0\]: unknown parameter "y"/);
    const noValues: TrialView = { number: 3, params: { x0: 0.1, x1: 0.2 }, state: 'COMPLETE' };
    expect(() => createStudy({ space: square, warmStart: [noValues] })).toThrow(/warmStart\[0\]: a COMPLETE trial needs 1 finite value/);
    const twoValues: TrialView = { number: 3, params: { x0: 0.1, x1: 0.2 }, state: 'COMPLETE', values: [1, 2] };
    expect(() => createStudy({ space: square, warmStart: [twoValues] })).toThrow(/one per direction/);
  });

  it('never proposes an imported configuration again, and asks enqueued ones first', () => {
    const study = createStudy({ space: { x0: { type: 'int', low: 0, high: 2 }, x1: { type: 'int', low: 0, high: 1 } }, sampler: { type: 'cmaes', seed: 3 }, warmStart: [
      { number: 0, params: { x0: 0, x1: 0 }, state: 'COMPLETE', values: [1] },
      { number: 1, params: { x0: 1, x1: 1 }, state: 'COMPLETE', values: [2] },
    ] });
    study.enqueue({ x0: 2, x1: 0 });
    const keys = new Set(study.trials.map((t) => JSON.stringify(t.params)));
    expect(study.ask().params).toEqual({ x0: 2, x1: 0 });
    keys.add(JSON.stringify({ x0: 2, x1: 0 }));
    for (let i = 0; i < 3; i++) {
      const { params } = study.ask();
      expect(keys.has(JSON.stringify(params))).toBe(false);
      keys.add(JSON.stringify(params));
    }
    expect(keys.size).toBe(6); // all 3 × 2 configurations, none twice
  });

  it('keeps samplers pure with constraints in the history', () => {
    for (const type of ['cmaes', 'nsga2']) {
      const sampler = createSampler({ type, options: type === 'nsga2' ? { populationSize: 4 } : { popsize: 4 } });
      const study = createStudy({ space: square, sampler: { type: 'random', seed: 0 } });
      for (let i = 0; i < 12; i++) {
        const { number, params } = study.ask();
        study.tell(number, params.x0 as number, { constraints: [0.5 - (params.x1 as number)] });
      }
      const ctx = { space: study.space, trials: study.trials, seed: 5, trialNumber: 12, attempt: 0, directions: study.directions, fixed: {} as Params };
      expect(sampler.sample(ctx)).toEqual(sampler.sample(structuredClone(ctx)));
    }
  });
});
