// The ask/tell study: trial bookkeeping around a sampler and a scheduler, usable without Temporal.
//
//   const study = createStudy({ space, direction: 'minimize', sampler: { type: 'random', seed: 1 } });
//   const { number, params } = study.ask();
//   study.report(number, 1, 0.8); if (study.shouldPrune(number)) study.tell(number, { state: 'PRUNED' });
//   study.tell(number, 0.42);
//
// Promotion-type schedulers (asha, hyperband/bohb with mode: promotion) have two drivers. The loop above
// cannot pause a trial, so `shouldPrune` judges by the same scheduler in stopping mode (asha then is
// Optuna's SuccessiveHalvingPruner). For promotion proper, use `decide` instead: 'pause' parks the trial;
// before asking for a new trial, `promote(freeSlots)` names the paused trials to resume (they report
// their next steps as usual). See schedulers/types.ts. Drive a study one way or the other, not both.
//
// Constraints (Optuna's `constraints_func`): `tell(number, value, { constraints: [c1, c2] })`, each c <= 0
// when satisfied. `bestTrial` and `paretoFront` only consider feasible trials; samplers that know
// constraints (nsga2, cmaes) steer towards feasible regions. Warm start: `createStudy({ ..., warmStart: trials })`
// imports another campaign's finished trials as trials 0..k-1 (params, state, values, constraints and
// intermediate values kept); the study's own trials are numbered from k and samplers see the imported ones
// as history.
//
// Proposals depend only on the seed, the trial number and the trial history, so `studyFromJSON(study.toJSON())`
// continues with exactly the proposals the original would have made (the campaign carries this state
// across continue-as-new).
import { StudyError } from './errors';
import { rankFeasible } from './ranking';
import { isFeasible, paretoFront } from './pareto';
import { createSampler, type Sampler } from './samplers';
import { createScheduler, type Scheduler, type SchedulerContext, type SchedulerDecision } from './schedulers';
import { explainParams, paramsKey, parseSpace, type Space } from './space';
import type { Params, SearchSpace } from './space-types';
import { suggest } from './suggest';
import type { Direction, TrialState, TrialView } from './types';

export interface StudyOptions {
  space: SearchSpace;
  /** One objective (default `minimize`); give `directions` instead for several. */
  direction?: Direction;
  directions?: Direction[];
  /** Default `{type: 'random', seed: 0}`. */
  sampler?: { type: string; seed?: number; options?: Record<string, unknown> };
  /** Default `{type: 'median'}`, as in a spec. */
  scheduler?: { type: string; options?: Record<string, unknown> };
  /** Steps a trial runs at most, for schedulers that plan by budget; optional. */
  maxSteps?: number;
  /**
   * Finished trials of another campaign to start from (COMPLETE, PRUNED or FAIL; same space and number of
   * directions). They become trials 0..k-1 in the given order, keeping params, state, values, constraints and
   * intermediate values; the study's own trials continue from k. Ignored by `fromJSON` (the saved trials hold them).
   */
  warmStart?: readonly TrialView[];
}

/** Extra facts about a finished trial, given to `tell`. */
export interface TellOptions {
  /** Constraint values (each <= 0 when satisfied, as Optuna's `constraints_func`); see `TrialView.constraints`. */
  constraints?: readonly number[];
}

export interface AskedTrial {
  number: number;
  params: Params;
}

/**
 * What `tell` accepts: the objective value, one value per direction, or the trial's end without a value.
 * A NaN or infinite value marks the trial FAIL (as Optuna does for NaN): it diverged.
 */
export type TellResult = number | readonly number[] | { state: 'FAIL' | 'PRUNED' };

