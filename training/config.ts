// Resolves what one trial trains: the model family, its hyperparameters, the optimizer settings, the
// learning-rate schedule and the loss, from the spec and the trial's params. Keys that neither the model
// nor the training settings read are an error, and so are training keys the chosen optimizer or schedule
// ignores: a misspelled or misplaced search parameter must not silently do nothing.
import type { ExperimentSpec } from '../spec/types';
import type { Params } from '../search/space-types';
import { InvalidConfigurationError, settingsReader } from './errors';
import { LOSS_HYPERPARAMETERS, readLabelSmoothing, readRegressionLoss, type RegressionLoss } from './loss';
import { modelFamily, type ModelFamily } from './models';
import { OPTIMIZER_HYPERPARAMETERS, OPTIMIZERS, readOptimizerConfig, type OptimizerConfig } from './optimizer';
import { LR_SCHEDULES, readSchedule, SCHEDULE_HYPERPARAMETERS, type LrSchedule } from './schedule';

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
  /** The loss on time-series (regression) data. */
  regressionLoss: RegressionLoss;
}

type TrainingSettings = Omit<TrialConfig, 'family' | 'hyper'>;

/** The training settings of a family: optimizer, schedule and loss, validated (also at spec load). */
export function resolveTrainingSettings(family: ModelFamily, merged: Record<string, unknown>): TrainingSettings {
  return readTrainingSettings(family, merged).settings;
}

/** The settings, and the training keys the chosen optimizer, schedule and loss read. */
function readTrainingSettings(family: ModelFamily, merged: Record<string, unknown>): { settings: TrainingSettings; keysRead: ReadonlySet<string> } {
  const read = settingsReader(merged, (key) => `training setting or parameter "${key}"`);
  const settings = {
    optimizer: readOptimizerConfig(read),
    schedule: readSchedule(read, merged),
    labelSmoothing: readLabelSmoothing(read, family),
    regressionLoss: readRegressionLoss(read),
  };
  return { settings, keysRead: read.keysRead };
}

/**
 * Refuses a training key among `keys` that the chosen optimizer or schedule does not read (momentum with
 * adam, lrGamma with cosine): it would silently do nothing, and a search over it would waste trials.
 */
export function rejectUnreadTrainingKeys(family: ModelFamily, merged: Record<string, unknown>, keys: Iterable<string>): void {
  const { settings, keysRead } = readTrainingSettings(family, merged);
  const readBy = (key: string, setting: string, names: readonly string[]) =>
    names.filter((name) => readTrainingSettings(family, { [setting]: name }).keysRead.has(key));
  for (const key of keys) {
    if (!(key in TRAINING_HYPERPARAMETERS) || keysRead.has(key)) continue;
    const optimizers = readBy(key, 'optimizer', OPTIMIZERS);
    const problem =
      optimizers.length > 0
        ? `is ignored by optimizer "${settings.optimizer.optimizer}" (only ${optimizers.join(', ')} read it)`
        : `is ignored by lrSchedule "${settings.schedule.schedule}" (only ${readBy(key, 'lrSchedule', LR_SCHEDULES).join(', ')} read it)`;
    throw new InvalidConfigurationError(`training setting or parameter "${key}" ${problem}`, { key, problem, unknownKey: true });
  }
}

/**
 * The full configuration a trial trains with, flat: the spec's training settings that are hyperparameters
 * (optimizer, learningRate, batchSize), then its fixed `model.options`, then the trial's params (a later
 * source wins). MLflow logs it as the trial run's params and `best_hyperparameters.yaml` holds it, so a
 * recorded configuration says everything the trial trained with, and `tuneflow train --params` can
 * train it again.
 */
export function trialConfiguration(spec: ExperimentSpec, params: Params): Record<string, unknown> {
  // A trainable trains by itself: tuneflow's training settings mean nothing to it.
  if (spec.trainable) return { ...params };
  const training = Object.entries(spec.training).filter(([key]) => key in TRAINING_HYPERPARAMETERS);
  return { ...Object.fromEntries(training), ...spec.model.options, ...params };
}

/** `family`: the one to use instead of the spec's registered family (a user's model module, loaded by the caller). */
export function resolveTrialConfig(spec: ExperimentSpec, params: Params, family: ModelFamily = modelFamily(spec.model.family)): TrialConfig {
  const hyper: Record<string, unknown> = { ...spec.model.options, ...params };
  if (!family.acceptsAnyKey) {
    settingsReader(hyper, (key) => `"${key}"`).rejectUnknown(
      [...Object.keys(family.hyperparameters), ...Object.keys(TRAINING_HYPERPARAMETERS)],
      ` in model.options or the search space: model "${family.name}" and the training settings do not use it`,
    );
  }
  // spec.training first: its other fields (epochs, validationSplit) are not trial settings but may be read.
  const merged = { ...spec.training, ...trialConfiguration(spec, params) };
  rejectUnreadTrainingKeys(family, merged, Object.keys(hyper));
  return { family, hyper, ...resolveTrainingSettings(family, merged) };
}
