// Every default of an experiment spec, in one place. Constants live in `SPEC_DEFAULTS`; defaults that
// depend on other fields are the small functions below. The schema's `default` annotations (shown by
// editors) are checked against these values by tests/spec/schema.test.ts.
import type { AlgorithmChoice, Objective } from './types';

export const SPEC_DEFAULTS = {
  description: '',
  seed: 0,
  sampler: { type: 'random', options: {} } as AlgorithmChoice,
  scheduler: { type: 'median', options: {} } as AlgorithmChoice,
  objective: [{ metric: 'val_loss', direction: 'minimize' }] as Objective[],
  budget: {
    maxTrials: 20,
    /** Clamped to maxTrials so a small budget does not need this field too. */
    maxConcurrentTrials: 2,
    /** Lower bound of the failure budget; see `defaultMaxFailedTrials`. */
    minFailedTrials: 3,
    /** Share of maxTrials that may fail before the campaign stops. */
    failedTrialsFraction: 0.2,
    maxDurationSeconds: null as number | null,
  },
  training: {
    epochs: 10,
    segmentEpochs: 1,
    batchSize: 64,
    learningRate: 1e-3,
    optimizer: 'adam',
    validationSplit: 0.1,
  },
  retrain: {
    /** Clamped to maxTrials so a small budget does not need this field too. */
    topK: 3,
    /** Retrain epochs are this multiple of training.epochs. */
    epochsFactor: 2,
    seeds: 1,
  },
  resources: {
    taskQueue: 'tuneflow-training',
    fallbackTaskQueue: null as string | null,
    fallbackAfterSeconds: 300,
  },
  /** A user's model module and function trainable: the export tuneflow calls when the spec names none. */
  modelExport: 'build',
  trainableExport: 'train',
  trainable: {
    gracePeriodSeconds: 10,
    epochTimeoutSeconds: 30 * 60,
    evaluate: false,
  },
  tracking: {
    experimentNamePrefix: 'tuneflow/',
    reportEvery: 10,
  },
} as const;

/** max(3, ceil(20% of maxTrials)): a few failures are tolerated even in a small campaign. */
export function defaultMaxFailedTrials(maxTrials: number): number {
  const { minFailedTrials, failedTrialsFraction } = SPEC_DEFAULTS.budget;
  return Math.max(minFailedTrials, Math.ceil(failedTrialsFraction * maxTrials));
}

export function defaultMaxConcurrentTrials(maxTrials: number): number {
  return Math.min(SPEC_DEFAULTS.budget.maxConcurrentTrials, maxTrials);
}

export function defaultRetrainTopK(maxTrials: number): number {
  return Math.min(SPEC_DEFAULTS.retrain.topK, maxTrials);
}

export function defaultRetrainEpochs(trainingEpochs: number): number {
  return SPEC_DEFAULTS.retrain.epochsFactor * trainingEpochs;
}

export function defaultExperimentName(specName: string): string {
  return `${SPEC_DEFAULTS.tracking.experimentNamePrefix}${specName}`;
}
