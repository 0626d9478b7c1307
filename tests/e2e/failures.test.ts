// A trial whose loss turns NaN fails with a named, non-retryable error and the campaign goes on;
// more failures than budget.maxFailedTrials end the campaign cleanly, with the reason in MLflow.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import type { RunningWorkers } from '../../cli/worker';
import { campaignRuns, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('failures');
const diverge = readFileSync(join(__dirname, '..', 'fixtures', 'specs', 'diverge.yaml'), 'utf8');

describe('failing trials', () => {
  let workers: RunningWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(join(dir, 'checkpoints'), { mlflowTrackingUri: mlflow });
  });
  afterAll(async () => {
    await workers?.shutdown();
  });

  it('a diverging trial fails once, without retries, and the campaign goes on', async () => {
    const client = await connectTemporal(inject('temporalAddress'));
    const result = await (await startCampaign(client, { specPath: join(__dirname, '..', 'fixtures', 'specs', 'diverge.yaml') })).result();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 2, pruned: 0, failed: 1 });
    expect(result.best?.params.learningRate).not.toBe(1e30);
    const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const failed = runs.find((r) => r.info.run_name === 'trial-0')!;
    expect(failed.info.status).toBe('FAILED');
    expect(tagsOf(failed)['tuneflow.state']).toBe('FAIL');
    expect(tagsOf(failed)['tuneflow.reason']).toMatch(/^TrainingDivergedError: /);
    // Non-retryable: the history shows a single attempt of the failed segment.
    const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
    const failures = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.activityTaskFailedEventAttributes!.retryState).toBe(2); // RETRY_STATE_NON_RETRYABLE_FAILURE
    await client.connection.close();
  }, 300_000);

  it('more failures than maxFailedTrials end the campaign as FAILED, with the reason in MLflow', async () => {
    const specPath = join(dir, 'strict.yaml');
    writeFileSync(specPath, diverge.replace('name: diverge-test', 'name: strict-test').replace('maxFailedTrials: 1', 'maxFailedTrials: 0'));
    const client = await connectTemporal(inject('temporalAddress'));
    const result = await (await startCampaign(client, { specPath })).result();
    expect(result.status).toBe('FAILED');
    expect(result.reason).toBe('1 failed trial(s), more than budget.maxFailedTrials=0');
    expect(result.trials.failed).toBe(1);
    expect(result.retrain).toEqual([]);
    const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    expect(parent.info.status).toBe('FAILED');
    expect(tagsOf(parent)['tuneflow.reason']).toBe(result.reason);
    expect(tagsOf(parent)['tuneflow.status']).toBe('FAILED');
    await client.connection.close();
  }, 300_000);
});
