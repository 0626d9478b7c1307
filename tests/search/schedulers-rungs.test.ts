// Hand-computed cases for percentile, patience, threshold and the rung schedulers (sha, asha,
// hyperband), and the promotion protocol through the ask/tell study.
import { describe, expect, it } from 'vitest';
import { bestWithin, driveStudy } from '../../bench/multi-fidelity';
import { BRANIN_MF } from '../../bench/problems';
import { AlgorithmConfigError } from '../../search/errors';
import { createScheduler, type SchedulerContext } from '../../search/schedulers';
import { smoothWeightedRoundRobin } from '../../search/schedulers/rungs';
import { createStudy } from '../../search/study';
import type { Direction, TrialView } from '../../search/types';

const trial = (number: number, intermediate: Record<number, number>, extra: Partial<TrialView> = {}): TrialView => ({
  number,
  params: { x: number },
  state: 'RUNNING',
  intermediate,
  ...extra,
});
const done = (number: number, intermediate: Record<number, number>) =>
  trial(number, intermediate, { state: 'COMPLETE', values: [Object.values(intermediate).at(-1)!] });
const ctxOf = (trials: TrialView[], direction: Direction = 'minimize', maxEpochs = 27): SchedulerContext => ({ trials, direction, maxEpochs });

describe('percentile', () => {
  // Completed values at step 1: 0.9, 0.8, 0.6, 0.5.
  const completed = [done(0, { 1: 0.9 }), done(1, { 1: 0.8 }), done(2, { 1: 0.6 }), done(3, { 1: 0.5 })];
  const decide = (value: number, direction: Direction) =>
    createScheduler({ type: 'percentile', options: { percentile: 25, nStartupTrials: 4 } }).decide(ctxOf([...completed, trial(4, { 1: value })], direction), 4, 1);

  it('prunes below the percentile, counted from the best end in both directions', () => {
    // minimize: 25th percentile of [0.5, 0.6, 0.8, 0.9] = 0.5 + 0.75 * 0.1 = 0.575
    expect(decide(0.58, 'minimize')).toBe('prune');
    expect(decide(0.57, 'minimize')).toBe('continue');
    // maximize: the 75th percentile = 0.8 + 0.25 * 0.1 = 0.825
    expect(decide(0.82, 'maximize')).toBe('prune');
    expect(decide(0.83, 'maximize')).toBe('continue');
  });

  it('is the median at 50', () => {
    const ctx = ctxOf([...completed, trial(4, { 1: 0.71 })]); // median 0.7
    expect(createScheduler({ type: 'percentile', options: { percentile: 50, nStartupTrials: 4 } }).decide(ctx, 4, 1)).toBe('prune');
    expect(createScheduler({ type: 'median', options: { nStartupTrials: 4 } }).decide(ctx, 4, 1)).toBe('prune');
    expect(() => createScheduler({ type: 'percentile', options: { percentile: 101 } })).toThrow(/"percentile" must be a number >= 0 and <= 100/);
  });
});

