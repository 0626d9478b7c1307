// Campaigns whose unit of work is the user's code, against the real servers: a user's tfjs model module,
// a training function, and bad user code of both kinds (a function, a bash program), each failing its
// own trial with a reason that names the file and what went wrong while the campaign goes on.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { artifactPaths, downloadArtifact, metricHistory, paramsOf, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { campaignFixture } from '../helpers/campaign';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const fixtures = join(__dirname, '..', 'fixtures', 'trainables');

const byStage = (runs: RestRun[], stage: string) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === stage);
const reasonOf = (runs: RestRun[], mode: string) => {
  const run = byStage(runs, 'search').find((r) => paramsOf(r).mode === mode);
  return { state: tagsOf(run!)['tuneflow.state'], reason: tagsOf(run!)['tuneflow.reason'] ?? '', run: run! };
};

describe("a user's tfjs model module", () => {
  const campaign = campaignFixture(join(fixtures, 'module-model.yaml'), tempDir('module-model'));

  it('trains, logs every epoch and retrains like a built-in family', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed).toBe(3);
    const trials = byStage(runs, 'search');
    expect(trials).toHaveLength(3);
    expect(paramsOf(byStage(runs, 'campaign')[0]!)['model.module']).toBe(`${join(fixtures, 'models', 'tiny-dense.ts')}#build`);
    for (const run of trials) {
      expect(tagsOf(run)['mlflow.parentRunId']).toBe(result.mlflow.parentRunId);
      expect(Object.keys(paramsOf(run))).toContain('units');
      const steps = (await metricHistory(mlflow, run.info.run_id, 'val_accuracy')).map((m) => m.step).sort();
      expect(steps).toEqual([1, 2]);
      // The engine's own per-epoch metrics come with it.
      expect((await metricHistory(mlflow, run.info.run_id, 'health_score')).length).toBe(2);
    }
    const [retrain] = byStage(runs, 'retrain');
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
    expect(await artifactPaths(mlflow, retrain!.info.run_id, 'model')).toContain('model/model.json');
  });
});

describe('a function trainable', () => {
  const campaign = campaignFixture(join(fixtures, 'function.yaml'), tempDir('function-trainable'));

  it('runs every trial through the function, per-epoch metrics in MLflow, pruned or complete', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed + result.trials.pruned).toBe(4);
    expect(paramsOf(byStage(runs, 'campaign')[0]!).trainable).toBe(`${join(fixtures, 'logistic.ts')}#train`);
    for (const run of byStage(runs, 'search')) {
      const state = tagsOf(run)['tuneflow.state'];
      const steps = (await metricHistory(mlflow, run.info.run_id, 'val_accuracy')).map((m) => m.step).sort();
      expect(new Set(steps).size).toBe(steps.length);
      if (state === 'COMPLETE') expect(steps).toEqual([1, 2, 3]);
      // tuneflow's own training settings mean nothing to a trainable and are not logged as its params.
      expect(paramsOf(run).batchSize).toBeUndefined();
    }
    // The two blobs are separable to ~90 %: the best of four logistic regressions gets there.
    expect(result.best!.value).toBeGreaterThan(0.8);
  });

  it('retrains with the function, gets test metrics from its evaluate stage and keeps its artifacts', async () => {
    const { result, runs } = campaign();
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0.8);
    const [retrain] = byStage(runs, 'retrain');
    expect((await metricHistory(mlflow, retrain!.info.run_id, 'val_accuracy')).map((m) => m.step).sort()).toEqual([1, 2, 3, 4]);
    const weights = JSON.parse((await downloadArtifact(mlflow, retrain!, 'weights.json'))) as { epoch: number };
    expect(weights.epoch).toBe(4);
  });
});

describe('bad function trainables fail their own trial and the campaign goes on', () => {
  const campaign = campaignFixture(join(fixtures, 'bad-function.yaml'), tempDir('bad-function'));

  it('completes with the one good trial, counting six failures', () => {
    const { result } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 1, pruned: 0, failed: 6 });
  });

  it.each([
    ['throw', /TrainableError: trainable .*logistic\.ts#train threw RangeError: learning rate out of range for this test \(at .*logistic\.ts:\d+/],
    ['nan', /TrainingDivergedError: training diverged in epoch 1: val_loss not finite/],
    ['missing', /TrainableError: trainable .*logistic\.ts#train reported epoch 1 without the metric "val_loss" that the objective or constraints need \(it reported: loss, accuracy, val_accuracy\)/],
    ['hang', /TrainableError: trainable .*logistic\.ts#train reported no epoch for 3 s \(trainable\.epochTimeout\)/],
    ['silent', /TrainableError: trainable .*logistic\.ts#train finished without reporting epoch 1/],
    ['skip', /TrainableError: trainable .*logistic\.ts#train reported epoch 2, but this segment trains epochs 1-1/],
  ])('mode %s: FAIL with its reason', (mode, reason) => {
    const { state, reason: text } = reasonOf(campaign().runs, mode);
    expect(state).toBe('FAIL');
    expect(text).toMatch(reason);
  });
});

describe('bad programs fail their own trial, with the output tail, and the campaign goes on', () => {
  const campaign = campaignFixture(join(fixtures, 'bad-command.yaml'), tempDir('bad-command'));

  it('completes with the one good trial, counting five failures', () => {
    const { result } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 1, pruned: 0, failed: 5 });
  });

  it.each([
    ['garbage', /trainable\.command \[bash bad-program\.sh\] wrote line 1 of .*results\.jsonl: not JSON; expected a line like .*"this is not json"/],
    ['exit', /trainable\.command \[bash bad-program\.sh\] exited with code 3 during search epochs 1-1\. Last output:\n(.*\n)*Traceback: something broke in the user's code/],
    ['hang', /trainable\.command \[bash bad-program\.sh\] reported no epoch for 3 s \(trainable\.epochTimeout\); it was stopped/],
    ['nan', /TrainingDivergedError: training diverged in epoch 1: val_loss not finite/],
    ['missing', /reported epoch 1 without the metric "val_loss" that the objective or constraints need \(it reported: loss\)/],
  ])('mode %s: FAIL with its reason', (mode, reason) => {
    const { state, reason: text } = reasonOf(campaign().runs, mode);
    expect(state).toBe('FAIL');
    expect(text).toMatch(reason);
  });

  it("keeps a failed program's whole output as the trial's logs/output.log", async () => {
    const { run } = reasonOf(campaign().runs, 'exit');
    const log = await downloadArtifact(mlflow, run, 'logs/output.log');
    expect(log).toContain('bad-program: mode=exit epochs 0..1');
    expect(log).toContain("Traceback: something broke in the user's code");
  });
});