export interface Study {
  readonly space: Space;
  readonly directions: readonly Direction[];
  readonly sampler: Sampler;
  readonly scheduler: Scheduler;
  /** Starts a trial (state RUNNING): the next enqueued configuration, else a new proposal. */
  ask(): AskedTrial;
  /** Finishes a RUNNING trial, optionally with its constraint values. */
  tell(number: number, result: TellResult, options?: TellOptions): void;
  /**
   * Records a RUNNING trial's intermediate value at `step`: a number (the first objective), or with
   * several directions a list with one value per direction, which the schedulers judge by Pareto
   * dominance (docs/objectives.md). A study reports the one way or the other, not both.
   */
  report(number: number, step: number, value: number | readonly number[]): void;
  /**
   * Whether to stop the trial now (the Optuna loop: report, then shouldPrune), judged at its last reported
   * step; false before any report. A promotion-type scheduler answers with its stopping rule on the same
   * rungs, as this loop cannot pause and resume trials; `decide`/`promote` run it in promotion mode.
   * Throws for a trial `decide` paused.
   */
  shouldPrune(number: number): boolean;
  /**
   * The scheduler's decision at the trial's last reported step ('continue' before any report). 'pause'
   * marks the trial paused: it may not report until `promote` resumes it.
   */
  decide(number: number): SchedulerDecision;
  /** Paused trials to resume now (at most `freeSlots`, best first), marked resumed; [] for stopping-type schedulers. */
  promote(freeSlots: number): number[];
  /**
   * A configuration to try before any proposal; parameters left out are sampled. A value for a
   * conditional parameter counts only when the configuration activates it, so give its parents too.
   */
  enqueue(params: Params): void;
  /** Every trial in number order (0, 1, ...). Read-only: change trials through ask/tell/report. */
  readonly trials: readonly TrialView[];
  /**
   * The best feasible COMPLETE trial by the first direction (the earliest on ties), or undefined. A trial
   * told without constraints is feasible.
   */
  readonly bestTrial: TrialView | undefined;
  /**
   * The feasible COMPLETE trials no other feasible COMPLETE trial dominates, in number order (for one
   * objective: every trial tied at the best value). Empty when none is feasible.
   */
  readonly paretoFront: readonly TrialView[];
  toJSON(): StudyJSON;
}

/** The study's whole state as plain JSON. */
export interface StudyJSON {
  format: typeof FORMAT;
  space: SearchSpace;
  directions: Direction[];
  sampler: { type: string; seed: number; options: Record<string, unknown> };
  scheduler: { type: string; options: Record<string, unknown> };
  maxSteps?: number;
  trials: TrialView[];
  /** Enqueued configurations not asked yet. */
  queue: Params[];
}

