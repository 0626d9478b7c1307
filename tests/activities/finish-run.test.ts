// finishRun as Temporal retries it: the same activity (same scheduled time) run twice against the real
// MLflow server leaves one summary point, one best_value point and the final state, in three requests.
// Temporal's MockActivityEnvironment provides the activity context; nothing else is mocked.
import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { trackingActivities } from '../../activities/tracking';
import { startCountingProxy } from '../../bench/counting-proxy';
import { MlflowClient } from '../../mlflow/client';
import { ensureExperiment } from '../../mlflow/runs';

const uri = inject('mlflowTrackingUri');
const client = new MlflowClient({ trackingUri: uri });

describe('finishRun', () => {
  it('is idempotent across attempts without reading the run first', async () => {
    const experimentId = await ensureExperiment(client, `finish-run-${randomUUID().slice(0, 8)}`);
    const parent = (await client.createRun({ experimentId })).info.runId;
    const trial = (await client.createRun({ experimentId })).info.runId;
    const proxy = await startCountingProxy(uri);
    try {
      const activities = trackingActivities({ mlflow: new MlflowClient({ trackingUri: proxy.url }), trackingUri: proxy.url });
      const input = { runId: trial, state: 'PRUNED' as const, reason: 'pruned by median after epoch 2', summary: { rung: 2 }, campaign: { parentRunId: parent, finished: 7, bestValue: 0.25 } };
      for (const attempt of [1, 2]) {
        await new MockActivityEnvironment({ attempt, scheduledTimestampMs: 1_700_000_000_000 }).run(() => activities.finishRun(input));
      }
      expect(proxy.counts().total).toBe(6);
      expect(proxy.counts().byEndpoint['GET /api/2.0/mlflow/runs/get']).toBeUndefined();
    } finally {
      await proxy.close();
    }
    expect(await client.getMetricHistory(trial, 'rung')).toEqual([{ key: 'rung', value: 2, timestamp: 1_700_000_000_000, step: 0 }]);
    expect(await client.getMetricHistory(parent, 'best_value')).toEqual([{ key: 'best_value', value: 0.25, timestamp: 1_700_000_000_000, step: 7 }]);
    const run = await client.getRun(trial);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.tags['tuneflow.state']).toBe('PRUNED');
    expect(run.data.tags['tuneflow.reason']).toBe('pruned by median after epoch 2');
  });

  it("finds by its key the run of a job whose first segment failed before the workflow learned the run's id", async () => {
    const experimentId = await ensureExperiment(client, `finish-run-${randomUUID().slice(0, 8)}`);
    const parentRunId = (await client.createRun({ experimentId })).info.runId;
    const campaignId = `c-${randomUUID().slice(0, 8)}`;
    const job = (trialNumber: number) => ({ campaignId, tracking: { trackingUri: uri, experimentId, parentRunId }, stage: 'search' as const, trialNumber, seedIndex: 0 });
    const trial = (await client.createRun({ experimentId, tags: { 'tuneflow.campaign_id': campaignId, 'tuneflow.stage': 'search', 'tuneflow.trial_number': '3' } })).info.runId;
    const activities = trackingActivities({ mlflow: client, trackingUri: uri });
    const env = new MockActivityEnvironment({ attempt: 1, scheduledTimestampMs: 1_700_000_000_000 });
    await env.run(() => activities.finishRun({ job: job(3), state: 'FAIL', reason: 'cancelled', killed: true }));
    const run = await client.getRun(trial);
    expect(run.info.status).toBe('KILLED');
    expect(run.data.tags['tuneflow.state']).toBe('FAIL');
    // No run under the key (the segment never started): nothing to end, and the campaign's point is still logged.
    await env.run(() => activities.finishRun({ job: job(4), state: 'FAIL', reason: 'cancelled', campaign: { parentRunId, finished: 2, bestValue: 0.5 } }));
    expect(await client.getMetricHistory(parentRunId, 'best_value')).toEqual([{ key: 'best_value', value: 0.5, timestamp: 1_700_000_000_000, step: 2 }]);
    expect((await client.getRun(trial)).info.status).toBe('KILLED');
  });
});
