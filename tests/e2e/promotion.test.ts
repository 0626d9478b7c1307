// A promotion-type scheduler (ASHA) in a real campaign: trials pause at rungs holding no worker, the
// best are promoted and resume from their checkpoint; no epoch is ever trained twice.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign, type CampaignResult } from '../../cli/client';
import type { RunningWorkers } from '../../cli/worker';
import { campaignRuns, metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const mlflow = inject('mlflowTrackingUri');
const checkpoints = tempDir('asha');

describe('ASHA promotion in a campaign', () => {
  let workers: RunningWorkers;
  let result: CampaignResult;
  let trials: RestRun[];
  beforeAll(async () => {
    workers = await startTestWorkers(checkpoints, { mlflowTrackingUri: mlflow });
    const client = await connectTemporal(inject('temporalAddress'));
    const handle = await startCampaign(client, { specPath: join(__dirname, '..', 'fixtures', 'specs', 'asha.yaml') });
    result = await handle.result();
    trials = (await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId)).filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    await client.connection.close();
  }, 600_000);
  afterAll(async () => {
    await workers?.shutdown();
  });

  it('stops most trials at a rung and runs the best to the end', () => {
    expect(result.status).toBe('COMPLETED');
    expect(trials).toHaveLength(9);
    expect(result.trials.completed).toBeGreaterThanOrEqual(1);
    expect(result.trials.pruned).toBeGreaterThanOrEqual(5);
    for (const run of trials.filter((r) => tagsOf(r)['tuneflow.state'] === 'PRUNED')) {
      expect(['1', '3']).toContain(tagsOf(run)['tuneflow.rung']);
    }
  });

  it('resumes promoted trials from their checkpoint: every epoch logged once, in order, no gaps', async () => {
    let epochs = 0;
    for (const run of trials) {
      const steps = (await metricHistory(mlflow, run.info.run_id, 'val_loss')).map((p) => p.step).sort((a, b) => a - b);
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
      epochs += steps.length;
      if (tagsOf(run)['tuneflow.state'] === 'COMPLETE') expect(steps).toHaveLength(9);
    }
    expect(epochs).toBeLessThan(9 * 9 * 0.6);
  });

  it('deletes the checkpoints of finished search trials', () => {
    const campaignDir = readdirSync(checkpoints).find((d) => d.startsWith('asha-test'))!;
    const left = readdirSync(join(checkpoints, campaignDir)).filter((d) => d.startsWith('trial-'));
    expect(left).toEqual([]);
  });
});
