// k-fold cross-validation end to end: every search trial's MLflow run holds each fold's validation metrics
// per epoch, their spread, and as val_accuracy their mean, which is what the campaign ranks by; the
// retrain trains one model without folds. The separation note is checked against the runs' own values.
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { campaignHandle, connectTemporal } from '../../cli/client';
import { separation } from '../../search/separation';
import { campaignFixture } from '../helpers/campaign';
import { metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'cross-validation.yaml'), tempDir('cross-validation'));
const clientPromise = connectTemporal(inject('temporalAddress'));
afterAll(async () => (await clientPromise).connection.close());

const last = (run: RestRun, key: string) => run.data.metrics?.find((m) => m.key === key)?.value;
const stage = (runs: RestRun[], name: string) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === name);

describe('a campaign with training.crossValidation: 3', () => {
  it('logs every fold per epoch, the spread, and the folds\' mean as the objective', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed).toBe(3);
    const mlflow = inject('mlflowTrackingUri');
    for (const run of stage(runs, 'search')) {
      const series = async (key: string) => (await metricHistory(mlflow, run.info.run_id, key)).sort((a, b) => a.step - b.step);
      const mean = await series('val_accuracy');
      expect(mean.map((m) => m.step)).toEqual([1, 2]);
      const folds = await Promise.all([1, 2, 3].map((i) => series(`val_accuracy_fold_${i}`)));
      const spread = await series('val_accuracy_std');
      for (const [e, m] of mean.entries()) {
        const values = folds.map((f) => f[e]!.value);
        expect(m.value).toBeCloseTo((values[0]! + values[1]! + values[2]!) / 3, 9);
        const avg = m.value;
        expect(spread[e]!.value).toBeCloseTo(Math.sqrt(values.reduce((s, v) => s + (v - avg) ** 2, 0) / 3), 9);
      }
      expect((await series('val_loss_fold_2')).map((m) => m.step)).toEqual([1, 2]);
      expect(last(run, 'val_examples')).toBe(150); // every training example validated once over the folds
      expect(last(run, 'inference_ms_per_sample')).toBeGreaterThan(0);
    }
  });

  it('ranks by the mean: the best trial has the highest mean val_accuracy', () => {
    const { result, runs } = campaign();
    const means = stage(runs, 'search').map((r) => last(r, 'val_accuracy')!);
    expect(result.best!.value).toBe(Math.max(...means));
  });

  it('retrains one model on the training split, without folds', () => {
    const { runs } = campaign();
    const [retrain] = stage(runs, 'retrain');
    expect(retrain).toBeDefined();
    expect(last(retrain!, 'val_accuracy_fold_1')).toBeUndefined();
    expect(last(retrain!, 'val_examples')).toBe(15); // the default 10 % validation split of 150
    expect(last(retrain!, 'test_accuracy')).toBeGreaterThanOrEqual(0);
  });

  it('says in the result and the status whether the validation data separate the top trials', async () => {
    const { result, runs } = campaign();
    const values = stage(runs, 'search').map((r) => last(r, 'val_accuracy')!).sort((a, b) => b - a);
    const expected = separation({ metric: 'val_accuracy', direction: 'maximize', values, valExamples: 150, crossValidation: 3 }).message;
    expect(result.separation ?? null).toBe(expected);
    const status = await campaignHandle(await clientPromise, result.workflowId).status();
    expect(status.separation ?? null).toBe(expected);
  });
});
