// Public shapes of the training engine's segment API.
import type { ExperimentSpec } from '../spec/types';
import type { Params } from '../search/space-types';

import { HEALTH_METRICS } from './health';

/**
 * Metrics every epoch records; any of them can be an objective. Epochs also record per-layer
 * `dead_fraction/<layer>` and `grad_norm/<layer>` (docs/model-health.md).
 */
export const EPOCH_METRICS = [
  'loss',
  'accuracy',
  'val_loss',
  'val_accuracy',
  'epoch_seconds',
  /** Seconds the trial has trained so far, summed over its epochs: its last epoch's value is the trial's total. */
  'train_seconds',
  'samples_per_second',
  'param_count',
  'peak_memory_bytes',
  'health_seconds',
  /** The learning rate the epoch trained at (training/schedule.ts). */
  'lr',
  /** Milliseconds per example to predict a batch of validation examples (training/latency.ts). */
  'inference_ms_per_sample',
  /** Validation examples the val_* metrics were measured on (cross-validation: all folds together). */
  'val_examples',
  ...HEALTH_METRICS,
] as const;

export interface EpochResult {
  /** 1-based: the epoch just finished. */
  epoch: number;
  /** When the epoch finished, ms since 1970 (kept from the original run when replayed from a checkpoint). */
  endedAt: number;
  /** Wall-clock seconds of the epoch (training steps plus validation). */
  seconds: number;
  /** EPOCH_METRICS (val_* only with a validation split) and the per-layer health metrics. */
  metrics: Record<string, number>;
}

/** Which job a segment belongs to: user code (trainables) is told, the built-in engine does not need it. */
export interface JobIdentity {
  campaign: string;
  trial: number;
  stage: 'search' | 'retrain';
}

export interface SegmentRequest {
  spec: ExperimentSpec;
  job?: JobIdentity;
  /**
   * Folders (real paths) this worker runs user code from (`tuneflow worker --trainables-root`); user
   * modules and programs elsewhere are refused. Default: the working folder.
   */
  trainablesRoots?: string[];
  /** Extra variables `${NAME}` in a command may use (e.g. TUNEFLOW_EXAMPLES_PYTHON); the worker's environment wins. */
  commandVariables?: Record<string, string>;
  params: Params;
  /** Seeds weight initialization and the per-epoch shuffle (the data split uses spec.seed). */
  seed: number;
  /** Epochs already trained: 0 starts fresh, n > 0 resumes from `<checkpointDir>/epoch-<n>/`. */
  fromEpoch: number;
  /** Train until this many epochs are done. */
  toEpoch: number;
  /** Epochs of the whole job, which a cosine learning-rate schedule spans (default spec.training.epochs; retrain: spec.retrain.epochs). */
  totalEpochs?: number;
  /** One folder per trial (and per retrain seed); checkpoints are `epoch-<n>/` inside it. */
  checkpointDir: string;
  /**
   * Awaited after every epoch in (fromEpoch, toEpoch], in order, once its checkpoint is on disk. Epochs a
   * previous attempt already checkpointed are replayed from the checkpoint's metrics, not retrained.
   */
  onEpoch?: (epoch: EpochResult) => void | Promise<void>;
  /** Aborting stops training at the next batch; the epoch in progress is lost, earlier ones are saved. */
  signal?: AbortSignal;
}

export interface SegmentResult {
  /** Every epoch in (fromEpoch, toEpoch], trained now or replayed from a checkpoint. */
  epochs: EpochResult[];
  /** Path of the checkpoint after `toEpoch`. */
  checkpoint: string;
  /** Seconds spent in training (model.fit) in this call. */
  trainSeconds: number;
  /** Wall-clock seconds of this call: data, model building, training and checkpoints. */
  wallSeconds: number;
  /** Epochs trained in this call (fewer than toEpoch - fromEpoch when a retry found checkpoints). */
  trainedEpochs: number;
  /** The tfjs backend, or `function` / `command` for a trainable. */
  backend: string;
  /** Where the native backend ran the kernels: `gpu` with tfjs-node-gpu on a usable CUDA device, else `cpu` (unknown for a trainable). */
  device?: 'cpu' | 'gpu';
  /** Parameters of the built model (tuneflow's engine only). */
  paramCount?: number;
  /** The family that built the model: for `auto`, the one it picked (absent for checkpoints written before it was recorded). */
  family?: string;
  /** A trainable's files for the trial's MLflow run: its output log and its artifacts folder. */
  files?: TrainableFiles;
  /** Which engine trained the epochs of this call: `graph` (TensorFlow graph, training/graph/) or `eager` (tfjs model.fit); absent for a trainable or when nothing was trained. */
  engine?: 'graph' | 'eager';
  /** Why an `eager` segment did not run on the graph engine (an unsupported layer, TUNEFLOW_ENGINE=eager, no addon). */
  engineReason?: string;
  /** A graph segment that took the graph engine its trial's previous segment left in the process (training/graph/reuse.ts). */
  engineReused?: boolean;
}

export interface TrainableFiles {
  log: string;
  artifactsDir: string;
}

export interface EvaluateRequest {
  spec: ExperimentSpec;
  params: Params;
  checkpoint: string;
  split: 'test' | 'validation';
  /** For a trainable's `evaluate` stage: the job, its folder and the final epoch. */
  job?: JobIdentity;
  checkpointDir?: string;
  epoch?: number;
  trainablesRoots?: string[];
  commandVariables?: Record<string, string>;
}
