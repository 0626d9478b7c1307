// What k-fold cross-validation costs and buys on a small data set (issue 16's case: about 1,400 training
// images): one search trial trained with the default validation split, then with crossValidation 5, and
// how many validation examples back each val_accuracy, its resolution and the folds' spread.
// Run: npx tsc -p tsconfig.build.json && node dist/bench/cross-validation.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentSpec } from '../spec/types';
import { oneTrialSpec } from './one-trial-spec';
import { accuracyMargin } from '../search/separation';
import { trainSegment } from '../training';

const EPOCHS = 3;

function spec(crossValidation?: number): ExperimentSpec {
  return oneTrialSpec({
    name: 'bench-cv',
    seed: 3,
    dataset: { name: 'synthetic-shapes', options: { trainSize: 1550, testSize: 300, imageSize: 16 } },
    model: { family: 'mlp', options: { units: 32, layers: 1 } },
    epochs: EPOCHS,
    training: { batchSize: 32, learningRate: 0.003, validationSplit: 0.1, ...(crossValidation ? { crossValidation } : {}) },
    taskQueue: 'bench',
    experimentName: 'bench-cv',
  });
}

async function main(): Promise<void> {
  process.env.TUNEFLOW_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'tuneflow-bench-cv-cache-'));
  const rows: string[] = ['| setting | wall s | val_examples | resolution 1/n | margin at the best | val_accuracy | fold std | inference ms/sample |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  // The first run pays for generating the data and warming TensorFlow up: not shown.
  for (const [label, k] of [['warm-up', undefined], ['validationSplit 0.1', undefined], ['crossValidation 5', 5]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-cv-'));
    try {
      const started = performance.now();
      const result = await trainSegment({ spec: spec(k), params: {}, seed: 7, fromEpoch: 0, toEpoch: EPOCHS, checkpointDir: dir });
      const wall = (performance.now() - started) / 1000;
      const m = result.epochs.at(-1)!.metrics;
      const n = m.val_examples!;
      const std = m.val_accuracy_std === undefined ? '-' : m.val_accuracy_std.toFixed(4);
      if (label === 'warm-up') continue;
      rows.push(
        `| ${label} | ${wall.toFixed(1)} | ${n} | ${(1 / n).toFixed(5)} | ${accuracyMargin(m.val_accuracy!, n).toFixed(4)} | ${m.val_accuracy!.toFixed(4)} | ${std} | ${m.inference_ms_per_sample!.toFixed(4)} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

void main();