describe('patience', () => {
  const stagnating = trial(0, { 1: 0.5, 2: 0.6, 3: 0.7, 4: 0.55 });

  it('prunes when the last patience + 1 steps are no better than before', () => {
    const decide = (options: Record<string, unknown>, step: number) => createScheduler({ type: 'patience', options }).decide(ctxOf([stagnating]), 0, step);
    expect(decide({ patience: 2 }, 4)).toBe('prune'); // best before the window 0.5 < best within it 0.55
    expect(decide({ patience: 2 }, 3)).toBe('continue'); // only 3 steps: not enough to judge
    expect(decide({ patience: 2, minDelta: 0.1 }, 4)).toBe('continue'); // 0.6 is not < 0.55
    expect(decide({ patience: 3 }, 4)).toBe('continue');
  });

  it('lets the wrapped scheduler have the last word', () => {
    const wrappedBy = (upper: number) => createScheduler({ type: 'patience', options: { patience: 2, wrapped: { type: 'threshold', options: { upper } } } });
    expect(wrappedBy(0.5).decide(ctxOf([stagnating]), 0, 4)).toBe('prune');
    expect(wrappedBy(0.6).decide(ctxOf([stagnating]), 0, 4)).toBe('continue');
  });

  it('validates patience and the wrapped scheduler', () => {
    expect(() => createScheduler({ type: 'patience' })).toThrow(/option "patience" is required/);
    const fieldOf = (options: Record<string, unknown>) => {
      try {
        createScheduler({ type: 'patience', options });
      } catch (err) {
        expect(err).toBeInstanceOf(AlgorithmConfigError);
        return (err as AlgorithmConfigError).field;
      }
      return null;
    };
    expect(fieldOf({ patience: 1, wrapped: { type: 'nope' } })).toBe('options.wrapped.type');
    expect(fieldOf({ patience: 1, wrapped: { type: 'median', options: { bad: 1 } } })).toBe('options.wrapped.options.bad');
    expect(fieldOf({ patience: 1, wrapped: { type: 'asha' } })).toBe('options.wrapped.type'); // promotion-type
    expect(fieldOf({ patience: 1, wrapped: 'median' })).toBe('options.wrapped');
  });
});

describe('threshold', () => {
  const decide = (options: Record<string, unknown>, intermediate: Record<number, number>, step: number) =>
    createScheduler({ type: 'threshold', options }).decide(ctxOf([trial(0, intermediate)]), 0, step);

  it('prunes outside [lower, upper] and on NaN, after the warm-up', () => {
    expect(decide({ lower: 0, upper: 1 }, { 1: 1.5 }, 1)).toBe('prune');
    expect(decide({ lower: 0, upper: 1 }, { 1: -1 }, 1)).toBe('prune');
    expect(decide({ lower: 0, upper: 1 }, { 1: 0.5 }, 1)).toBe('continue');
    expect(decide({ upper: 1 }, { 1: Number.NaN }, 1)).toBe('prune');
    expect(decide({ upper: 1, nWarmupSteps: 2 }, { 1: 5 }, 1)).toBe('continue');
    expect(decide({ upper: 1, nWarmupSteps: 2 }, { 1: 5, 2: 5 }, 2)).toBe('prune');
  });

  it('needs a bound', () => {
    expect(() => createScheduler({ type: 'threshold' })).toThrow(/give option "lower", "upper" or both/);
    expect(() => createScheduler({ type: 'threshold', options: { lower: 2, upper: 1 } })).toThrow(/"lower" \(2\) must not exceed "upper" \(1\)/);
  });
});

