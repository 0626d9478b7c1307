// The normalized experiment spec: what `loadSpec` returns after YAML parsing, schema validation and
// defaults. Every other part of tuneflow reads this shape, never the raw YAML. It is plain JSON so it
// can travel in Temporal payloads and be stored in workflow history.
import type { Params, SearchSpace } from '../search/space-types';
import type { StopRule } from '../search/stopping';

export type { Direction } from '../search/types';
import type { Direction } from '../search/types';

export interface Objective {
  /** Metric name as recorded per epoch, e.g. `val_loss`, `val_accuracy` (regression: `val_mse`, `val_mae`, `val_r2`). */
  metric: string;
  direction: Direction;
  /** Health-aware objective: weight of `health_score` blended into the metric (spec/objective.ts); absent otherwise. */
  healthWeight?: number;
  /** `best`: a trial's value is its best epoch's, not its last epoch's (trials/metrics.ts); absent means last. */
  aggregate?: 'best';
}

/** A metric that must stay at or under `max`; a trial over it is infeasible. */
export interface MetricConstraint {
  metric: string;
  max: number;
}

/** A module of the user's, resolved against the spec file's folder. */
export interface ModuleRef {
  path: string;
  export: string;
}

/** `trainable: {module, export}`: an async function called per training segment (trainable/index.ts). */
export interface FunctionTrainableSpec {
  kind: 'function';
  module: ModuleRef;
  epochTimeoutSeconds: number;
  /** Call it with stage `evaluate` after each retrain, for test metrics. */
  evaluate: boolean;
}

/** `trainable: {command, ...}`: a program run per training segment (docs/trainables-protocol.md). */
export interface CommandTrainableSpec {
  kind: 'command';
  /** Program and arguments; `${NAME}` expands from the program's environment when it runs. */
  command: string[];
  /** Absolute working folder. */
  cwd: string;
  env: Record<string, string>;
  /** Worker variables passed on although tuneflow's, Temporal's and MLflow's are removed. */
  passEnv: string[];
  gracePeriodSeconds: number;
  epochTimeoutSeconds: number;
  evaluate: boolean;
}

export type TrainableSpec = FunctionTrainableSpec | CommandTrainableSpec;

export interface AlgorithmChoice {
  type: string;
  options: Record<string, unknown>;
}

export interface ExperimentSpec {
  /** Identifier-like name: letters, digits, `.`, `_`, `-`. Used in workflow ids and MLflow names. */
  name: string;
  description: string;
  /** Root seed: sampler, data splits, weight init and retrain seeds derive from it. */
  seed: number;
  dataset: {
    /** Registered data set name, e.g. `synthetic-shapes`, `fashion-mnist`. */
    name: string;
    options: Record<string, unknown>;
  };
  model: {
    /** Registered model family, e.g. `mlp`, `cnn`, `lenet`; `module` for a user's model file; `trainable` when a trainable trains its own. */
    family: string;
    /** Fixed settings for every trial; trial params with the same key override them. */
    options: Record<string, unknown>;
    /** A user's tfjs model (`family: module`): the file (absolute) and the export that builds the model. */
    module?: ModuleRef;
  };
  /** The user's own training code, instead of tuneflow's engine (absent for built-in and module models). */
  trainable?: TrainableSpec;
  search: {
    space: SearchSpace;
    sampler: AlgorithmChoice;
    scheduler: AlgorithmChoice;
    /** Configurations to try first, in order. */
    enqueue: Params[];
    /** Present only when the spec names constraints (so hand-built specs need not). */
    constraints?: MetricConstraint[];
  };
  /** One entry for single-objective; several rank trials by Pareto front (search/ranking.ts), the first drives pruning. */
  objective: Objective[];
  budget: {
    maxTrials: number;
    maxConcurrentTrials: number;
    maxFailedTrials: number;
    /** Wall-clock budget for the search stage in seconds, or null for none. */
    maxDurationSeconds: number | null;
    /** Stop searching early (search/stopping.ts): present only when the spec names `budget.stopWhen`. */
    stopWhen?: StopRule;
  };
  training: {
    /** Epochs a search trial trains for when not pruned. */
    epochs: number;
    /** Epochs per activity call; a killed worker loses at most this much work. */
    segmentEpochs: number;
    batchSize: number;
    learningRate: number;
    optimizer: string;
    /** Fraction of the train split held out for validation, carved with the spec seed. */
    validationSplit: number;
    /**
     * k-fold cross-validation of search trials (training/cross-validation.ts): each trial trains k models,
     * fold i validating on the i-th slice of the training + validation data, and reports the folds' means.
     * Present only when the spec names it.
     */
    crossValidation?: number;
  };
  retrain: {
    topK: number;
    epochs: number;
    /** Number of seeds each top configuration is retrained with. */
    seeds: number;
  };
  resources: {
    /** Task queue for training segments (GPU workers poll it). */
    taskQueue: string;
    /** Optional CPU queue used when no worker picks a segment up within `fallbackAfterSeconds`. */
    fallbackTaskQueue: string | null;
    fallbackAfterSeconds: number;
  };
  tracking: {
    experimentName: string;
    tags: Record<string, string>;
    /** Redraw the report on the campaign's run after every N finished trials (0: only at the end). */
    reportEvery: number;
  };
}