const FORMAT = 'tuneflow.study/1';
const DIRECTIONS: readonly Direction[] = ['minimize', 'maximize'];
const STATES: readonly TrialState[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL'];

/** Builds a study; with `saved`, loads its trials and queue (from `toJSON`). */
function buildStudy(options: StudyOptions, saved?: StudyJSON): Study {
  const space = parseSpace(options.space);
  const directions = parseDirections(options);
  const samplerConfig = { type: options.sampler?.type ?? 'random', seed: options.sampler?.seed ?? 0, options: options.sampler?.options ?? {} };
  if (!Number.isSafeInteger(samplerConfig.seed) || samplerConfig.seed < 0) {
    throw new StudyError(`sampler.seed must be a non-negative integer (got ${JSON.stringify(samplerConfig.seed)})`);
  }
  const schedulerConfig = { type: options.scheduler?.type ?? 'median', options: options.scheduler?.options ?? {} };
  const sampler = createSampler(samplerConfig);
  const scheduler = createScheduler(schedulerConfig);
  const { maxSteps } = options;
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps > 0)) {
    throw new StudyError(`maxSteps must be a positive integer (got ${JSON.stringify(maxSteps)})`);
  }

  const trials: TrialView[] = [];
  const taken = new Set<string>();
  const queue: Params[] = [];

  const running = (number: number, action: string): TrialView => {
    const trial = Number.isInteger(number) ? trials[number] : undefined;
    if (trial === undefined) {
      const known = trials.length > 0 ? `trials are numbered 0 to ${trials.length - 1}` : 'no trial was asked yet';
      throw new StudyError(`cannot ${action} trial ${number}: unknown trial (${known})`);
    }
    if (trial.state !== 'RUNNING') throw new StudyError(`cannot ${action} trial ${number}: it is already finished (${trial.state})`);
    return trial;
  };

  // How this study's trials report with several directions: every objective (Pareto pruning) or the first only.
  let reportShape: 'first' | 'all' | null = null; // set from the saved or imported trials below
  const schedulerContext = (): SchedulerContext => ({
    trials,
    direction: directions[0]!,
    ...(directions.length > 1 && reportShape === 'all' ? { directions } : {}),
    ...(maxSteps !== undefined ? { maxEpochs: maxSteps } : {}),
  });
  const decideAtLastStep = (trial: TrialView, by: Scheduler): SchedulerDecision => {
    const steps = Object.keys(trial.intermediate ?? {}).map(Number);
    if (steps.length === 0) return 'continue';
    return by.decide(schedulerContext(), trial.number, Math.max(...steps));
  };
  // shouldPrune can only continue or prune, so a scheduler that pauses answers it in stopping mode.
  let stopping: Scheduler | undefined = scheduler.promotions === undefined ? scheduler : undefined;
  const stoppingScheduler = (): Scheduler => {
    stopping ??= scheduler.stoppingVariant?.();
    if (stopping === undefined) {
      throw new StudyError(`shouldPrune: scheduler "${scheduler.name}" can only pause and promote trials; drive it with decide() and promote()`);
    }
    return stopping;
  };

  const study: Study = {
    space,
    directions,
    sampler,
    scheduler,

    ask() {
      const number = trials.length;
      const enqueued = queue[0];
      const params = suggest({ sampler, space, trials, seed: samplerConfig.seed, trialNumber: number, directions, fixed: enqueued ?? {}, taken });
      if (enqueued !== undefined) queue.shift();
      trials.push({ number, params, state: 'RUNNING' });
      taken.add(paramsKey(params));
      return { number, params: { ...params } };
    },

    tell(number, result, tellOptions) {
      const trial = running(number, 'tell');
      const constraints = parseConstraints(`tell(${number})`, tellOptions?.constraints);
      delete trial.paused; // a paused trial ends as told (usually PRUNED: it stopped at its rung)
      if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
        const state = (result as { state?: unknown }).state;
        if (state !== 'FAIL' && state !== 'PRUNED') {
          throw new StudyError(`tell(${number}): state must be "FAIL" or "PRUNED" (got ${JSON.stringify(state)}); pass values for a COMPLETE trial`);
        }
        trial.state = state;
        if (constraints !== undefined) trial.constraints = constraints;
        return;
      }
      const values = typeof result === 'number' ? [result] : (result as readonly unknown[]);
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'number')) {
        throw new StudyError(`tell(${number}): expected a number, a list of numbers or {state} (got ${JSON.stringify(result)})`);
      }
      if (values.length !== directions.length) {
        throw new StudyError(`tell(${number}): expected ${directions.length} value(s), one per direction (got ${values.length})`);
      }
      if ((values as number[]).every(Number.isFinite)) {
        trial.state = 'COMPLETE';
        trial.values = [...(values as number[])];
      } else {
        trial.state = 'FAIL';
      }
      if (constraints !== undefined) trial.constraints = constraints;
    },

    report(number, step, reported) {
      const trial = running(number, 'report for');
      if (trial.paused === true) throw new StudyError(`report(${number}): the trial is paused at a rung; resume it with promote() first`);
      if (!Number.isInteger(step) || step < 0) throw new StudyError(`report(${number}): step must be a non-negative integer (got ${step})`);
      const vector = Array.isArray(reported) ? (reported as readonly unknown[]) : null;
      if (vector !== null && vector.length !== directions.length) {
        throw new StudyError(`report(${number}, ${step}): expected ${directions.length} value(s), one per direction (got ${vector.length})`);
      }
      const values = vector ?? [reported];
      if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new StudyError(`report(${number}, ${step}): values must be finite numbers (got ${JSON.stringify(reported)}); tell the trial {state: 'FAIL'} if it diverged`);
      }
      const value = values[0] as number;
      const shape = vector !== null && directions.length > 1 ? 'all' : 'first';
      if (directions.length > 1 && reportShape !== null && reportShape !== shape) {
        const was = reportShape === 'all' ? `a list of ${directions.length} values` : 'a number (the first objective)';
        throw new StudyError(`report(${number}, ${step}): this study's trials reported ${was} so far; report every step the same way`);
      }
      const intermediate = (trial.intermediate ??= {});
      const previous = shape === 'all' ? trial.intermediateValues?.[step] : undefined;
      const same = previous !== undefined ? previous.every((v, k) => v === values[k]) : intermediate[step] === undefined || intermediate[step] === value;
      if (!same) {
        const had = previous !== undefined ? JSON.stringify(previous) : String(intermediate[step]);
        throw new StudyError(`report(${number}, ${step}): step ${step} already has value ${had} (got ${JSON.stringify(reported)})`);
      }
      intermediate[step] = value;
      if (shape === 'all') (trial.intermediateValues ??= {})[step] = [...(values as number[])];
      if (directions.length > 1) reportShape = shape;
    },

    shouldPrune(number) {
      const trial = running(number, 'check pruning for');
      if (trial.paused === true) {
        throw new StudyError(`shouldPrune(${number}): the trial is paused at a rung by decide(); a study driven by decide() and promote() does not use shouldPrune`);
      }
      return decideAtLastStep(trial, stoppingScheduler()) === 'prune';
    },

    decide(number) {
      const trial = running(number, 'decide for');
      const decision = decideAtLastStep(trial, scheduler);
      if (decision === 'pause') trial.paused = true;
      return decision;
    },

    promote(freeSlots) {
      if (!Number.isInteger(freeSlots) || freeSlots < 0) throw new StudyError(`promote: freeSlots must be a non-negative integer (got ${freeSlots})`);
      const numbers = scheduler.promotions?.(schedulerContext(), freeSlots) ?? [];
      for (const number of numbers) delete running(number, 'promote').paused;
      return numbers;
    },

    enqueue(params) {
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        throw new StudyError('enqueue: expected a mapping of parameter name to value');
      }
      const problem = explainParams(space, params, { partial: true });
      if (problem !== null) throw new StudyError(`enqueue: ${problem}`);
      queue.push({ ...params });
    },

    get trials() {
      return trials;
    },

    get bestTrial() {
      return rankFeasible(trials, directions)[0];
    },

    get paretoFront() {
      const candidates = trials.filter((t) => t.state === 'COMPLETE' && t.values !== undefined && isFeasible(t.constraints));
      return paretoFront(candidates.map((t) => t.values!), directions).map((i) => candidates[i]!);
    },

    toJSON() {
      return {
        format: FORMAT,
        space: space.definition,
        directions: [...directions],
        sampler: { ...samplerConfig, options: { ...samplerConfig.options } },
        scheduler: { ...schedulerConfig, options: { ...schedulerConfig.options } },
        ...(maxSteps !== undefined ? { maxSteps } : {}),
        trials: trials.map((t) => ({
          number: t.number,
          params: { ...t.params },
          state: t.state,
          ...(t.values !== undefined ? { values: [...t.values] } : {}),
          ...(t.constraints !== undefined ? { constraints: [...t.constraints] } : {}),
          ...(t.intermediate !== undefined && Object.keys(t.intermediate).length > 0 ? { intermediate: { ...t.intermediate } } : {}),
          ...(t.intermediateValues !== undefined ? { intermediateValues: copyVectors(t.intermediateValues) } : {}),
          ...(t.paused === true ? { paused: true } : {}),
        })),
        queue: queue.map((params) => ({ ...params })),
      };
    },
  };

  if (saved !== undefined) {
    for (const [index, t] of saved.trials.entries()) {
      const problem =
        t.number !== index
          ? `trial at position ${index} has number ${t.number}`
          : !STATES.includes(t.state)
            ? `trial ${index} has unknown state ${JSON.stringify(t.state)}`
            : explainParams(space, t.params);
      if (problem !== null) throw new StudyError(`cannot restore the study: ${problem}`);
      trials.push({
        number: t.number,
        params: { ...t.params },
        state: t.state,
        ...(t.values !== undefined ? { values: [...t.values] } : {}),
        ...(t.constraints !== undefined ? { constraints: [...t.constraints] } : {}),
        ...(t.intermediate !== undefined ? { intermediate: numericKeys(t.intermediate) } : {}),
        ...(t.intermediateValues !== undefined ? { intermediateValues: copyVectors(t.intermediateValues) } : {}),
        ...(t.paused === true && t.state === 'RUNNING' ? { paused: true } : {}),
      });
      taken.add(paramsKey(t.params));
    }
    for (const params of saved.queue) study.enqueue(params);
  } else if (options.warmStart !== undefined) {
    for (const trial of importTrials(space, directions, options.warmStart)) {
      trials.push(trial);
      taken.add(paramsKey(trial.params));
    }
  }
  if (trials.some((t) => t.intermediateValues !== undefined)) reportShape = 'all';
  return study;
}

