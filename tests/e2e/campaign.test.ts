// A whole campaign against the real Temporal dev server and the real MLflow server: a tiny spec,
// real training, then everything asserted through MLflow's REST API.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign, type CampaignResult } from '../../cli/client';
import type { RunningWorkers } from '../../cli/worker';
import { artifactPaths, campaignRuns, downloadArtifact, metricHistory, paramsOf, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const mlflow = inject('mlflowTrackingUri');
const spec = join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml');
const checkpoints = tempDir('campaign');

describe('campaign workflow end to end', () => {
  let workers: RunningWorkers;
  let result: CampaignResult;
  let runs: RestRun[];
  let activityTypes: string[];

  beforeAll(async () => {
    workers = await startTestWorkers(checkpoints, { mlflowTrackingUri: mlflow });
    const client = await connectTemporal(inject('temporalAddress'));
    const handle = await startCampaign(client, { specPath: spec });
    result = await handle.result();
    runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
    activityTypes = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
  }, 600_000);

  afterAll(async () => {
    await workers?.shutdown();
  });

  it('completes with a best trial and retrained models', () => {
    expect(result.status).toBe('COMPLETED');
    const { completed, pruned, failed } = result.trials;
    expect(completed + pruned + failed).toBe(4);
    expect(completed).toBeGreaterThanOrEqual(1);
    expect(result.best).not.toBeNull();
    expect(Number.isFinite(result.best!.value)).toBe(true);
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
    expect(result.retrain[0]!.trialNumber).toBe(result.best!.trialNumber);
    expect(result.timing.trainSeconds).toBeGreaterThan(0);
  });

  it('logs one parent run and one nested run per trial and per retrain, never twice', () => {
    const parent = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'campaign');
    expect(parent).toHaveLength(1);
    expect(parent[0]!.info.run_id).toBe(result.mlflow.parentRunId);
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    const retrains = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'retrain');
    expect(trials.map((r) => r.info.run_name).sort()).toEqual(['trial-0', 'trial-1', 'trial-2', 'trial-3']);
    expect(retrains).toHaveLength(1);
    for (const run of [...trials, ...retrains]) {
      expect(tagsOf(run)['mlflow.parentRunId']).toBe(result.mlflow.parentRunId);
      expect(['FINISHED', 'FAILED']).toContain(run.info.status);
    }
    expect(tagsOf(retrains[0]!)['tuneflow.source_trial']).toBe(String(result.best!.trialNumber));
  });

  it('records each trial with its params, state and one metric point per epoch', async () => {
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    for (const run of trials) {
      const tags = tagsOf(run);
      expect(['COMPLETE', 'PRUNED', 'FAIL']).toContain(tags['tuneflow.state']);
      expect(Object.keys(paramsOf(run))).toContain('learningRate');
      const history = await metricHistory(mlflow, run.info.run_id, 'val_loss');
      const steps = history.map((m) => m.step).sort((a, b) => a - b);
      expect(new Set(steps).size).toBe(steps.length);
      if (tags['tuneflow.state'] === 'COMPLETE') expect(steps).toEqual([1, 2]);
    }
  });

  it('stores the spec, the best hyperparameters, the leaderboard and the model as artifacts', async () => {
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    const files = await artifactPaths(mlflow, parent.info.run_id);
    expect(files).toEqual(expect.arrayContaining(['experiment.yaml', 'best_hyperparameters.yaml', 'leaderboard.csv', 'report.html']));
    const plots = await artifactPaths(mlflow, parent.info.run_id, 'plots');
    expect(plots).toEqual(expect.arrayContaining(['plots/history.svg', 'plots/timeline.svg', 'plots/intermediate.svg']));
    // One symbol per trial in the history plot (points for trials with a value, ticks for the others).
    const history = await downloadArtifact(mlflow, parent, 'plots/history.svg');
    expect((history.match(/role="graphics-symbol" aria-roledescription="(point|tick)"/g) ?? []).length).toBe(4);
    expect(await downloadArtifact(mlflow, parent, 'report.html')).toContain('<svg');
    // tracking.reportEvery: 2 over 4 trials: the report was also redrawn while the campaign ran (one at a time).
    const refreshes = activityTypes.filter((t) => t === 'refreshReport').length;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(2);
    const best = await downloadArtifact(mlflow, parent, 'best_hyperparameters.yaml');
    expect(best).toContain(`trial: ${result.best!.trialNumber}`);
    const csv = (await downloadArtifact(mlflow, parent, 'leaderboard.csv')).trim().split('\n');
    expect(csv).toHaveLength(5);
    const retrain = runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'retrain')!;
    expect((await artifactPaths(mlflow, retrain.info.run_id, 'model')).length).toBeGreaterThan(0);
  });

  it('registers the best retrained model in the model registry', async () => {
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    expect(tagsOf(parent)['tuneflow.registered_model']).toMatch(/^tuneflow-tiny\/\d+$/);
    const res = await fetch(`${mlflow}/api/2.0/mlflow/model-versions/search?filter=${encodeURIComponent("name='tuneflow-tiny'")}`);
    const body = (await res.json()) as { model_versions?: { run_id: string; source: string }[] };
    const retrain = runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'retrain')!;
    expect(body.model_versions?.map((v) => v.run_id)).toContain(retrain.info.run_id);
  });

  it('logs the best value on the parent run each time it improves (step: trials finished), and marks the experiment as model training', async () => {
    const series = await metricHistory(mlflow, result.mlflow.parentRunId, 'best_value');
    expect(series.length).toBeGreaterThan(0);
    const steps = series.map((p) => p.step);
    expect(new Set(steps).size).toBe(steps.length); // at most one point per finished trial, never twice
    expect(Math.max(...steps)).toBeLessThanOrEqual(4);
    const bySteps = [...series].sort((a, b) => a.step - b.step).map((p) => p.value);
    for (let i = 1; i < bySteps.length; i++) expect(bySteps[i]).toBeLessThanOrEqual(bySteps[i - 1]!); // minimize: never worse
    expect(bySteps.at(-1)).toBeCloseTo(result.best!.value, 6);
    const res = await fetch(`${mlflow}/api/2.0/mlflow/experiments/get?experiment_id=${result.mlflow.experimentId}`);
    const { experiment } = (await res.json()) as { experiment: { tags?: { key: string; value: string }[] } };
    expect(experiment.tags?.find((t) => t.key === 'mlflow.experimentKind')?.value).toBe('custom_model_development');
  });
});
