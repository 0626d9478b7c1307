// Resolves what one trial trains: the model family, its hyperparameters, the optimizer settings, the
// learning-rate schedule and the loss, from the spec and the trial's params. Keys that neither the model
// nor the training settings read are an error: a misspelled search parameter must not silently do nothing.
import type { ExperimentSpec } from '../spec/types';
import type { Params } from '../search/space-types';
import { LOSS_HYPERPARAMETERS, resolveLabelSmoothing } from './loss';
import { modelFamily, type ModelFamily } from './models';
import { OptionReader } from './options';
import { OPTIMIZER_HYPERPARAMETERS, resolveOptimizerConfig, type OptimizerConfig } from './optimizer';
import { resolveSchedule, SCHEDULE_HYPERPARAMETERS, type LrSchedule } from './schedule';

/** Training keys every family accepts; any of them may be set in spec.training, spec.model.options or a trial's params. */
export const TRAINING_HYPERPARAMETERS: Record<string, string> = { ...OPTIMIZER_HYPERPARAMETERS, ...SCHEDULE_HYPERPARAMETERS, ...LOSS_HYPERPARAMETERS };

export interface TrialConfig {
  family: ModelFamily;
  /** {...spec.model.options, ...params}: what the model builder reads. */
  hyper: Record<string, unknown>;
  optimizer: OptimizerConfig;
  /** Scales optimizer.learningRate per epoch (training/schedule.ts). */
  schedule: LrSchedule;
  /** Cross-entropy label smoothing (0 = none). */
  labelSmoothing: number;
}

/** The training settings of a family: optimizer, schedule and loss, validated (also at spec load). */
export function resolveTrainingSettings(family: ModelFamily, merged: Record<string, unknown>): Omit<TrialConfig, 'family' | 'hyper'> {
  return { optimizer: resolveOptimizerConfig(merged), schedule: resolveSchedule(merged), labelSmoothing: resolveLabelSmoothing(merged, family) };
}

/**
 * The full configuration a trial trains with, flat: the spec's training settings that are hyperparameters
 * (optimizer, learningRate, batchSize), then its fixed `model.options`, then the trial's params (a later
 * source wins). MLflow logs it as the trial run's params and `best_hyperparameters.yaml` holds it, so a
 * recorded configuration says everything the trial trained with, and `tuneflow train --params` can
 * train it again.
 */
export function trialConfiguration(spec: ExperimentSpec, params: Params): Record<string, unknown> {
  const training = Object.entries(spec.training).filter(([key]) => key in TRAINING_HYPERPARAMETERS);
  return { ...Object.fromEntries(training), ...spec.model.options, ...params };
}

export function resolveTrialConfig(spec: ExperimentSpec, params: Params): TrialConfig {
  const family = modelFamily(spec.model.family);
  const hyper: Record<string, unknown> = { ...spec.model.options, ...params };
  new OptionReader(hyper, (key) => `"${key}"`).rejectUnknown(
    [...Object.keys(family.hyperparameters), ...Object.keys(TRAINING_HYPERPARAMETERS)],
    ` in model.options or the search space: model "${family.name}" and the training settings do not use it`,
  );
  // spec.training first: its other fields (epochs, validationSplit) are not trial settings but may be read.
  return { family, hyper, ...resolveTrainingSettings(family, { ...spec.training, ...trialConfiguration(spec, params) }) };
}