describe('sha (stopping successive halving, η = 3)', () => {
  // Five trials reached rung 1 with values 1..5.
  const others = [1, 2, 3, 4, 5].map((v, n) => done(n, { 1: v, 2: v }));
  const decideAt = (intermediate: Record<number, number>, step: number, options: Record<string, unknown> = {}, direction: Direction = 'minimize') =>
    createScheduler({ type: 'sha', options }).decide(ctxOf([...others, trial(5, intermediate)], direction), 5, step);

  it('keeps a trial in the top 1/η of its rung: 6 values, at least as good as the 2nd best', () => {
    expect(decideAt({ 1: 1.5 }, 1)).toBe('continue');
    expect(decideAt({ 1: 2 }, 1)).toBe('continue'); // ties pass
    expect(decideAt({ 1: 2.5 }, 1)).toBe('prune');
    expect(decideAt({ 1: 4.5 }, 1, {}, 'maximize')).toBe('continue'); // 2nd best of [5, 4.5, 4, ...] from the top
    expect(decideAt({ 1: 3.5 }, 1, {}, 'maximize')).toBe('prune');
  });

  it('judges only at rungs 1, 3, 9 (minResource·η^k below maxResource)', () => {
    expect(decideAt({ 1: 1, 2: 99 }, 2)).toBe('continue'); // not a rung
    expect(createScheduler({ type: 'sha' }).nextMilestone!(ctxOf(others), 5, 0)).toBe(1);
    const milestones = [0, 1, 2, 3, 8, 9, 26].map((d) => createScheduler({ type: 'sha' }).nextMilestone!(ctxOf(others), 5, d));
    expect(milestones).toEqual([1, 3, 3, 9, 9, 27, 27]);
    // The first trial to reach rung 3 always goes on, however bad.
    expect(decideAt({ 1: 1, 2: 1, 3: 1e9 }, 3)).toBe('continue');
  });

  it('shifts the rungs with minEarlyStoppingRate and judges a skipped rung at the next report', () => {
    expect(decideAt({ 1: 99 }, 1, { minEarlyStoppingRate: 1 })).toBe('continue'); // rungs 3, 9
    // Reports at 1 and 4: rung 3 is judged at step 4 against the value others had at rung 3 (none here).
    const atRung3 = [1, 2, 3, 4, 5].map((v, n) => done(n, { 1: v, 3: v }));
    const sparse = trial(5, { 1: 1, 4: 2.5 });
    expect(createScheduler({ type: 'sha' }).decide(ctxOf([...atRung3, sparse]), 5, 4)).toBe('prune');
    expect(createScheduler({ type: 'sha' }).decide(ctxOf([...atRung3, trial(5, { 1: 1, 4: 2 })]), 5, 4)).toBe('continue');
  });

  it('prunes NaN, validates its options', () => {
    expect(decideAt({ 1: Number.NaN }, 1)).toBe('prune');
    expect(() => createScheduler({ type: 'sha', options: { reductionFactor: 1 } })).toThrow(/"reductionFactor" must be an integer >= 2/);
    expect(() => createScheduler({ type: 'sha', options: { minResource: 3, maxResource: 3 } })).toThrow(/"maxResource" \(3\) must exceed "minResource" \(3\)/);
    expect(() => createScheduler({ type: 'sha', options: { mode: 'promotion' } })).toThrow(/unknown option "mode"/);
    expect(() => createScheduler({ type: 'asha', options: { mode: 'sync' } })).toThrow(/"mode" must be one of "promotion", "stopping"/);
  });
});

