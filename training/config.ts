// Resolves what one trial trains: the model family, its hyperparameters, the optimizer settings, the
// learning-rate schedule and the loss, from the spec and the trial's params. Keys that neither the model
// nor the training settings read are an error: a misspelled search parameter must not silently do nothing.
import type { ExperimentSpec } from '../spec/types';
import type { Params } from '../search/space-types';
import { LOSS_HYPERPARAMETERS, resolveLabelSmoothing } from './loss';
import { modelFamily, type ModelFamily } from './models';
import { settingsReader } from './errors';
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

export function resolveTrialConfig(spec: ExperimentSpec, params: Params): TrialConfig {
  const family = modelFamily(spec.model.family);
  const hyper: Record<string, unknown> = { ...spec.model.options, ...params };
  settingsReader(hyper, (key) => `"${key}"`).rejectUnknown(
    [...Object.keys(family.hyperparameters), ...Object.keys(TRAINING_HYPERPARAMETERS)],
    ` in model.options or the search space: model "${family.name}" and the training settings do not use it`,
  );
  return { family, hyper, ...resolveTrainingSettings(family, { ...spec.training, ...spec.model.options, ...params }) };
}
