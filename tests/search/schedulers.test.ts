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

for (const type of Object.keys(schedulers)) {
  describe(`scheduler contract: ${type}`, () => {
    it('is pure and deterministic', () => {
      const trials = history();
      const ctx: SchedulerContext = { trials, direction: 'minimize', maxEpochs: 6 };
      const snapshot = JSON.stringify(trials);
      const decisions = (scheduler = createScheduler({ type })) =>
        [10, 11].flatMap((n) => [1, 2, 3, 4, 5, 6].map((step) => scheduler.decide(ctx, n, step)));
      const first = decisions();
      expect(decisions()).toEqual(first);
      expect(decisions(createScheduler({ type }))).toEqual(first);
      expect(JSON.stringify(trials)).toBe(snapshot);
      for (const d of first) expect(['continue', 'prune']).toContain(d);
    });

    it('never prunes the first trial: nothing to compare with', () => {
      const scheduler = createScheduler({ type });
      const trial = running(0, { 1: 1e9, 2: 1e9, 3: 1e9 });
      for (const step of [1, 2, 3]) {
        expect(scheduler.decide({ trials: [trial], direction: 'minimize', maxEpochs: 3 }, 0, step)).toBe('continue');
        expect(scheduler.decide({ trials: [trial], direction: 'maximize' }, 0, step)).toBe('continue');
      }
    });

    it('rejects unknown options', () => {
      expect(() => createScheduler({ type, options: { definitelyNotAnOption: true } })).toThrow(/unknown option "definitelyNotAnOption"/);
    });
  });
}

describe('scheduler registry', () => {
  it('names the known schedulers for an unknown type', () => {
    expect(() => createScheduler({ type: 'asha2' })).toThrow(/unknown scheduler "asha2" \(known schedulers: median, none\)/);
  });

  it('lets median prune the bad half of the contract history, and none prune nothing', () => {
    const ctx: SchedulerContext = { trials: history(), direction: 'minimize', maxEpochs: 6 };
    expect(createScheduler({ type: 'median' }).decide(ctx, 11, 1)).toBe('prune'); // 10 vs a median of (0.1 + 10) / 2
    expect(createScheduler({ type: 'median' }).decide(ctx, 10, 1)).toBe('continue');
    expect(createScheduler({ type: 'none' }).decide(ctx, 11, 1)).toBe('continue');
  });
});
