// startRun as Temporal runs it: attempt 1 creates the trial's run without searching (two requests), a retry
// (attempt 2) searches and finds that same run, so there is still one run per trial. And which segment
// attempts may skip reading their run (activities/job.ts `segmentKnowledge`). Against the real MLflow
// server; Temporal's MockActivityEnvironment provides the activity context, nothing else is mocked.
import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { segmentKnowledge, segmentWithRun } from '../../activities/job';
import { trackingActivities } from '../../activities/tracking';
import { startCountingProxy } from '../../bench/counting-proxy';
import { MlflowClient } from '../../mlflow/client';
import { ensureExperiment, tagFilter } from '../../mlflow/runs';
import { parseSpec } from '../../spec';

const uri = inject('mlflowTrackingUri');
const client = new MlflowClient({ trackingUri: uri });
const spec = parseSpec(['name: t', 'dataset: d', 'model: mlp', 'objective: {metric: val_loss, direction: minimize}', 'resources: {taskQueue: gpu}', ''].join('\n'), 'x.yaml');

describe('startRun', () => {
  it('creates without a search on attempt 1, and a retry finds the same run', async () => {
    const experimentId = await ensureExperiment(client, `start-run-${randomUUID().slice(0, 8)}`);
    const parentRunId = (await client.createRun({ experimentId })).info.runId;
    const campaignId = `c-${randomUUID().slice(0, 8)}`;
    const input = { campaignId, tracking: { trackingUri: uri, experimentId, parentRunId }, stage: 'search' as const, trialNumber: 4, seedIndex: 0, params: { lr: 0.01 }, spec };
    const proxy = await startCountingProxy(uri);
    const ids: string[] = [];
    try {
      const activities = trackingActivities({ mlflow: new MlflowClient({ trackingUri: proxy.url }), trackingUri: proxy.url });
      ids.push(await new MockActivityEnvironment({ attempt: 1 }).run(() => activities.startRun(input)));
      expect(proxy.counts().byEndpoint).toEqual({ 'POST /api/2.0/mlflow/runs/create': 1, 'POST /api/2.0/mlflow/runs/log-batch': 1 });
      // Attempt 1 failed after the create (say its answer was lost): the retry must not make a second run.
      ids.push(await new MockActivityEnvironment({ attempt: 2 }).run(() => activities.startRun(input)));
      expect(proxy.counts().byEndpoint['POST /api/2.0/mlflow/runs/search']).toBe(1);
      expect(proxy.counts().byEndpoint['POST /api/2.0/mlflow/runs/create']).toBe(1);
    } finally {
      await proxy.close();
    }
    expect(ids[1]).toBe(ids[0]);
    const runs = await client.searchRuns({ experimentIds: [experimentId], filter: tagFilter({ 'tuneflow.campaign_id': campaignId }) });
    expect(runs.runs.map((r) => r.info.runId)).toEqual([ids[0]]);
    expect(runs.runs[0]!.data.params.lr).toBe('0.01');
    expect(runs.runs[0]!.data.tags['mlflow.parentRunId']).toBe(parentRunId);
  });
});

describe('segmentWithRun', () => {
  it("opens a first segment's run as startRun does: no search on a first try on the spec's queue, the same run on a retry", async () => {
    const experimentId = await ensureExperiment(client, `segment-run-${randomUUID().slice(0, 8)}`);
    const parentRunId = (await client.createRun({ experimentId })).info.runId;
    const campaignId = `c-${randomUUID().slice(0, 8)}`;
    const segment = { campaignId, tracking: { trackingUri: uri, experimentId, parentRunId }, stage: 'search' as const, trialNumber: 2, seedIndex: 0, params: { lr: 0.5 }, spec, seed: 1, fromEpoch: 0, toEpoch: 1 };
    const proxy = await startCountingProxy(uri);
    const mlflow = new MlflowClient({ trackingUri: proxy.url });
    try {
      const first = await segmentWithRun(mlflow, segment, { attempt: 1, taskQueue: 'gpu' });
      expect(proxy.counts().byEndpoint).toEqual({ 'POST /api/2.0/mlflow/runs/create': 1, 'POST /api/2.0/mlflow/runs/log-batch': 1 });
      // A retry, and a first try on the fallback queue, cannot know an earlier try did not create it: they search.
      for (const info of [{ attempt: 2, taskQueue: 'gpu' }, { attempt: 1, taskQueue: 'cpu-fallback' }]) {
        expect((await segmentWithRun(mlflow, segment, info)).runId).toBe(first.runId);
      }
      expect(proxy.counts().byEndpoint['POST /api/2.0/mlflow/runs/create']).toBe(1);
      expect(proxy.counts().byEndpoint['POST /api/2.0/mlflow/runs/search']).toBe(2);
      // A later segment names its run: nothing is asked of MLflow.
      const before = proxy.counts().total;
      expect(await segmentWithRun(mlflow, { ...segment, runId: first.runId, fromEpoch: 1, toEpoch: 2 }, { attempt: 1, taskQueue: 'gpu' })).toMatchObject({ runId: first.runId, fromEpoch: 1 });
      expect(proxy.counts().total).toBe(before);
      const run = await client.getRun(first.runId);
      expect(run.data.params.lr).toBe('0.5');
      expect(run.data.tags).toMatchObject({ 'mlflow.runName': 'trial-2', 'tuneflow.state': 'RUNNING', 'tuneflow.trial_number': '2', 'mlflow.parentRunId': parentRunId });
    } finally {
      await proxy.close();
    }
  });
});

describe('segmentKnowledge', () => {
  it('trusts only a first attempt on the spec’s own queue', () => {
    expect(segmentKnowledge({ attempt: 1, taskQueue: 'gpu' }, { fromEpoch: 0, spec })).toEqual({ noStepAbove: 0, tagsAbsent: true });
    expect(segmentKnowledge({ attempt: 1, taskQueue: 'gpu' }, { fromEpoch: 3, spec })).toEqual({ noStepAbove: 3, tagsAbsent: false });
    expect(segmentKnowledge({ attempt: 2, taskQueue: 'gpu' }, { fromEpoch: 0, spec })).toBeUndefined();
    // The fallback queue gets a segment whose first try may have logged epochs before it was given up.
    expect(segmentKnowledge({ attempt: 1, taskQueue: 'cpu-fallback' }, { fromEpoch: 0, spec })).toBeUndefined();
  });
});