/** Validates another campaign's finished trials and renumbers them 0..k-1 (see `StudyOptions.warmStart`). */
function importTrials(space: Space, directions: readonly Direction[], views: readonly TrialView[]): TrialView[] {
  if (!Array.isArray(views)) throw new StudyError('warmStart must be a list of trials');
  return views.map((view, index) => {
    const where = `warmStart[${index}]`;
    if (typeof view !== 'object' || view === null) throw new StudyError(`${where}: expected a trial object`);
    if (view.state !== 'COMPLETE' && view.state !== 'PRUNED' && view.state !== 'FAIL') {
      throw new StudyError(`${where}: state must be COMPLETE, PRUNED or FAIL (got ${JSON.stringify(view.state)}); only finished trials can be imported`);
    }
    const problem = typeof view.params === 'object' && view.params !== null ? explainParams(space, view.params) : 'params must be a mapping';
    if (problem !== null) throw new StudyError(`${where}: ${problem}`);
    const values = view.values;
    if (view.state === 'COMPLETE') {
      if (!Array.isArray(values) || values.length !== directions.length || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new StudyError(`${where}: a COMPLETE trial needs ${directions.length} finite value(s), one per direction (got ${JSON.stringify(values)})`);
      }
    }
    const constraints = parseConstraints(where, view.constraints);
    return {
      number: index,
      params: { ...view.params },
      state: view.state,
      ...(view.state === 'COMPLETE' ? { values: [...values!] } : {}),
      ...(constraints !== undefined ? { constraints } : {}),
      ...(view.intermediate !== undefined ? { intermediate: numericKeys(view.intermediate) } : {}),
      ...(view.intermediateValues !== undefined ? { intermediateValues: copyVectors(view.intermediateValues) } : {}),
    };
  });
}

