import { describe, expect, it } from 'vitest';
import { AlgorithmConfigError } from '../../search/errors';
import { createScheduler, schedulers, type SchedulerContext } from '../../search/schedulers';
import type { TrialView } from '../../search/types';

const done = (number: number, intermediate: Record<number, number>): TrialView => ({
  number,
  params: { x: number },
  state: 'COMPLETE',
  values: [Object.values(intermediate).at(-1)!],
  intermediate,
});
const running = (number: number, intermediate: Record<number, number>): TrialView => ({ number, params: { x: number }, state: 'RUNNING', intermediate });

// Four completed trials (minimize). Medians: step 1 → (0.8 + 0.6) / 2 = 0.7; step 2 → (0.5 + 0.4) / 2 = 0.45.
const completed = [done(0, { 1: 0.9, 2: 0.7 }), done(1, { 1: 0.8, 2: 0.5 }), done(2, { 1: 0.6, 2: 0.4 }), done(3, { 1: 0.5, 2: 0.3 })];
// A pruned trial with terrible values: it must not move the median (Optuna counts COMPLETE trials only).
const pruned: TrialView = { number: 4, params: { x: 4 }, state: 'PRUNED', intermediate: { 1: 100, 2: 100 } };

function decideMedian(options: Record<string, unknown>, trial: TrialView, step: number, direction: 'minimize' | 'maximize' = 'minimize') {
  const ctx: SchedulerContext = { trials: [...completed, pruned, trial], direction, maxEpochs: 10 };
  return createScheduler({ type: 'median', options }).decide(ctx, trial.number, step);
}

