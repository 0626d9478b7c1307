// The spec package: YAML experiment file → validated, normalized ExperimentSpec.
export type { AlgorithmChoice, Direction, ExperimentSpec, Objective } from './types';
export { loadSpecFile, readSpecText, parseSpec, MAX_SPEC_BYTES, MAX_ALIAS_COUNT, type LoadSpecOptions } from './load';
export { SpecError, isSpecError, formatSpecError, renderProblem, type SpecProblem, type FieldIssue } from './errors';
export { validateSpecCommand } from './validate';
export { checkSpace } from './space-check';
export { checkSpecSemantics, type KnownNames } from './semantic-check';
export { normalizeSpec, durationSeconds, type SpecInput } from './normalize';
export {
  SPEC_DEFAULTS,
  defaultExperimentName,
  defaultMaxConcurrentTrials,
  defaultMaxFailedTrials,
  defaultRetrainEpochs,
  defaultRetrainTopK,
} from './defaults';
export { experimentSchema } from './schema';
export { checkPbt, isPbt, pbtMutable, pbtOptions, PBT_TRAINING_PARAMS } from './pbt';
