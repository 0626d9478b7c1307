// The training engine: data sets, model families, backend selection and checkpointed epoch segments.
// Importing this module does not load TensorFlow.js; the first training call does.
export { backendInfo, loadTf, type BackendInfo, type Tf } from './backend';
export { cacheDir, datasetCacheDir } from './cache';
export { checkpointPath, listCheckpoints, readCheckpointState, type CheckpointState } from './checkpoint';
export { resolveTrialConfig, type TrialConfig } from './config';
export { DATASETS, clearDatasetCache, datasetModule, loadDataset, type Dataset, type DatasetModule, type LoadDatasetOptions, type Split } from './datasets';
export { DatasetChecksumError, DatasetUnavailableError } from './datasets/idx-dataset';
export { decodeIdx, encodeIdx, readIdxFile, writeIdxFile, type IdxArray, type IdxType } from './datasets/idx';
export { CheckpointError, InvalidConfigurationError, isOutOfMemory, TrainingDivergedError, TrainingOutOfMemoryError } from './errors';
export { MODELS, modelFamily, modelInput, registerCustomLayers, resolveFamily, type ModelFamily, type ModelInput } from './models';
export { OPTIMIZERS, TRAINING_HYPERPARAMETERS, createOptimizer, resolveOptimizerConfig, type OptimizerConfig } from './optimizer';
export { evaluateCheckpoint, exportModel, trainSegment, type ExportedFile } from './segment';
export { EPOCH_METRICS, type EpochResult, type EvaluateRequest, type SegmentRequest, type SegmentResult } from './types';