describe('asha (promotion)', () => {
  const asha = createScheduler({ type: 'asha' });

  it('pauses at rungs, continues between them and at the last rung', () => {
    const t = trial(0, { 1: 5, 2: 5, 3: 5 });
    expect(asha.decide(ctxOf([t]), 0, 1)).toBe('pause');
    expect(asha.decide(ctxOf([t]), 0, 2)).toBe('continue');
    expect(asha.decide(ctxOf([t]), 0, 3)).toBe('pause');
    expect(asha.decide(ctxOf([trial(0, { 27: 5 })]), 0, 27)).toBe('continue'); // maxEpochs: it completes
  });

  it('promotes paused trials in the top ⌊n/η⌋ of their rung, highest rung first', () => {
    const paused = { paused: true };
    const trials = [
      trial(0, { 1: 0.1 }, paused),
      trial(1, { 1: 0.2 }, paused),
      trial(2, { 1: 0.3 }, paused),
      done(3, { 1: 0.05, 3: 0.04, 9: 0.03, 27: 0.02 }), // reached every rung: ranks first at rungs 1 and 3
      trial(4, { 1: 0.6, 2: 0.6 }), // running after a promotion: counts, cannot be named
      trial(5, { 1: 0.7 }, paused),
      trial(6, { 1: 0.02, 2: 0.3, 3: 0.3 }, paused), // waits at rung 3, 2nd of 2 there: ⌊2/3⌋ = 0 promotable
    ];
    // Rung 1 has 7 members: quota ⌊7/3⌋ = 2 → trials 6 (0.02) and 3 (0.05): 6 is past rung 1, 3 is done.
    expect(asha.promotions!(ctxOf(trials), 5)).toEqual([]);
    // Two more trials at rung 1 (9 members, quota 3) make room for trial 0 (0.1).
    const more = [...trials, trial(7, { 1: 0.9 }), trial(8, { 1: 0.8 })];
    expect(asha.promotions!(ctxOf(more), 5)).toEqual([0]);
    // A third member at rung 3 (quota 1 of 3) does not help trial 6 (0.3 behind 0.04) ...
    const rung3 = [...more, done(9, { 1: 0.15, 3: 0.5, 9: 0.5, 27: 0.5 })];
    expect(asha.promotions!(ctxOf(rung3), 5)).toEqual([0]);
    // ... but beating trial 3 there does: rung 3 is promoted before rung 1.
    const better = [...more.slice(0, 6), trial(6, { 1: 0.02, 2: 0.01, 3: 0.01 }, paused), ...more.slice(7), done(9, { 1: 0.15, 3: 0.5, 9: 0.5, 27: 0.5 })];
    expect(asha.promotions!(ctxOf(better), 5)).toEqual([6, 0]);
    expect(asha.promotions!(ctxOf(better), 1)).toEqual([6]);
    expect(asha.promotions!(ctxOf(better), 0)).toEqual([]);
    // Not paused: never named.
    const unpaused = better.map((t) => ({ ...t, paused: false }));
    expect(asha.promotions!(ctxOf(unpaused), 5)).toEqual([]);
  });
});

describe('hyperband', () => {
  it('spreads trials over the brackets in proportion to the budgets, by trial number', () => {
    // 4 brackets for 27 / 1 with η = 3; budgets ⌈4·3^s / (s + 1)⌉ for s = 3, 2, 1, 0: 27, 12, 6, 4.
    const pattern = smoothWeightedRoundRobin([27, 12, 6, 4]);
    expect(Array.from(pattern.slice(0, 6))).toEqual([0, 1, 0, 2, 0, 3]);
    const counts = [0, 0, 0, 0];
    const hyperband = createScheduler({ type: 'hyperband' });
    for (let n = 0; n < 98; n++) counts[hyperband.bracketOf!(ctxOf([]), n)!]! += 1;
    expect(counts).toEqual([54, 24, 12, 8]);
    // 26 / 1: three brackets (1, 3, 9 <= 26), budgets 9, 5, 3.
    const three = [0, 0, 0];
    for (let n = 0; n < 17; n++) three[createScheduler({ type: 'hyperband' }).bracketOf!(ctxOf([], 'minimize', 26), n)!]! += 1;
    expect(three).toEqual([9, 5, 3]);
  });

  it('gives each bracket its own rungs and compares only within the bracket', () => {
    const hyperband = createScheduler({ type: 'hyperband' });
    const ctx = ctxOf([]);
    // Trials 0, 2, 4 are in bracket 0 (rungs 1, 3, 9), 1 in bracket 1 (3, 9), 3 in bracket 2 (9), 5 in bracket 3 (none).
    expect([0, 1, 3, 5].map((n) => hyperband.nextMilestone!(ctx, n, 0))).toEqual([1, 3, 9, 27]);
    // Trial 2 is worse than trial 1 at step 1, but trial 1 is in another bracket: trial 2 is compared with trial 0 only.
    const trials = [done(0, { 1: 5 }), trial(1, { 1: 0 }), trial(2, { 1: 4 })];
    expect(hyperband.decide(ctxOf(trials), 2, 1)).toBe('continue');
    expect(hyperband.decide(ctxOf([done(0, { 1: 3 }), ...trials.slice(1)]), 2, 1)).toBe('prune');
  });

  it('waits for a completed trial when it knows no maximum resource', () => {
    const hyperband = createScheduler({ type: 'hyperband' });
    const trials = [trial(0, { 1: 1 }), trial(2, { 1: 9 })];
    expect(hyperband.bracketOf!({ trials, direction: 'minimize' }, 2)).toBeUndefined();
    expect(hyperband.decide({ trials, direction: 'minimize' }, 2, 1)).toBe('continue');
    const finished = [done(0, { 1: 1, 27: 1 }), trial(1, {}), trial(2, { 1: 9 })];
    expect(hyperband.decide({ trials: finished, direction: 'minimize' }, 2, 1)).toBe('prune');
  });
});

