// A campaign whose history outgrows the server's limit continues as new, carrying its state: no trial
// is lost or repeated across the boundaries, and MLflow holds exactly one run per trial.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { startTemporalServer, registerCampaignSearchAttributes, type TemporalServer } from '../../cli/services/temporal-server';
import type { RunningWorkers } from '../../cli/worker';
import { campaignRuns, metricHistory, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('can');

describe('continue-as-new', () => {
  let temporal: TemporalServer;
  let workers: RunningWorkers;
  beforeAll(async () => {
    // Temporal suggests continue-as-new after 150 events instead of ~4,096.
    temporal = await startTemporalServer({
      logFile: join(dir, 'temporal.log'),
      uiPort: null,
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 150 },
    });
    await registerCampaignSearchAttributes(temporal.address);
    workers = await startTestWorkers(join(dir, 'checkpoints'), { temporalAddress: temporal.address, mlflowTrackingUri: mlflow });
  });
  afterAll(async () => {
    await workers?.shutdown();
    await temporal?.stop();
  });

  it('loses and repeats nothing across several runs', async () => {
    const client = await connectTemporal(temporal.address);
    const handle = await startCampaign(client, { specPath: join(__dirname, '..', 'fixtures', 'specs', 'many.yaml') });
    const result = await handle.result();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed + result.trials.pruned + result.trials.failed).toBe(40);
    expect(result.trials.failed).toBe(0);
    expect(result.retrain).toHaveLength(1);

    // Several runs in the chain: the first ones ended by continuing as new.
    const runs: string[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${result.workflowId}'` })) runs.push(wf.status.name);
    expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(2);

    const mlflowRuns = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const trials = mlflowRuns.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials.map((r) => Number(tagsOf(r)['tuneflow.trial_number'])).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(mlflowRuns.filter((r) => tagsOf(r)['tuneflow.stage'] === 'campaign')).toHaveLength(1);
    const params = new Set(trials.map((r) => JSON.stringify(r.data.params)));
    expect(params.size).toBe(40);
    for (const run of trials) {
      const steps = (await metricHistory(mlflow, run.info.run_id, 'val_loss')).map((p) => p.step).sort();
      expect(new Set(steps).size).toBe(steps.length);
      expect(['COMPLETE', 'PRUNED']).toContain(tagsOf(run)['tuneflow.state']);
      expect(run.info.status).toBe('FINISHED'); // ended by finishRun, across the runs of the chain
    }
    await client.connection.close();
  }, 600_000);
});
