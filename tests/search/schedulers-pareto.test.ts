// Multi-objective pruning (search/schedulers/dominance.ts): hand-computed cases for the dominance
// percentile rule (median, percentile) and the rung order (sha, asha), and the single-objective path
// left exactly as it was.
import { describe, expect, it } from 'vitest';
import { createScheduler, type SchedulerContext } from '../../search/schedulers';
import { createStudy } from '../../search/study';
import type { Direction, TrialView } from '../../search/types';
import { createRng } from '../../search/rng';

const MIN2: Direction[] = ['minimize', 'minimize'];

/** A trial with vector reports (intermediate holds their first objective, as the campaign and the study make it). */
function view(number: number, reports: Record<number, number[]>, extra: Partial<TrialView> = {}): TrialView {
  const intermediate: Record<number, number> = {};
  for (const [s, v] of Object.entries(reports)) intermediate[Number(s)] = v[0]!;
  return { number, params: { x: number }, state: 'RUNNING', intermediate, intermediateValues: reports, ...extra };
}
const done = (number: number, reports: Record<number, number[]>) => view(number, reports, { state: 'COMPLETE', values: Object.values(reports).at(-1)! });

// Four completed trials whose step-1 reports form a front: [1,4] [2,3] [3,2] [4,1].
const FRONT = [done(0, { 1: [1, 4], 2: [1, 4] }), done(1, { 1: [2, 3], 2: [2, 3] }), done(2, { 1: [3, 2], 2: [3, 2] }), done(3, { 1: [4, 1], 2: [4, 1] })];

function decide(type: string, options: Record<string, unknown>, trial: TrialView, step: number, directions: Direction[] = MIN2, others = FRONT) {
  const ctx: SchedulerContext = { trials: [...others, trial], direction: directions[0]!, directions, maxEpochs: 10 };
  return createScheduler({ type, options }).decide(ctx, trial.number, step);
}

describe('median and percentile with several objectives: the dominance rule', () => {
  const startup = { nStartupTrials: 4 };

  it('prunes a trial dominated by at least half of the completed trials (median)', () => {
    expect(decide('median', startup, view(9, { 1: [5, 5] }), 1)).toBe('prune'); // dominated by all 4
    expect(decide('median', startup, view(9, { 1: [3.5, 3.5] }), 1)).toBe('prune'); // by [2,3] and [3,2]: 2 of 4
    expect(decide('median', startup, view(9, { 1: [2.5, 3.5] }), 1)).toBe('continue'); // by [2,3] only: 1 of 4
  });

  it('never prunes a non-dominated trial, however bad its first objective', () => {
    expect(decide('median', startup, view(9, { 1: [9, 0.5] }), 1)).toBe('continue');
    expect(decide('percentile', { ...startup, percentile: 0 }, view(9, { 1: [9, 0.5] }), 1)).toBe('continue');
    // The same reports judged by the first objective alone (no `directions`: the old behaviour) prune it.
    const firstOnly: SchedulerContext = { trials: [...FRONT, view(9, { 1: [9, 0.5] })], direction: 'minimize', maxEpochs: 10 };
    expect(createScheduler({ type: 'median', options: startup }).decide(firstOnly, 9, 1)).toBe('prune');
  });

  it('takes the fraction from the percentile: 25 prunes a trial one of four dominates, 0 any dominated one', () => {
    expect(decide('percentile', { ...startup, percentile: 25 }, view(9, { 1: [2.5, 3.5] }), 1)).toBe('prune');
    expect(decide('percentile', { ...startup, percentile: 50 }, view(9, { 1: [2.5, 3.5] }), 1)).toBe('continue');
    expect(decide('percentile', { ...startup, percentile: 100 }, view(9, { 1: [3.5, 3.5] }), 1)).toBe('continue'); // needs all 4
    expect(decide('percentile', { ...startup, percentile: 100 }, view(9, { 1: [5, 5] }), 1)).toBe('prune');
    expect(decide('percentile', { ...startup, percentile: 0 }, view(9, { 1: [4, 4.5] }), 1)).toBe('prune'); // by [4,1] (and [3,2], ...)
  });

  it('respects nStartupTrials, nWarmupSteps and nMinTrials', () => {
    const bad = view(9, { 1: [5, 5], 2: [5, 5] });
    expect(decide('median', {}, bad, 1)).toBe('continue'); // 4 completed < 5 (default)
    expect(decide('median', { nStartupTrials: 5 }, bad, 1)).toBe('continue');
    expect(decide('median', { ...startup, nWarmupSteps: 2 }, bad, 1)).toBe('continue');
    expect(decide('median', { ...startup, nWarmupSteps: 2 }, bad, 2)).toBe('prune');
    expect(decide('median', { ...startup, nMinTrials: 5 }, bad, 1)).toBe('continue');
  });

  it('keeps a trial any of whose reports so far would survive (the best value so far, generalized)', () => {
    // At step 2 its report [5,5] is dominated by all, but its step-1 report [0.5,0.5] dominates them.
    expect(decide('median', startup, view(9, { 1: [0.5, 0.5], 2: [5, 5] }), 2)).toBe('continue');
    expect(decide('median', startup, view(9, { 1: [6, 6], 2: [5, 5] }), 2)).toBe('prune');
  });

  it('mirrors per direction (maximize the first, minimize the second)', () => {
    const dirs: Direction[] = ['maximize', 'minimize'];
    // In these directions the front's points trade off differently: [4,1] dominates all the others.
    expect(decide('median', startup, view(9, { 1: [3.5, 1.5] }), 1, dirs)).toBe('continue'); // only [4,1] dominates it
    expect(decide('median', startup, view(9, { 1: [0.5, 5] }), 1, dirs)).toBe('prune');
    expect(decide('median', startup, view(9, { 1: [5, 5] }), 1, dirs)).toBe('continue'); // the best first objective
  });

  it('prunes a trial whose every report has a NaN; ignores NaN reports of completed trials', () => {
    expect(decide('median', startup, view(9, { 1: [NaN, 0] }), 1)).toBe('prune');
    const withNaN = [...FRONT.slice(0, 2), done(2, { 1: [NaN, NaN] }), done(3, { 1: [NaN, NaN] })];
    // Only [1,4] and [2,3] count at step 1: 2 completed reports, half of them dominate [2.5, 3.5].
    expect(decide('median', startup, view(9, { 1: [2.5, 3.5] }), 1, MIN2, withNaN)).toBe('prune');
  });
});

