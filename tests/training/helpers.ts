// Test helpers for the training engine: a complete spec around a model and data set, and temp folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ExperimentSpec } from '../../spec/types';

const created: string[] = [];
// Registered at import: every test file using these helpers removes its folders when it ends.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tuneflow-training-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Points the data set cache at a fresh temp folder (loaders read the variable at call time). */
export function useTempCache(): string {
  const dir = tempDir('cache');
  process.env.TUNEFLOW_CACHE_DIR = dir;
  return dir;
}

export interface SpecParts {
  family?: string;
  modelOptions?: Record<string, unknown>;
  dataset?: { name: string; options: Record<string, unknown> };
  training?: Partial<ExperimentSpec['training']>;
  seed?: number;
}

/** A small synthetic-shapes spec: 1200 training images of 16x16, 20% held out for validation. */
export function smallSpec(parts: SpecParts = {}): ExperimentSpec {
  return {
    name: 'training-test',
    description: '',
    seed: parts.seed ?? 11,
    dataset: parts.dataset ?? { name: 'synthetic-shapes', options: { trainSize: 1200, testSize: 300 } },
    model: { family: parts.family ?? 'cnn', options: parts.modelOptions ?? { filters: 8, denseUnits: 32 } },
    search: { space: {}, sampler: { type: 'random', options: {} }, scheduler: { type: 'none', options: {} }, enqueue: [] },
    objective: [{ metric: 'val_accuracy', direction: 'maximize' }],
    budget: { maxTrials: 1, maxConcurrentTrials: 1, maxFailedTrials: 1, maxDurationSeconds: null },
    training: { epochs: 4, segmentEpochs: 2, batchSize: 32, learningRate: 0.003, optimizer: 'adam', validationSplit: 0.2, ...parts.training },
    retrain: { topK: 1, epochs: 4, seeds: 1 },
    resources: { taskQueue: 'training', fallbackTaskQueue: null, fallbackAfterSeconds: 60 },
    tracking: { experimentName: 'training-test', tags: {} },
  };
}
