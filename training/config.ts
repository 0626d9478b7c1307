// Resolves what one trial trains: the model family, its hyperparameters and the optimizer settings,
// from the spec and the trial's params. Keys that neither the model nor the optimizer reads are an
// error: a misspelled search parameter must not silently do nothing.
import type { ExperimentSpec } from '../spec/types';
import type { Params } from '../search/space-types';
import { modelFamily, type ModelFamily } from './models';
import { OptionReader } from './options';
import { resolveOptimizerConfig, TRAINING_HYPERPARAMETERS, type OptimizerConfig } from './optimizer';

export interface TrialConfig {
  family: ModelFamily;
  /** {...spec.model.options, ...params}: what the model builder reads. */
  hyper: Record<string, unknown>;
  optimizer: OptimizerConfig;
}

export function resolveTrialConfig(spec: ExperimentSpec, params: Params): TrialConfig {
  const family = modelFamily(spec.model.family);
  const hyper: Record<string, unknown> = { ...spec.model.options, ...params };
  new OptionReader(hyper, (key) => `"${key}"`).rejectUnknown(
    [...Object.keys(family.hyperparameters), ...Object.keys(TRAINING_HYPERPARAMETERS)],
    ` in model.options or the search space: model "${family.name}" and the optimizer do not use it`,
  );
  const optimizer = resolveOptimizerConfig({ ...spec.training, ...spec.model.options, ...params });
  return { family, hyper, optimizer };
}
