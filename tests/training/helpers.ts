// Test helpers for the training engine: a complete spec around a model and data set, and temp folders.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { ExperimentSpec } from '../../spec/types';
import { evaluateCheckpoint, loadTf, registerCustomLayers, trainSegment, type SegmentRequest, type Tf } from '../../training';
import { loadGraphAddon } from '../../training/graph';
import { encodeNpy } from '../../training/formats/npy';
import { mulberry32 } from '../../training/rng';

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

/**
 * Whether the graph engine addon is built, for a graph engine test file: when not, its tests are skipped
 * and `note` (for the describe's title) and a warning say why. Read it at import, before useTempCache():
 * the addon path comes from the real cache's tools.json or the test set-up's variable.
 */
export function graphAddonOrSkip(file: string): { available: boolean; note: string } {
  const loaded = loadGraphAddon();
  if (loaded.addon) return { available: true, note: '' };
  console.warn(`${file} tests skipped: ${loaded.reason}`);
  return { available: false, note: ` (SKIPPED: the graph engine addon is not built: ${loaded.reason})` };
}

/** tfjs with tuneflow's layers registered, over a fresh temp data set cache: a training test file's set-up. */
export async function trainingTf(): Promise<Tf> {
  useTempCache();
  const tf = await loadTf();
  registerCustomLayers(tf);
  return tf;
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
    tracking: { experimentName: 'training-test', tags: {}, reportEvery: 0 },
  };
}

/** A segment of epochs 1-2 of smallSpec(parts), seed 7, in a fresh checkpoint folder. */
export function segmentRequest(parts: SpecParts, overrides: Partial<SegmentRequest> = {}): SegmentRequest {
  return { spec: smallSpec(parts), params: {}, seed: 7, fromEpoch: 0, toEpoch: 2, checkpointDir: tempDir('trial'), ...overrides };
}

/** Writes x/y NPY files for train and test; returns the custom data set spec. */
export function npyDataset(name: string, make: (count: number, seed: number) => { x: Float32Array | Int32Array; y: Uint8Array; shape: number[] }, options: Record<string, unknown> = {}) {
  const dir = tempDir(name);
  for (const [split, count, seed] of [['train', 600, 1], ['test', 200, 2]] as const) {
    const { x, y, shape } = make(count, seed);
    writeFileSync(join(dir, `x_${split}.npy`), encodeNpy(x, [count, ...shape]));
    writeFileSync(join(dir, `y_${split}.npy`), encodeNpy(y, [count]));
  }
  const path = (file: string) => join(dir, file);
  return { name: 'custom', options: { format: 'npy', train: path('x_train.npy'), trainLabels: path('y_train.npy'), test: path('x_test.npy'), testLabels: path('y_test.npy'), ...options } };
}

/** Token sequences of length 12 over ids 3..19 (0 = padding at the front); class 1 iff token 7 occurs. */
export function tokenSequences(count: number, seed: number) {
  const random = mulberry32(seed);
  const length = 12;
  const x = new Int32Array(count * length);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const used = 4 + Math.floor(random() * 8);
    const positive = i % 2 === 0;
    for (let t = 0; t < used; t++) {
      let token = 3 + Math.floor(random() * 17);
      if (token === 7) token = 8;
      x[i * length + length - used + t] = token;
    }
    if (positive) x[i * length + length - used + Math.floor(random() * used)] = 7;
    y[i] = positive ? 1 : 0;
  }
  return { x, y, shape: [length] };
}

/** The weights of a checkpoint's model, tensor by tensor. */
export async function checkpointWeights(checkpoint: string): Promise<Float32Array[]> {
  const tf = await loadTf();
  const model = await tf.loadLayersModel(`file://${join(checkpoint, 'model.json')}`);
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return weights;
}

/** The largest absolute difference between the weights of two models of the same architecture. */
export function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
  let max = 0;
  a.forEach((weights, i) => weights.forEach((value, j) => (max = Math.max(max, Math.abs(value - b[i]![j]!)))));
  return max;
}

type Result = Awaited<ReturnType<typeof trainSegment>>;

/**
 * Trains epochs 1-3 straight and as 1 + 2 from the checkpoint, checks that both end with the same weights
 * and loss, and returns the straight run with a request that names it.
 */
export async function trainAndResume(parts: SpecParts, learningRate = 0.01): Promise<{ result: Result; request: SegmentRequest }> {
  const spec = { ...parts, training: { learningRate, batchSize: 32, ...parts.training } };
  const straight = await trainSegment(segmentRequest(spec, { toEpoch: 3 }));
  const first = segmentRequest(spec, { toEpoch: 1 });
  await trainSegment(first);
  const resumed = await trainSegment({ ...first, fromEpoch: 1, toEpoch: 3 });
  expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(resumed.checkpoint))).toBeLessThan(1e-4);
  expect(resumed.epochs.at(-1)!.metrics.loss).toBeCloseTo(straight.epochs.at(-1)!.metrics.loss!, 4);
  return { result: straight, request: segmentRequest(spec, { toEpoch: 3 }) };
}

/** The checkpoint reloaded through tfjs (custom layers included) scores what training measured. */
export async function expectReloads({ result, request }: { result: Result; request: SegmentRequest }): Promise<Record<string, number>> {
  const reloaded = await evaluateCheckpoint({ spec: request.spec, params: request.params, checkpoint: result.checkpoint, split: 'validation' });
  expect(reloaded.val_loss).toBeCloseTo(result.epochs.at(-1)!.metrics.val_loss!, 4);
  return reloaded;
}