// sha: minResource 1, η 3, maxEpochs 27 → rungs 1, 3, 9. Step-1 reports of six trials (minimize both):
//   front 1: [1,5] [5,1] (extremes, infinite crowding) and [3,3]; front 2: [4,4]; front 3: [6,6], [7,7]... ordered
//   [1,5], [5,1], [3,3], [4,4], [6,6], [7,7]; ⌊6/3⌋ = 2 go on.
const RUNG_OTHERS = [view(0, { 1: [1, 5] }), view(1, { 1: [4, 4] }), view(2, { 1: [6, 6] }), view(3, { 1: [7, 7] }), view(4, { 1: [3, 3] })];

describe('sha and asha with several objectives: front, then crowding distance', () => {
  const rungCtx = (trials: TrialView[], directions: Direction[] = MIN2): SchedulerContext => ({ trials, direction: directions[0]!, directions, maxEpochs: 27 });

  it('stopping: the top ⌊n/η⌋ of the rung in front-then-crowding order go on', () => {
    const sha = createScheduler({ type: 'sha' });
    expect(sha.decide(rungCtx([...RUNG_OTHERS, view(5, { 1: [5, 1] })]), 5, 1)).toBe('continue'); // 2nd: an extreme of front 1
    expect(sha.decide(rungCtx([...RUNG_OTHERS, view(5, { 1: [0.5, 0.5] })]), 5, 1)).toBe('continue'); // dominates all
    // [3,3] is on front 1 with [1,5] and [5,1], but with finite crowding it is 3rd of 6.
    const others = [view(0, { 1: [1, 5] }), view(1, { 1: [4, 4] }), view(2, { 1: [6, 6] }), view(3, { 1: [7, 7] }), view(4, { 1: [5, 1] })];
    expect(sha.decide(rungCtx([...others, view(5, { 1: [3, 3] })]), 5, 1)).toBe('prune');
    expect(sha.decide(rungCtx([...RUNG_OTHERS, view(5, { 1: [4.5, 4.5] })]), 5, 1)).toBe('prune');
  });

  it('stopping: judged by the first objective alone (no directions) the same rung prunes a front member', () => {
    const sha = createScheduler({ type: 'sha' });
    const trials = [...RUNG_OTHERS, view(5, { 1: [5, 1] })];
    expect(sha.decide({ trials, direction: 'minimize', maxEpochs: 27 }, 5, 1)).toBe('prune');
  });

  it('promotion: paused trials in the top ⌊n/η⌋ of their rung, in front-then-crowding order', () => {
    const asha = createScheduler({ type: 'asha' });
    const paused = (t: TrialView) => ({ ...t, paused: true });
    const trials = [...RUNG_OTHERS.map(paused), paused(view(5, { 1: [5, 1] }))];
    // Order at rung 1: 0 [1,5], 5 [5,1], 4 [3,3], 1, 2, 3: the quota is 2.
    expect(asha.promotions!(rungCtx(trials), 10)).toEqual([0, 5]);
    expect(asha.promotions!(rungCtx(trials), 1)).toEqual([0]);
    // A trial at a higher rung comes first: trials 6, 7, 8 reached rung 3, 8 is the best there (quota 1).
    const higher = [
      view(6, { 1: [2, 6], 3: [2, 2] }),
      view(7, { 1: [2, 7], 3: [3, 3] }),
      paused(view(8, { 1: [2, 8], 3: [1, 1] })),
    ];
    expect(asha.promotions!(rungCtx([...trials, ...higher]), 10)[0]).toBe(8);
    // The first objective alone (no directions) promotes by it: 0 [1,...] and 4 [3,...] among the six at rung 1.
    expect(asha.promotions!({ trials, direction: 'minimize', maxEpochs: 27 }, 10)).toEqual([0, 4]);
  });

  it('never promotes a trial whose rung report has a NaN, and prunes one that reports it', () => {
    const asha = createScheduler({ type: 'asha' });
    const trials = [...RUNG_OTHERS, view(5, { 1: [NaN, 0] }, { paused: true })];
    expect(asha.promotions!(rungCtx(trials), 10)).not.toContain(5);
    expect(createScheduler({ type: 'sha' }).decide(rungCtx(trials), 5, 1)).toBe('prune');
  });
});

