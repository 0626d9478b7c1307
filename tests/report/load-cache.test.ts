// loadCampaign as the report redraw calls it again and again during a campaign: against the real MLflow
// server, through a counting proxy, the second read fetches the histories of the unfinished trials only,
// and a trial that finished meanwhile is read once more, with its final state.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startCountingProxy } from '../../bench/counting-proxy';
import { MlflowClient } from '../../mlflow/client';
import { ensureExperiment, finishRun } from '../../mlflow/runs';
import { loadCampaign } from '../../report';

const uri = inject('mlflowTrackingUri');
const client = new MlflowClient({ trackingUri: uri });
const HISTORY = 'GET /api/2.0/mlflow/metrics/get-history';

describe('loadCampaign, read again', () => {
  it('reads the histories of finished trials once', async () => {
    const campaignId = `cache-${randomUUID().slice(0, 8)}`;
    const experimentId = await ensureExperiment(client, campaignId);
    const key = (stage: string) => ({ 'tuneflow.campaign_id': campaignId, 'tuneflow.stage': stage });
    const parent = (await client.createRun({ experimentId, tags: key('campaign') })).info.runId;
    await client.logArtifact(parent, 'experiment.yaml', readFileSync(join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml')));
    const runIds: string[] = [];
    for (const [n, state] of ['COMPLETE', 'PRUNED', 'RUNNING'].entries()) {
      const { runId } = (await client.createRun({ experimentId, tags: { ...key('search'), 'tuneflow.trial_number': String(n), 'tuneflow.state': state } })).info;
      await client.logBatch({ runId, params: { learningRate: '0.01', units: '8' }, metrics: [{ key: 'val_loss', value: 1 - n / 10, timestamp: 1, step: 1 }] });
      if (state !== 'RUNNING') await finishRun(client, runId, 'FINISHED');
      runIds.push(runId);
    }
    const proxy = await startCountingProxy(uri);
    try {
      const counted = new MlflowClient({ trackingUri: proxy.url });
      const read = async () => loadCampaign(counted, await counted.getRun(parent));
      const first = await read();
      expect(first.trials.map((t) => t.state)).toEqual(['COMPLETE', 'PRUNED', 'RUNNING']);
      expect(proxy.counts().byEndpoint[HISTORY]).toBe(3);
      proxy.reset();
      const second = await read();
      expect(second.trials).toEqual(first.trials);
      expect(proxy.counts().byEndpoint[HISTORY]).toBe(1); // the running trial only
      // The running trial ends: read once more, then kept.
      await client.logBatch({ runId: runIds[2]!, tags: { 'tuneflow.state': 'COMPLETE' }, metrics: [{ key: 'val_loss', value: 0.5, timestamp: 2, step: 2 }] });
      await finishRun(client, runIds[2]!, 'FINISHED');
      proxy.reset();
      const third = await read();
      expect(third.trials[2]).toMatchObject({ state: 'COMPLETE', epochs: 2 });
      expect(proxy.counts().byEndpoint[HISTORY]).toBe(1);
      proxy.reset();
      await read();
      expect(proxy.counts().byEndpoint[HISTORY]).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});
