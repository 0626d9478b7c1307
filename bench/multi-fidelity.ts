// A small multi-fidelity driver over the ask/tell study: the loop the campaign workflow runs, without
// Temporal. `workers` trials train at once, one step each per tick; after each step the trial reports,
// and unless it has reached maxSteps the scheduler decides (continue / prune / pause). Free slots go to
// promotions first (promotion-type schedulers), then to new trials. Paused trials left at the end are
// told PRUNED. Used by `npm run bench:schedulers` and by the scheduler tests.
import type { Params } from '../search/space-types';
import type { Study } from '../search/study';

export interface DriverOptions {
  /** New trials to start (promotions do not count). */
  trials: number;
  /** Steps to spend: once reached nothing new starts and nothing is promoted; running trials finish. */
  maxCost?: number;
  maxSteps: number;
  workers: number;
  /** With several objectives: report the first objective only (pruning as before multi-objective pruning) instead of every one. */
  reportFirstOnly?: boolean;
}

export interface Completion {
  number: number;
  /** Steps consumed by all trials when this one completed. */
  cost: number;
  /** The first objective's final value. */
  value: number;
  /** Every objective's final value (one entry with one objective). */
  values: number[];
}

export interface DriverLog {
  /** Steps reported in all, pruned and paused trials included. */
  cost: number;
  completions: Completion[];
  pruned: number;
  /** Trials resumed from a pause. */
  promotions: number;
  /** Steps a trial trained that it had trained before: must be 0 (a promotion resumes, it does not restart). */
  stepsTrainedTwice: number;
}

/**
 * Runs the study to the end; `value(params, step)` is the trial's intermediate value at `step` (1-based):
 * a number, or one value per objective for a study with several directions.
 */
export function driveStudy(study: Study, value: (params: Params, step: number) => number | number[], options: DriverOptions): DriverLog {
  const log: DriverLog = { cost: 0, completions: [], pruned: 0, promotions: 0, stepsTrainedTwice: 0 };
  const trained = new Map<number, Set<number>>();
  const progress = new Map<number, { params: Params; step: number }>();
  let active: number[] = [];
  let started = 0;

  for (;;) {
    // Fill free slots: promotions first, then new trials.
    while (active.length < options.workers && log.cost < (options.maxCost ?? Infinity)) {
      const promoted = study.promote(options.workers - active.length);
      if (promoted.length > 0) {
        log.promotions += promoted.length;
        active.push(...promoted);
        continue;
      }
      if (started >= options.trials) break;
      const { number, params } = study.ask();
      started += 1;
      progress.set(number, { params, step: 0 });
      trained.set(number, new Set());
      active.push(number);
    }
    if (active.length === 0) break;

    const stillActive: number[] = [];
    for (const number of active) {
      const trial = progress.get(number)!;
      const step = trial.step + 1;
      trial.step = step;
      const steps = trained.get(number)!;
      if (steps.has(step)) log.stepsTrainedTwice += 1;
      steps.add(step);
      log.cost += 1;
      const y = value(trial.params, step);
      study.report(number, step, options.reportFirstOnly === true && typeof y !== 'number' ? y[0]! : y);
      if (step >= options.maxSteps) {
        study.tell(number, y);
        const values = typeof y === 'number' ? [y] : y;
        log.completions.push({ number, cost: log.cost, value: values[0]!, values });
        continue;
      }
      const decision = study.decide(number);
      if (decision === 'prune') {
        study.tell(number, { state: 'PRUNED' });
        log.pruned += 1;
      } else if (decision === 'continue') {
        stillActive.push(number);
      } // 'pause': the slot is free; the trial waits for a promotion
    }
    active = stillActive;
  }

  for (const trial of study.trials) {
    if (trial.state === 'RUNNING') {
      study.tell(trial.number, { state: 'PRUNED' });
      log.pruned += 1;
    }
  }
  return log;
}

/** Best completed value among trials that completed within `budget` steps (Infinity when none did). */
export function bestWithin(log: DriverLog, budget: number): number {
  let best = Infinity;
  for (const c of log.completions) if (c.cost <= budget && c.value < best) best = c.value;
  return best;
}