describe('median scheduler (hand-computed)', () => {
  const startup4 = { nStartupTrials: 4 };

  it('prunes a trial worse than the median of completed trials at the same step', () => {
    expect(decideMedian(startup4, running(9, { 1: 0.75 }), 1)).toBe('prune');
    expect(decideMedian(startup4, running(9, { 1: 0.65 }), 1)).toBe('continue');
    expect(decideMedian(startup4, running(9, { 1: 0.7 }), 1)).toBe('continue'); // equal to the median is not worse
    expect(decideMedian(startup4, running(9, { 1: 0.6, 2: 0.5 }), 2)).toBe('prune');
  });

  it("compares the trial's best value so far, not its latest", () => {
    // 0.6 at step 2 is worse than 0.45, but the trial reached 0.4 at step 1.
    expect(decideMedian(startup4, running(9, { 1: 0.4, 2: 0.6 }), 2)).toBe('continue');
  });

  it('mirrors for maximize', () => {
    expect(decideMedian(startup4, running(9, { 1: 0.65 }), 1, 'maximize')).toBe('prune');
    expect(decideMedian(startup4, running(9, { 1: 0.75 }), 1, 'maximize')).toBe('continue');
  });

  it('waits for nStartupTrials completed trials (default 5)', () => {
    expect(decideMedian({}, running(9, { 1: 5 }), 1)).toBe('continue');
    expect(decideMedian({ nStartupTrials: 5 }, running(9, { 1: 5 }), 1)).toBe('continue');
  });

  it('waits for nWarmupSteps', () => {
    expect(decideMedian({ ...startup4, nWarmupSteps: 2 }, running(9, { 1: 5 }), 1)).toBe('continue');
    expect(decideMedian({ ...startup4, nWarmupSteps: 2 }, running(9, { 1: 5, 2: 5 }), 2)).toBe('prune');
  });

  it('checks only at the first reported step of each interval', () => {
    const options = { ...startup4, intervalSteps: 2 };
    expect(decideMedian(options, running(9, { 1: 5 }), 1)).toBe('prune'); // check point 0, nothing reported before
    expect(decideMedian(options, running(9, { 1: 5, 2: 5 }), 2)).toBe('prune'); // check point 2
    expect(decideMedian(options, running(9, { 1: 5, 2: 5, 3: 5 }), 3)).toBe('continue'); // still in the interval of 2
    // A check point that fell between reports (2) is honored at the next report (3, after 1).
    const sparse = running(9, { 1: 5, 3: 5 });
    const withStep3 = [0, 1, 2, 3].map((n) => done(n, { 1: 0.5, 2: 0.5, 3: 0.5 }));
    const median = createScheduler({ type: 'median', options });
    expect(median.decide({ trials: [...withStep3, sparse], direction: 'minimize' }, 9, 3)).toBe('prune');
  });

  it('needs nMinTrials values at the step', () => {
    expect(decideMedian({ ...startup4, nMinTrials: 5 }, running(9, { 1: 5 }), 1)).toBe('continue');
    expect(decideMedian({ ...startup4, nMinTrials: 4 }, running(9, { 1: 5 }), 1)).toBe('prune');
    // No completed trial reported step 7: nothing to compare with.
    expect(decideMedian(startup4, running(9, { 7: 5 }), 7)).toBe('continue');
  });

  it('prunes a trial whose values are all NaN (diverged)', () => {
    expect(decideMedian(startup4, running(9, { 1: Number.NaN }), 1)).toBe('prune');
  });

  it('validates its options', () => {
    expect(() => createScheduler({ type: 'median', options: { nWarmupSteps: -1 } })).toThrow(
      /scheduler "median": option "nWarmupSteps" must be an integer >= 0 \(got -1\)/,
    );
    expect(() => createScheduler({ type: 'median', options: { intervalSteps: 0 } })).toThrow(/intervalSteps" must be an integer >= 1/);
    try {
      createScheduler({ type: 'median', options: { nStartup: 3 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AlgorithmConfigError);
      expect((err as AlgorithmConfigError).field).toBe('options.nStartup');
      expect((err as Error).message).toBe(
        'scheduler "median": unknown option "nStartup" (known options: nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials)',
      );
    }
  });
});

/** A history where half the trials are far worse than the others: any pruner has reason to prune. */
function history(): TrialView[] {
  const trials: TrialView[] = [];
  for (let n = 0; n < 12; n++) {
    const base = n % 2 === 0 ? 0.1 : 10;
    const intermediate: Record<number, number> = {};
    for (let step = 1; step <= 6; step++) intermediate[step] = base / step;
    trials.push(n < 10 ? done(n, intermediate) : running(n, intermediate));
  }
  return trials;
}

/**
 * Every registered scheduler, with options for the contract (`options`) and options that set a warm-up of
 * 3 steps (`warmup`). A new scheduler must add its row: the registry test below fails until it does.
 * `absolute`: compares with fixed bounds, so it may stop a trial with nothing to compare with.
 */
interface ContractCase {
  type: string;
  options: Record<string, unknown>;
  warmup: Record<string, unknown>;
  absolute?: boolean;
}
const CONTRACT: ContractCase[] = [
  { type: 'none', options: {}, warmup: {} },
  { type: 'median', options: {}, warmup: { nStartupTrials: 0, nWarmupSteps: 3 } },
  { type: 'percentile', options: { percentile: 40 }, warmup: { nStartupTrials: 0, nWarmupSteps: 3 } },
  { type: 'patience', options: { patience: 1 }, warmup: { patience: 0, wrapped: { type: 'median', options: { nWarmupSteps: 3 } } } },
  { type: 'threshold', options: { upper: 5 }, warmup: { upper: 5, nWarmupSteps: 3 }, absolute: true },
  { type: 'sha', options: {}, warmup: { minResource: 3 } },
  { type: 'asha', options: {}, warmup: { minResource: 3 } },
  { type: 'asha', options: { mode: 'stopping' }, warmup: { mode: 'stopping', minResource: 3 } },
  { type: 'hyperband', options: {}, warmup: { minResource: 3 } },
  { type: 'hyperband', options: { mode: 'promotion', maxResource: 6 }, warmup: { mode: 'promotion', minResource: 3 } },
  { type: 'bohb', options: {}, warmup: { minResource: 3 } },
  { type: 'pbt', options: { perturbationInterval: 2 }, warmup: {} },
];

for (const { type, options, warmup, absolute } of CONTRACT) {
  const label = `${type} ${JSON.stringify(options)}`;
  describe(`scheduler contract: ${label}`, () => {
    it('is pure and deterministic', () => {
      const trials = history();
      const ctx: SchedulerContext = { trials, direction: 'minimize', maxEpochs: 6 };
      const snapshot = JSON.stringify(trials);
      const scheduler = createScheduler({ type, options });
      const decisions = (s = scheduler) => [10, 11].flatMap((n) => [1, 2, 3, 4, 5, 6].map((step) => s.decide(ctx, n, step)));
      const first = decisions();
      expect(decisions()).toEqual(first);
      expect(decisions(createScheduler({ type, options }))).toEqual(first);
      for (const d of first) expect(scheduler.promotions ? ['continue', 'prune', 'pause'] : ['continue', 'prune']).toContain(d);
      const milestones = [0, 1, 2, 5].map((done) => scheduler.nextMilestone?.(ctx, 11, done));
      expect(milestones).toEqual([0, 1, 2, 5].map((done) => createScheduler({ type, options }).nextMilestone?.(ctx, 11, done)));
      expect(JSON.stringify(trials)).toBe(snapshot);
    });

    it('names a next milestone after epochsDone and no later than maxEpochs', () => {
      const scheduler = createScheduler({ type, options });
      if (scheduler.nextMilestone === undefined) return;
      const ctx: SchedulerContext = { trials: history(), direction: 'minimize', maxEpochs: 6 };
      for (const n of [10, 11])
        for (let done = 0; done < 6; done++) {
          const next = scheduler.nextMilestone(ctx, n, done);
          expect(next).toBeGreaterThan(done);
          expect(next).toBeLessThanOrEqual(6);
        }
    });

    it.skipIf(absolute)('never prunes the first trial: nothing to compare with', () => {
      const scheduler = createScheduler({ type, options });
      const trial = running(0, { 1: 1e9, 2: 1e9, 3: 1e9 });
      for (const step of [1, 2, 3]) {
        expect(scheduler.decide({ trials: [trial], direction: 'minimize', maxEpochs: 3 }, 0, step)).not.toBe('prune');
        expect(scheduler.decide({ trials: [trial], direction: 'maximize' }, 0, step)).not.toBe('prune');
      }
    });

    it('never stops a trial before its warm-up', () => {
      const scheduler = createScheduler({ type, options: warmup });
      const trials = history();
      trials[11] = running(11, { 1: 1e3, 2: 2e3, 3: 3e3 }); // far worse than everyone, and getting worse
      const ctx: SchedulerContext = { trials, direction: 'minimize', maxEpochs: 6 };
      for (const step of [1, 2]) expect(scheduler.decide(ctx, 11, step)).toBe('continue');
    });

    it('stops only through decide: promotions name paused trials only', () => {
      const scheduler = createScheduler({ type, options });
      const ctx: SchedulerContext = { trials: history(), direction: 'minimize', maxEpochs: 6 };
      expect(scheduler.promotions?.(ctx, 4) ?? []).toEqual([]); // nobody is paused
    });

    it('rejects unknown options', () => {
      expect(() => createScheduler({ type, options: { ...options, definitelyNotAnOption: true } })).toThrow(/unknown option "definitelyNotAnOption"/);
    });
  });
}

describe('scheduler registry', () => {
  it('has a contract row for every registered scheduler', () => {
    expect(new Set(CONTRACT.map((c) => c.type))).toEqual(new Set(Object.keys(schedulers)));
  });

  it('names the known schedulers for an unknown type', () => {
    expect(() => createScheduler({ type: 'asha2' })).toThrow(/unknown scheduler "asha2" \(known schedulers: asha, .*median, none/);
  });

  it('lets median prune the bad half of the contract history, and none prune nothing', () => {
    const ctx: SchedulerContext = { trials: history(), direction: 'minimize', maxEpochs: 6 };
    expect(createScheduler({ type: 'median' }).decide(ctx, 11, 1)).toBe('prune'); // 10 vs a median of (0.1 + 10) / 2
    expect(createScheduler({ type: 'median' }).decide(ctx, 10, 1)).toBe('continue');
    expect(createScheduler({ type: 'none' }).decide(ctx, 11, 1)).toBe('continue');
  });
});