describe('promotion through the study', () => {
  const space = { x: { type: 'float' as const, low: 0, high: 1 } };
  const value = (params: Record<string, unknown>, step: number) => Number(params.x) + 1 / step;

  for (const scheduler of [{ type: 'asha' }, { type: 'hyperband', options: { mode: 'promotion' } }]) {
    it(`${scheduler.type}: resumes paused trials without training a step twice`, () => {
      const study = createStudy({ space, sampler: { type: 'random', seed: 3 }, scheduler, maxSteps: 9 });
      const named: number[][] = [];
      const promote = study.promote.bind(study);
      study.promote = (free) => {
        const numbers = promote(free);
        named.push(numbers);
        return numbers;
      };
      const log = driveStudy(study, value, { trials: 40, maxSteps: 9, workers: 2 });
      expect(log.stepsTrainedTwice).toBe(0);
      expect(log.promotions).toBeGreaterThan(3);
      expect(log.completions.length).toBeGreaterThan(0);
      expect(named.flat().length).toBe(log.promotions);
      for (const t of study.trials) {
        const steps = Object.keys(t.intermediate ?? {}).map(Number);
        expect(steps).toEqual(steps.map((_, i) => i + 1)); // contiguous from 1: resumed, not restarted
        expect(t.state === 'COMPLETE' || t.state === 'PRUNED').toBe(true);
      }
      // Cheaper than running every trial to the end.
      expect(log.cost).toBeLessThan(40 * 9 * 0.6);
    });
  }

  it('names a promoted trial again only after it paused at its next rung', () => {
    const study = createStudy({ space, sampler: { type: 'random', seed: 1 }, scheduler: { type: 'asha' }, maxSteps: 9 });
    for (let i = 0; i < 3; i++) {
      const { number, params } = study.ask();
      study.report(number, 1, value(params, 1));
      expect(study.decide(number)).toBe('pause');
      expect(() => study.shouldPrune(number)).toThrow(/paused at a rung by decide\(\); a study driven by decide\(\) and promote\(\) does not use shouldPrune/);
    }
    expect(() => study.report(0, 2, 1)).toThrow(/paused at a rung; resume it with promote\(\) first/);
    const [first, ...rest] = study.promote(3);
    expect(first).toBeDefined();
    expect(rest).toEqual([]);
    expect(study.promote(3)).toEqual([]); // the promoted trial is not named twice
    const restored = createStudy.fromJSON(study.toJSON()); // paused flags survive continue-as-new
    expect(restored.trials.filter((t) => t.paused).length).toBe(2);
    const params = study.trials[first!]!.params;
    study.report(first!, 2, value(params, 2));
    expect(study.decide(first!)).toBe('continue');
    study.report(first!, 3, value(params, 3));
    expect(study.decide(first!)).toBe('pause'); // rung 3: paused again; alone there, so not promotable
    expect(study.promote(3)).toEqual([]);
    expect(() => study.promote(-1)).toThrow(/freeSlots must be a non-negative integer/);
  });
});

