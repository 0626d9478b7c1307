// The spec of one trial that a bench trains directly with trainSegment, outside any campaign: random
// search over an empty space, no scheduler, one segment of every epoch, adam. A bench names only what it
// varies (data, model, epochs, batch and learning rate, validation).
import type { ExperimentSpec } from '../spec/types';

export interface OneTrial {
  name: string;
  dataset: ExperimentSpec['dataset'];
  model: ExperimentSpec['model'];
  epochs: number;
  training: Pick<ExperimentSpec['training'], 'batchSize' | 'learningRate' | 'validationSplit'> & Partial<ExperimentSpec['training']>;
  seed?: number;
  taskQueue?: string;
  experimentName?: string;
}

export function oneTrialSpec({ name, dataset, model, epochs, training, seed = 1, taskQueue = 'training', experimentName = 'bench' }: OneTrial): ExperimentSpec {
  return {
    name,
    description: '',
    seed,
    dataset,
    model,
    search: { space: {}, sampler: { type: 'random', options: {} }, scheduler: { type: 'none', options: {} }, enqueue: [] },
    objective: [{ metric: 'val_accuracy', direction: 'maximize' }],
    budget: { maxTrials: 1, maxConcurrentTrials: 1, maxFailedTrials: 1, maxDurationSeconds: null },
    training: { epochs, segmentEpochs: epochs, optimizer: 'adam', ...training },
    retrain: { topK: 1, epochs, seeds: 1 },
    resources: { taskQueue, fallbackTaskQueue: null, fallbackAfterSeconds: 60 },
    tracking: { experimentName, tags: {}, reportEvery: 0 },
  };
}