function parseConstraints(where: string, constraints: unknown): number[] | undefined {
  if (constraints === undefined) return undefined;
  if (!Array.isArray(constraints) || !constraints.every((c) => typeof c === 'number' && !Number.isNaN(c))) {
    throw new StudyError(`${where}: constraints must be a list of numbers, each <= 0 when satisfied (got ${JSON.stringify(constraints)})`);
  }
  return [...(constraints as number[])];
}

/** Restores a study from `toJSON()`; it continues exactly as the original would have. */
export function studyFromJSON(json: StudyJSON): Study {
  if (typeof json !== 'object' || json === null || json.format !== FORMAT) {
    throw new StudyError(`cannot restore the study: expected an object with format "${FORMAT}"`);
  }
  if (!Array.isArray(json.trials) || !Array.isArray(json.queue)) throw new StudyError('cannot restore the study: trials and queue must be lists');
  const options: StudyOptions = { space: json.space, directions: json.directions, sampler: json.sampler, scheduler: json.scheduler };
  if (json.maxSteps !== undefined) options.maxSteps = json.maxSteps;
  return buildStudy(options, json);
}

/** Creates a study; `createStudy.fromJSON` restores one. */
export const createStudy = Object.assign((options: StudyOptions): Study => buildStudy(options), { fromJSON: studyFromJSON });

function parseDirections(options: StudyOptions): Direction[] {
  if (options.direction !== undefined && options.directions !== undefined) {
    throw new StudyError('give either direction or directions, not both');
  }
  const directions = options.directions ?? [options.direction ?? 'minimize'];
  if (!Array.isArray(directions) || directions.length === 0) throw new StudyError('directions must be a non-empty list');
  for (const direction of directions) {
    if (!DIRECTIONS.includes(direction)) throw new StudyError(`direction must be "minimize" or "maximize" (got ${JSON.stringify(direction)})`);
  }
  return [...directions];
}

/** A copy of step → vector reports, with numeric keys (see numericKeys). */
function copyVectors(record: Record<number, number[]>): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const [step, values] of Object.entries(record)) out[Number(step)] = [...values];
  return out;
}

/** JSON turns step keys into strings; keep them as numbers-as-keys like a fresh record. */
function numericKeys(record: Record<number, number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [step, value] of Object.entries(record)) out[Number(step)] = value;
  return out;
}
