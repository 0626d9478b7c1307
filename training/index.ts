// The training engine: data sets, model families, backend selection and checkpointed epoch segments.
// Importing this module does not load TensorFlow.js; the first training call does.
export { backendInfo, loadTf, type BackendInfo, type Tf } from './backend';
export { cacheDir, datasetCacheDir } from './cache';
export { checkpointPath, listCheckpoints, readCheckpointState, type CheckpointState } from './checkpoint';
export { resolveTrainingSettings, resolveTrialConfig, trialConfiguration, TRAINING_HYPERPARAMETERS, type TrialConfig } from './config';
export { DATASETS, clearDatasetCache, datasetModule, loadDataset, type Dataset, type DatasetModule, type LoadDatasetOptions, type Split } from './datasets';
export { decodeIdx, encodeIdx, readIdxFile, writeIdxFile, type IdxArray, type IdxType } from './formats/idx';
export { TrainingProcessPool, type JobHooks } from './child/pool';
export {
  CheckpointError,
  DatasetChecksumError,
  DatasetUnavailableError,
  InvalidConfigurationError,
  isOutOfMemory,
  NON_RETRYABLE_ERROR_NAMES,
  NON_RETRYABLE_ERRORS,
  NonRetryableError,
  TrainableError,
  TrainingDivergedError,
  TrainingOutOfMemoryError,
  TrainingProcessExitedError,
} from './errors';
export { MODELS, modelFamily, modelInput, registerCustomLayers, resolveFamily, type ModelFamily, type ModelInput } from './models';
export { OPTIMIZERS, createOptimizer, resolveOptimizerConfig, setLearningRate, type OptimizerConfig } from './optimizer';
export { LR_SCHEDULES, learningRateAt, resolveSchedule, type LrSchedule } from './schedule';
export { checkDatasetOptions, checkModelOptions } from './validate';
export { evaluateCheckpoint, exportModel, trainSegment, type ExportedFile } from './segment';
export { trainableFor, type Trainable } from './trainables';
export { trainableDirs } from './trainables/reports';
export { REGRESSION_METRICS, type Task } from './task';
export { EPOCH_METRICS, type EpochResult, type EvaluateRequest, type JobIdentity, type SegmentRequest, type SegmentResult } from './types';
