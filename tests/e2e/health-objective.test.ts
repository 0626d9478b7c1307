// A campaign with a health-aware objective through the real workflow, Temporal and MLflow servers:
// every epoch logs the health metrics, and trials are ranked by (1 - w) * val_accuracy + w * health_score.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { campaignFixture } from '../helpers/campaign';
import { metricHistory, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('health-objective');
const specPath = join(dir, 'health.yaml');
writeFileSync(
  specPath,
  `name: health-objective
seed: 5
dataset: {name: synthetic-shapes, options: {trainSize: 500, testSize: 100}}
model: {family: mlp, options: {layers: 2}}
search:
  space:
    learningRate: {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
    units: {type: categorical, choices: [16, 32]}
  sampler: random
  scheduler: none
objective: {metric: val_accuracy, direction: maximize, health: true}
budget: {maxTrials: 2, maxConcurrentTrials: 1}
training: {epochs: 2, batchSize: 32}
retrain: {topK: 1, epochs: 1}
`,
);

describe('a health-aware objective', () => {
  const campaign = campaignFixture(specPath, join(dir, 'checkpoints'));

  it('logs the health metrics per epoch and ranks trials by the blended value', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials).toHaveLength(2);
    const blended: Record<number, number> = {};
    for (const run of trials) {
      const id = run.info.run_id;
      const [accuracy, health, dead] = await Promise.all(['val_accuracy', 'health_score', 'dead_unit_fraction'].map((key) => metricHistory(mlflow, id, key)));
      expect(health!.map((m) => m.step).sort()).toEqual([1, 2]);
      expect(dead!.map((m) => m.step).sort()).toEqual([1, 2]);
      for (const point of health!) expect(point.value).toBeGreaterThan(0);
      const gradNorms = await metricHistory(mlflow, id, 'grad_norm/layer1_dense');
      expect(gradNorms.map((m) => m.step).sort()).toEqual([1, 2]);
      const last = (points: { step: number; value: number }[]) => points.find((p) => p.step === 2)!.value;
      blended[Number(tagsOf(run)['tuneflow.trial_number'])] = 0.7 * last(accuracy!) + 0.3 * last(health!);
    }
    const best = Object.entries(blended).sort(([, a], [, b]) => b - a)[0]!;
    expect(result.best!.trialNumber).toBe(Number(best[0]));
    expect(result.best!.value).toBeCloseTo(best[1], 5);

    const parent = runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'campaign')!;
    const summary = await metricHistory(mlflow, parent.info.run_id, 'best_health_aware_val_accuracy');
    expect(summary[0]!.value).toBeCloseTo(result.best!.value, 5);
  });
});