describe('one objective: unchanged', () => {
  it('gives the same decisions and promotions with or without vectors and a one-entry directions', () => {
    const r = createRng(7);
    const random = () => r.uniform();
    for (const type of ['median', 'percentile', 'sha', 'asha', 'hyperband']) {
      const scheduler = createScheduler({ type, options: type === 'median' || type === 'percentile' ? { nStartupTrials: 2 } : {} });
      for (let round = 0; round < 30; round++) {
        const trials: TrialView[] = [];
        for (let n = 0; n < 12; n++) {
          const steps = 1 + Math.floor(random() * 12);
          const reports: Record<number, number[]> = {};
          for (let s = 1; s <= steps; s++) reports[s] = [Math.round(random() * 20) / 10];
          const state = random() < 0.5 ? 'COMPLETE' : 'RUNNING';
          trials.push(view(n, reports, { state, ...(state === 'RUNNING' && random() < 0.5 ? { paused: true } : {}) }));
        }
        const plain: SchedulerContext = { trials: trials.map(({ intermediateValues: _, ...t }) => t), direction: 'minimize', maxEpochs: 20 };
        const one: SchedulerContext = { trials, direction: 'minimize', directions: ['minimize'], maxEpochs: 20 };
        for (const t of trials) {
          const step = Math.max(...Object.keys(t.intermediate!).map(Number));
          expect(scheduler.decide(one, t.number, step)).toBe(scheduler.decide(plain, t.number, step));
        }
        expect(scheduler.promotions?.(one, 5)).toEqual(scheduler.promotions?.(plain, 5));
      }
    }
  });
});

describe('the study with several directions', () => {
  const space = { x: { type: 'float' as const, low: 0, high: 1 } };

  it('reports every objective per step, prunes by dominance and keeps the vectors in toJSON', () => {
    const study = createStudy({ space, directions: MIN2, scheduler: { type: 'median', options: { nStartupTrials: 2 } } });
    for (const v of [[1, 4], [4, 1]]) {
      const { number } = study.ask();
      study.report(number, 1, v);
      study.tell(number, v);
    }
    const good = study.ask().number;
    study.report(good, 1, [5, 0.5]); // bad first objective, but nobody dominates it
    expect(study.shouldPrune(good)).toBe(false);
    const bad = study.ask().number;
    study.report(bad, 1, [5, 5]);
    expect(study.shouldPrune(bad)).toBe(true);
    const saved = JSON.parse(JSON.stringify(study.toJSON()));
    expect(saved.trials[good].intermediateValues).toEqual({ 1: [5, 0.5] });
    const restored = createStudy.fromJSON(saved);
    expect(restored.shouldPrune(good)).toBe(false);
    expect(restored.shouldPrune(bad)).toBe(true);
  });

  it('refuses mixed report shapes and wrong lengths with a clear message', () => {
    const study = createStudy({ space, directions: MIN2, scheduler: { type: 'none' } });
    const { number } = study.ask();
    study.report(number, 1, [1, 2]);
    expect(() => study.report(number, 2, 1)).toThrow(/reported a list of 2 values so far; report every step the same way/);
    expect(() => study.report(number, 2, [1, 2, 3])).toThrow(/expected 2 value\(s\), one per direction \(got 3\)/);
    expect(() => study.report(number, 1, [1, 3])).toThrow(/step 1 already has value \[1,2\]/);
    expect(() => study.report(number, 2, [1, NaN])).toThrow(/values must be finite numbers/);
  });

  it('a study reporting numbers with several directions prunes by the first objective, as before', () => {
    const study = createStudy({ space, directions: MIN2, scheduler: { type: 'median', options: { nStartupTrials: 2 } } });
    for (const v of [[1, 4], [4, 1]]) {
      const { number } = study.ask();
      study.report(number, 1, v[0]!);
      study.tell(number, v);
    }
    const { number } = study.ask();
    study.report(number, 1, 5);
    expect(study.shouldPrune(number)).toBe(true);
  });
});
