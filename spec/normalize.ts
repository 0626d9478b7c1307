// Schema-valid input (the YAML as the user wrote it) → the normalized `ExperimentSpec`: shorthands expanded,
// defaults filled, durations in seconds. Plain JSON out: fresh objects, no undefined values.
import { isAbsolute, resolve } from 'node:path';
import type { Params, ParamSpec, Scalar, SearchSpace } from '../search/space-types';
import type { StopRule } from '../search/stopping';
import {
  SPEC_DEFAULTS,
  defaultExperimentName,
  defaultMaxConcurrentTrials,
  defaultMaxFailedTrials,
  defaultRetrainEpochs,
  defaultRetrainTopK,
} from './defaults';
import { normalizeObjective, type ObjectiveInput } from './objective';
import type { AlgorithmChoice, ExperimentSpec, MetricConstraint, TrainableSpec } from './types';

type Options = Record<string, unknown>;
type Duration = number | string;

/** The shape `schemas/experiment.schema.json` accepts. Only ever built by the schema validator. */
export interface SpecInput {
  name: string;
  description?: string;
  seed?: number;
  /** Required unless `trainable` is given (checked in semantic-check.ts, which says why). */
  dataset?: string | { name: string; options?: Options };
  model?: string | { family?: string; module?: string; export?: string; options?: Options };
  trainable?: TrainableInput;
  search?: {
    space?: SearchSpace;
    sampler?: string | { type: string; options?: Options };
    scheduler?: string | { type: string; options?: Options };
    enqueue?: Params[];
    constraints?: MetricConstraint[];
  };
  objective?: ObjectiveInput | ObjectiveInput[];
  budget?: {
    maxTrials?: number;
    maxConcurrentTrials?: number;
    maxFailedTrials?: number;
    maxDuration?: Duration;
    stopWhen?: { target?: number; plateau?: { trials: number; minDelta?: number } };
  };
  training?: Partial<ExperimentSpec['training']>;
  retrain?: Partial<ExperimentSpec['retrain']>;
  resources?: { taskQueue?: string; fallbackTaskQueue?: string; fallbackAfter?: Duration };
  tracking?: { experimentName?: string; tags?: Record<string, string>; reportEvery?: number };
}

export interface TrainableInput {
  module?: string;
  export?: string;
  command?: string[];
  cwd?: string;
  env?: Record<string, string>;
  passEnv?: string[];
  gracePeriod?: Duration;
  epochTimeout?: Duration;
  evaluate?: boolean;
}

/** The family name of a spec whose model is a user's module, and of one whose trainable trains its own model. */
export const MODULE_FAMILY = 'module';
export const TRAINABLE_FAMILY = 'trainable';

const SECONDS_PER_UNIT: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds for a schema-valid duration: a number of seconds, or `90s`, `30m`, `2h`, `1d`, `1h30m`. */
export function durationSeconds(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  let seconds = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) {
    seconds += Number(amount) * (SECONDS_PER_UNIT[unit as string] as number);
  }
  return seconds;
}

/**
 * `baseDir` is the spec file's folder: paths to the user's code (model modules, trainables, a command's
 * cwd) are resolved against it, so a spec means the same files wherever the worker was started.
 */
