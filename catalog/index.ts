// The catalog: every name a spec may use (data sets, model families, samplers, schedulers,
// hyperparameters, metrics), gathered from the registries of search/ and training/, and the one
// spec parser that checks a spec against them. The CLI, the client API and the loadSpec activity all
// parse through here, so a typo fails at load time with its line, never mid-campaign.
import { schedulers, samplers } from '../search';
import { parseSpec, type KnownNames } from '../spec';
import type { ExperimentSpec } from '../spec/types';
import { checkDatasetOptions, checkModelOptions, DATASETS, EPOCH_METRICS, MODELS, REGRESSION_METRICS, TRAINING_HYPERPARAMETERS } from '../training';

/** What the registries hold. */
export const KNOWN_NAMES: KnownNames = {
  datasets: Object.keys(DATASETS),
  models: Object.keys(MODELS),
  samplers: Object.keys(samplers),
  schedulers: Object.keys(schedulers),
  hyperparameters: (family) => {
    const model = MODELS[family];
    return model ? [...Object.keys(model.hyperparameters), ...Object.keys(TRAINING_HYPERPARAMETERS)] : undefined;
  },
  metrics: [...EPOCH_METRICS, ...REGRESSION_METRICS],
  datasetOptions: checkDatasetOptions,
  modelOptions: checkModelOptions,
};

/** Parse a spec's YAML text against the registries; `fileName` is what errors name, `baseDir` what paths are relative to. */
export function parseExperiment(text: string, fileName: string, baseDir?: string): ExperimentSpec {
  return parseSpec(text, fileName, { knownNames: KNOWN_NAMES, ...(baseDir === undefined ? {} : { baseDir }) });
}