describe('shouldPrune with a promotion scheduler (the Optuna loop)', () => {
  const space = { x: { type: 'float' as const, low: 0, high: 1 } };
  // A bad trial is obvious from step 1: its value is x plus a term that shrinks with training.
  const value = (params: Record<string, unknown>, step: number) => Number(params.x) + 1 / step;
  const optunaLoop = (scheduler: { type: string; options?: Record<string, unknown> }, maxSteps?: number) => {
    const study = createStudy({ space, sampler: { type: 'random', seed: 5 }, scheduler, ...(maxSteps !== undefined ? { maxSteps } : {}) });
    for (let i = 0; i < 30; i++) {
      const { number, params } = study.ask();
      let pruned = false;
      for (let step = 1; step <= 9 && !pruned; step++) {
        study.report(number, step, value(params, step));
        pruned = study.shouldPrune(number);
      }
      study.tell(number, pruned ? { state: 'PRUNED' } : value(params, 9));
    }
    return study;
  };
  const states = (study: ReturnType<typeof optunaLoop>) => study.trials.map((t) => t.state);

  for (const [scheduler, maxSteps] of [[{ type: 'asha' }, undefined], [{ type: 'hyperband', options: { mode: 'promotion' } }, 9]] as const) {
    it(`${scheduler.type} (promotion): prunes the bad trials, exactly as its stopping mode does, and keeps the best`, () => {
      const study = optunaLoop(scheduler, maxSteps);
      const pruned = study.trials.filter((t) => t.state === 'PRUNED');
      expect(pruned.length).toBeGreaterThan(10);
      expect(study.trials.some((t) => t.paused === true)).toBe(false);
      const stopping = optunaLoop({ type: scheduler.type, options: { ...('options' in scheduler ? scheduler.options : {}), mode: 'stopping' } }, maxSteps);
      expect(states(study)).toEqual(states(stopping));
      const bestX = Math.min(...study.trials.map((t) => Number(t.params.x)));
      expect(Number(study.bestTrial!.params.x)).toBe(bestX);
      // A saved study answers as before: the stopping rule comes from the config, not from stored state.
      const hopeless = (s: ReturnType<typeof optunaLoop>) => {
        const { number } = s.ask();
        for (let step = 1; step <= 9; step++) {
          s.report(number, step, 5); // far worse than every trial
          if (s.shouldPrune(number)) return step;
        }
        return undefined;
      };
      const prunedAt = hopeless(createStudy.fromJSON(study.toJSON()));
      expect(prunedAt).toBe(hopeless(stopping));
      if (scheduler.type === 'asha') expect(prunedAt).toBe(1);
    });
  }

  it('names decide() and promote() when a promotion scheduler has no stopping mode', () => {
    const study = createStudy({ space, scheduler: { type: 'asha' } });
    delete study.scheduler.stoppingVariant; // as a scheduler that can only pause would be
    const { number } = study.ask();
    study.report(number, 1, 0.5);
    expect(() => study.shouldPrune(number)).toThrow(/scheduler "asha" can only pause and promote trials; drive it with decide\(\) and promote\(\)/);
  });
});

describe('tpe under asha (promotion) on branin_mf', () => {
  it('learns from the paused trials: better than random search with the same schedule', () => {
    // Under promotion most trials wait paused (RUNNING) at rung 1 to the end; counted as running, tpe
    // would learn from the few completed trials only and do no better than random (0.96 median before).
    const bestOf = (sampler: string, seed: number) => {
      const study = createStudy({ space: BRANIN_MF.space, sampler: { type: sampler, seed }, scheduler: { type: 'asha' }, maxSteps: BRANIN_MF.maxSteps });
      const log = driveStudy(study, (p, step) => BRANIN_MF.value(p as Record<string, number>, step), { trials: 100, maxSteps: BRANIN_MF.maxSteps, workers: 1 });
      return bestWithin(log, Infinity);
    };
    const seeds = [0, 1, 2, 3, 4];
    const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
    const tpe = middle(seeds.map((s) => bestOf('tpe', s)));
    expect(tpe).toBeLessThan(middle(seeds.map((s) => bestOf('random', s))));
    expect(tpe).toBeLessThan(0.6);
  });
});