export function normalizeSpec(input: SpecInput, baseDir = '.'): ExperimentSpec {
  const maxTrials = input.budget?.maxTrials ?? SPEC_DEFAULTS.budget.maxTrials;
  const epochs = input.training?.epochs ?? SPEC_DEFAULTS.training.epochs;
  const training = { ...SPEC_DEFAULTS.training, ...input.training };
  const fallbackAfter = input.resources?.fallbackAfter;
  return {
    name: input.name,
    description: input.description ?? SPEC_DEFAULTS.description,
    seed: input.seed ?? SPEC_DEFAULTS.seed,
    dataset:
      input.dataset === undefined
        ? { name: '', options: {} }
        : typeof input.dataset === 'string'
          ? { name: input.dataset, options: {} }
          : { name: input.dataset.name, options: copy(input.dataset.options ?? {}) },
    model: normalizeModel(input, baseDir),
    ...(input.trainable ? { trainable: normalizeTrainable(input.trainable, baseDir) } : {}),
    search: {
      space: normalizeSpace(input.search?.space ?? {}),
      sampler: normalizeAlgorithm(input.search?.sampler, SPEC_DEFAULTS.sampler),
      scheduler: normalizeAlgorithm(input.search?.scheduler, SPEC_DEFAULTS.scheduler),
      enqueue: copy(input.search?.enqueue ?? []),
      ...(input.search?.constraints?.length ? { constraints: copy(input.search.constraints) } : {}),
    },
    objective: input.objective === undefined ? copy(SPEC_DEFAULTS.objective) : [input.objective].flat().map(normalizeObjective),
    budget: {
      maxTrials,
      maxConcurrentTrials: input.budget?.maxConcurrentTrials ?? defaultMaxConcurrentTrials(maxTrials),
      maxFailedTrials: input.budget?.maxFailedTrials ?? defaultMaxFailedTrials(maxTrials),
      maxDurationSeconds:
        input.budget?.maxDuration === undefined ? SPEC_DEFAULTS.budget.maxDurationSeconds : durationSeconds(input.budget.maxDuration),
      ...(input.budget?.stopWhen ? { stopWhen: normalizeStopWhen(input.budget.stopWhen) } : {}),
    },
    training,
    retrain: {
      topK: input.retrain?.topK ?? defaultRetrainTopK(maxTrials),
      epochs: input.retrain?.epochs ?? defaultRetrainEpochs(epochs),
      seeds: input.retrain?.seeds ?? SPEC_DEFAULTS.retrain.seeds,
    },
    resources: {
      taskQueue: input.resources?.taskQueue ?? SPEC_DEFAULTS.resources.taskQueue,
      fallbackTaskQueue: input.resources?.fallbackTaskQueue ?? SPEC_DEFAULTS.resources.fallbackTaskQueue,
      fallbackAfterSeconds: fallbackAfter === undefined ? SPEC_DEFAULTS.resources.fallbackAfterSeconds : durationSeconds(fallbackAfter),
    },
    tracking: {
      experimentName: input.tracking?.experimentName ?? defaultExperimentName(input.name),
      tags: { ...input.tracking?.tags },
      reportEvery: input.tracking?.reportEvery ?? SPEC_DEFAULTS.tracking.reportEvery,
    },
  };
}

function normalizeModel(input: SpecInput, baseDir: string): ExperimentSpec['model'] {
  const model = input.model;
  if (model === undefined) return { family: input.trainable ? TRAINABLE_FAMILY : '', options: {} };
  if (typeof model === 'string') return { family: model, options: {} };
  const options = copy(model.options ?? {});
  if (model.module === undefined) return { family: model.family ?? '', options };
  return { family: MODULE_FAMILY, options, module: { path: resolveFrom(baseDir, model.module), export: model.export ?? SPEC_DEFAULTS.modelExport } };
}

function normalizeTrainable(input: TrainableInput, baseDir: string): TrainableSpec {
  const defaults = SPEC_DEFAULTS.trainable;
  const common = {
    epochTimeoutSeconds: input.epochTimeout === undefined ? defaults.epochTimeoutSeconds : durationSeconds(input.epochTimeout),
    evaluate: input.evaluate ?? defaults.evaluate,
  };
  if (input.command === undefined) {
    return { kind: 'function', module: { path: resolveFrom(baseDir, input.module ?? ''), export: input.export ?? SPEC_DEFAULTS.trainableExport }, ...common };
  }
  return {
    kind: 'command',
    command: [...input.command],
    cwd: resolveFrom(baseDir, input.cwd ?? '.'),
    env: { ...input.env },
    passEnv: [...(input.passEnv ?? [])],
    gracePeriodSeconds: input.gracePeriod === undefined ? defaults.gracePeriodSeconds : durationSeconds(input.gracePeriod),
    ...common,
  };
}

/** A path the user wrote, relative to the spec file's folder (absolute paths stay as they are). */
function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function normalizeStopWhen(input: NonNullable<NonNullable<SpecInput['budget']>['stopWhen']>): StopRule {
  return {
    ...(input.target !== undefined ? { target: input.target } : {}),
    ...(input.plateau ? { plateau: { trials: input.plateau.trials, minDelta: input.plateau.minDelta ?? 0 } } : {}),
  };
}

/** Bare scalars become `{type: fixed, value}`; float and int parameters get an explicit `log`. */
function normalizeSpace(space: SearchSpace): SearchSpace {
  const normalized: SearchSpace = {};
  for (const [name, param] of Object.entries(space)) normalized[name] = normalizeParam(param);
  return normalized;
}

function normalizeParam(param: ParamSpec): ParamSpec {
  if (isScalar(param)) return { type: 'fixed', value: param };
  const copied = copy(param);
  if (copied.type === 'float' || copied.type === 'int') return { ...copied, log: copied.log ?? false };
  return copied;
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function normalizeAlgorithm(choice: string | { type: string; options?: Options } | undefined, fallback: AlgorithmChoice): AlgorithmChoice {
  if (choice === undefined) return copy(fallback);
  if (typeof choice === 'string') return { type: choice, options: {} };
  return { type: choice.type, options: copy(choice.options ?? {}) };
}

/** A deep copy, so the normalized spec shares nothing with the parsed document or the defaults. */
function copy<T>(value: T): T {
  return structuredClone(value);
}
