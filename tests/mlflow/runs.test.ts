// The idempotent helpers, each called twice the way a retried activity would, against a real MLflow server.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient, MlflowError } from '../../mlflow/client';
import { createKeyedRun, ensureExperiment, ensureModelVersion, ensureRun, finishRun, findRun, logEpochMetrics, logMetricsOnce, RunWriter, tagFilter } from '../../mlflow/runs';
import { startCountingProxy, type CountingProxy } from '../../bench/counting-proxy';

const client = new MlflowClient({ trackingUri: inject('mlflowTrackingUri') });
const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

describe('ensureExperiment', () => {
  it('creates once and then finds the same experiment, updating tags', async () => {
    const name = unique('runs-exp');
    const id = await ensureExperiment(client, name, { owner: 'a' });
    expect(await ensureExperiment(client, name, { owner: 'b' })).toBe(id);
    expect((await client.getExperiment(id)).tags.owner).toBe('b');
  });

  it('resolves a create race to one experiment', async () => {
    const name = unique('runs-race');
    const ids = await Promise.all([1, 2, 3].map(() => ensureExperiment(client, name)));
    expect(new Set(ids).size).toBe(1);
  });
});

describe('ensureRun', () => {
  let experimentId: string;
  beforeAll(async () => {
    experimentId = await ensureExperiment(client, unique('runs-ensure'));
  });

  it('returns the same run when called twice with the same key', async () => {
    const key = { 'tuneflow.campaign_id': unique('c'), 'tuneflow.stage': 'search', 'tuneflow.trial_number': '3' };
    const opts = { experimentId, key, runName: 'trial-3', tags: { extra: 'x' }, params: { lr: '0.01', layers: '2' } };
    const first = await ensureRun(client, opts);
    const second = await ensureRun(client, opts);
    expect(first.created).toBe(true);
    expect(second).toEqual({ runId: first.runId, created: false });

    const matching = await client.searchRuns({ experimentIds: [experimentId], filter: tagFilter(key) });
    expect(matching.runs).toHaveLength(1);
    const run = matching.runs[0]!;
    expect(run.info.runName).toBe('trial-3');
    expect(run.data.params).toEqual({ lr: '0.01', layers: '2' });
    expect(run.data.tags).toMatchObject({ ...key, extra: 'x', 'mlflow.runName': 'trial-3' });
  });

  it('waits out a slow create instead of timing out and creating the run twice on the retry', async () => {
    // The server holds the first create for 1.5 s; the client's other requests time out after 0.3 s.
    const proxy = await startCountingProxy(inject('mlflowTrackingUri'), { holdMs: (endpoint, nth) => (endpoint.endsWith('/runs/create') && nth === 1 ? 1_500 : 0) });
    const retried = async (slow: MlflowClient, key: Record<string, string>): Promise<{ created: boolean }> => {
      const opts = { experimentId, key, runName: 'slow' };
      // What Temporal does with a failed activity: run it again.
      const first = await ensureRun(slow, opts).catch((err: unknown) => err);
      return first instanceof Error ? ensureRun(slow, opts) : (first as { created: boolean });
    };
    const runsWith = async (key: Record<string, string>) => {
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the held create has landed by now
      return (await client.searchRuns({ experimentIds: [experimentId], filter: tagFilter(key) })).runs.length;
    };
    try {
      // With creates timing out like every other request, the hazard is real: two runs for one key.
      const hasty = { 'tuneflow.campaign_id': unique('hasty') };
      await retried(new MlflowClient({ trackingUri: proxy.url, timeoutMs: 300, createTimeoutMs: 300 }), hasty);
      expect(await runsWith(hasty)).toBe(2);
      // The default: creates wait longer than other requests, and the first attempt gets its answer.
      proxy.reset();
      const patient = { 'tuneflow.campaign_id': unique('patient') };
      const { created } = await retried(new MlflowClient({ trackingUri: proxy.url, timeoutMs: 300 }), patient);
      expect(created).toBe(true);
      expect(await runsWith(patient)).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('tells runs apart by every key tag', async () => {
    const campaign = unique('c');
    const a = await ensureRun(client, { experimentId, key: { 'tuneflow.campaign_id': campaign, 'tuneflow.trial_number': '1' }, runName: 'a' });
    const b = await ensureRun(client, { experimentId, key: { 'tuneflow.campaign_id': campaign, 'tuneflow.trial_number': '2' }, runName: 'b' });
    expect(a.runId).not.toBe(b.runId);
    expect(b.created).toBe(true);
  });

  it('matches key values containing quotes and backslashes exactly', async () => {
    const key = { 'tuneflow.campaign_id': `it's a "test" \\ ${randomUUID()}`.replace(/"/g, '') };
    const first = await ensureRun(client, { experimentId, key, runName: 'quoted' });
    const second = await ensureRun(client, { experimentId, key, runName: 'quoted' });
    expect(second).toEqual({ runId: first.runId, created: false });
    expect(() => tagFilter({ k: `both ' and "` })).toThrow(/cannot be searched/);
  });

  it('links a child run to its parent', async () => {
    const campaign = unique('c');
    const parent = await ensureRun(client, { experimentId, key: { 'tuneflow.campaign_id': campaign, 'tuneflow.stage': 'campaign' }, runName: campaign });
    const child = await ensureRun(client, {
      experimentId,
      key: { 'tuneflow.campaign_id': campaign, 'tuneflow.stage': 'search', 'tuneflow.trial_number': '0' },
      runName: 'trial-0',
      parentRunId: parent.runId,
    });
    expect((await client.getRun(child.runId)).data.tags['mlflow.parentRunId']).toBe(parent.runId);
    const children = await client.searchRuns({ experimentIds: [experimentId], filter: tagFilter({ 'mlflow.parentRunId': parent.runId }) });
    expect(children.runs.map((r) => r.info.runId)).toEqual([child.runId]);
  });

  it('completes params a crashed attempt did not log, and rejects changed ones', async () => {
    const key = { 'tuneflow.campaign_id': unique('c') };
    // A first attempt that died after creating the run, before logging its params.
    const crashed = await client.createRun({ experimentId, runName: 'half', tags: key });
    const retry = await ensureRun(client, { experimentId, key, runName: 'half', params: { lr: '0.1' } });
    expect(retry).toEqual({ runId: crashed.info.runId, created: false });
    expect((await client.getRun(retry.runId)).data.params).toEqual({ lr: '0.1' });

    const err = await ensureRun(client, { experimentId, key, runName: 'half', params: { lr: '0.2' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect((err as MlflowError).retryable).toBe(false);
    expect((err as MlflowError).message).toContain('lr: logged "0.1", now "0.2"');
  });

  it('finds nothing for an unknown key', async () => {
    expect(await findRun(client, experimentId, { 'tuneflow.campaign_id': unique('none') })).toBeUndefined();
  });
});

describe('metrics', () => {
  let experimentId: string;
  beforeAll(async () => {
    experimentId = await ensureExperiment(client, unique('runs-metrics'));
  });

  const epochs = [
    { epoch: 0, endedAt: 1_700_000_000_000, metrics: { loss: 0.9, val_loss: 1.0 } },
    { epoch: 1, endedAt: 1_700_000_001_000, metrics: { loss: 0.5, val_loss: 0.7 } },
  ];

  it('MLflow itself drops an exact duplicate point sent again in log-batch', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    const points = [{ key: 'loss', value: 0.5, timestamp: 1_000, step: 1 }];
    await client.logBatch({ runId, metrics: points });
    await client.logBatch({ runId, metrics: points });
    expect(await client.getMetricHistory(runId, 'loss')).toHaveLength(1);
  });

  it('logEpochMetrics called twice leaves one point per step', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    expect(await logEpochMetrics(client, runId, epochs)).toEqual({ logged: 4, skipped: 0 });
    expect(await logEpochMetrics(client, runId, epochs)).toEqual({ logged: 0, skipped: 4 });
    const history = await client.getMetricHistory(runId, 'val_loss');
    expect(history).toEqual([
      { key: 'val_loss', value: 1.0, timestamp: 1_700_000_000_000, step: 0 },
      { key: 'val_loss', value: 0.7, timestamp: 1_700_000_001_000, step: 1 },
    ]);
  });

  it('skips an epoch trained again after a crash (new end time and values) but logs the next one', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    await logEpochMetrics(client, runId, epochs);
    const retrained = [
      { epoch: 1, endedAt: 1_700_000_009_000, metrics: { loss: 0.51, val_loss: 0.71 } },
      { epoch: 2, endedAt: 1_700_000_010_000, metrics: { loss: 0.4, val_loss: 0.6 } },
    ];
    expect(await logEpochMetrics(client, runId, retrained)).toEqual({ logged: 2, skipped: 2 });
    const history = await client.getMetricHistory(runId, 'loss');
    expect(history.map((p) => [p.step, p.value])).toEqual([
      [0, 0.9],
      [1, 0.5],
      [2, 0.4],
    ]);
  });

  it('logs a diverged epoch (NaN loss) without failing', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    await logEpochMetrics(client, runId, [{ epoch: 0, endedAt: 1, metrics: { loss: NaN, grad_norm: Infinity } }]);
    const run = await client.getRun(runId);
    const byKey = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(byKey.loss).toBeNaN();
    expect(byKey.grad_norm).toBe(Number.MAX_VALUE);
  });

  it('logMetricsOnce keeps the first value of each summary metric', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    expect(await logMetricsOnce(client, runId, { best_val_loss: 0.3 })).toEqual({ logged: 1, skipped: 0 });
    expect(await logMetricsOnce(client, runId, { best_val_loss: 0.3, trials: 5 })).toEqual({ logged: 1, skipped: 1 });
    expect(await client.getMetricHistory(runId, 'best_val_loss')).toHaveLength(1);
  });
});

/** A fresh run in an experiment of its own, written through a client whose requests `proxy` counts; the run's id. */
async function withCountedRun(prefix: string, body: (counted: MlflowClient, runId: string, proxy: CountingProxy) => Promise<void>): Promise<string> {
  const experimentId = await ensureExperiment(client, unique(prefix));
  const { runId } = (await client.createRun({ experimentId })).info;
  const proxy = await startCountingProxy(inject('mlflowTrackingUri'));
  try {
    await body(new MlflowClient({ trackingUri: proxy.url }), runId, proxy);
  } finally {
    await proxy.close();
  }
  return runId;
}

describe('RunWriter (one segment logging epoch after epoch)', () => {
  it('reads the run once, then sends one request per epoch and tags only when they change', async () => {
    const runId = await withCountedRun('runs-writer', async (counted, runId, proxy) => {
      const writer = new RunWriter(counted, runId);
      for (let epoch = 1; epoch <= 3; epoch++) await writer.logEpochs([{ epoch, endedAt: 1_000 * epoch, metrics: { loss: 1 / epoch } }]);
      await writer.setTags({ 'tuneflow.backend': 'cpu' });
      await writer.setTags({ 'tuneflow.backend': 'cpu' });
      expect(proxy.counts().byEndpoint).toEqual({ 'GET /api/2.0/mlflow/runs/get': 1, 'POST /api/2.0/mlflow/runs/log-batch': 4 });
      // The next segment (or a retry of this one) reads the run again and skips what is logged.
      const next = new RunWriter(counted, runId);
      expect(await next.logEpochs([{ epoch: 3, endedAt: 9_999, metrics: { loss: 0.3 } }, { epoch: 4, endedAt: 4_000, metrics: { loss: 0.25 } }])).toEqual({ logged: 1, skipped: 1 });
      await next.setTags({ 'tuneflow.backend': 'cpu' });
      expect(proxy.counts().byEndpoint['GET /api/2.0/mlflow/runs/get']).toBe(2);
      expect(proxy.counts().byEndpoint['POST /api/2.0/mlflow/runs/log-batch']).toBe(5);
    });
    expect((await client.getMetricHistory(runId, 'loss')).map((p) => p.step)).toEqual([1, 2, 3, 4]);
    expect((await client.getRun(runId)).data.tags['tuneflow.backend']).toBe('cpu');
  });
});

describe('RunWriter with what a first attempt knows (no read)', () => {
  it('logs a first segment without reading, reads a later one only for its tags, and a retry still skips logged epochs', async () => {
    const runId = await withCountedRun('runs-known', async (counted, runId, proxy) => {
      // Segment 1, first attempt: nothing above epoch 0 and no training tags on the run yet.
      const first = new RunWriter(counted, runId, { noStepAbove: 0, tagsAbsent: true });
      for (let epoch = 1; epoch <= 2; epoch++) await first.logEpochs([{ epoch, endedAt: 1_000 * epoch, metrics: { loss: 1 / epoch } }]);
      await first.setTags({ 'tuneflow.backend': 'cpu' });
      await first.setTags({ 'tuneflow.backend': 'cpu' });
      expect(proxy.counts().byEndpoint).toEqual({ 'POST /api/2.0/mlflow/runs/log-batch': 3 });
      // Segment 2, first attempt: its epochs need no read; its tags do (they are there and unchanged: nothing sent).
      const second = new RunWriter(counted, runId, { noStepAbove: 2, tagsAbsent: false });
      await second.logEpochs([{ epoch: 3, endedAt: 3_000, metrics: { loss: 0.3 } }]);
      expect(proxy.counts().byEndpoint['GET /api/2.0/mlflow/runs/get']).toBeUndefined();
      await second.setTags({ 'tuneflow.backend': 'cpu' });
      expect(proxy.counts().byEndpoint).toEqual({ 'POST /api/2.0/mlflow/runs/log-batch': 4, 'GET /api/2.0/mlflow/runs/get': 1 });
      // An epoch at or below what the caller vouched for is not trusted blindly: the writer reads and skips it.
      const vouched = new RunWriter(counted, runId, { noStepAbove: 3, tagsAbsent: false });
      expect(await vouched.logEpochs([{ epoch: 3, endedAt: 9_999, metrics: { loss: 0.33 } }, { epoch: 4, endedAt: 4_000, metrics: { loss: 0.25 } }])).toEqual({ logged: 1, skipped: 1 });
      // A retry of segment 2 (no knowledge) reads and skips what its first attempt logged.
      expect(await new RunWriter(counted, runId).logEpochs([{ epoch: 3, endedAt: 8_888, metrics: { loss: 0.31 } }])).toEqual({ logged: 0, skipped: 1 });
    });
    expect((await client.getMetricHistory(runId, 'loss')).map((p) => [p.step, p.timestamp])).toEqual([[1, 1_000], [2, 2_000], [3, 3_000], [4, 4_000]]);
  });
});

describe('createKeyedRun (a first attempt)', () => {
  it('creates the run with its key, tags and params in two requests, and a retry through ensureRun finds it', async () => {
    const experimentId = await ensureExperiment(client, unique('runs-keyed'));
    const key = { 'tuneflow.campaign_id': unique('c'), 'tuneflow.stage': 'search', 'tuneflow.trial_number': '0' };
    const opts = { experimentId, key, runName: 'trial-0', tags: { 'tuneflow.state': 'RUNNING' }, params: { lr: '0.1' } };
    const proxy = await startCountingProxy(inject('mlflowTrackingUri'));
    let runId: string;
    try {
      ({ runId } = await createKeyedRun(new MlflowClient({ trackingUri: proxy.url }), opts));
      expect(proxy.counts().byEndpoint).toEqual({ 'POST /api/2.0/mlflow/runs/create': 1, 'POST /api/2.0/mlflow/runs/log-batch': 1 });
    } finally {
      await proxy.close();
    }
    expect(await ensureRun(client, opts)).toEqual({ runId, created: false });
    const run = await client.getRun(runId);
    expect(run.data.params).toEqual({ lr: '0.1' });
    expect(run.data.tags).toMatchObject({ ...key, 'tuneflow.state': 'RUNNING', 'mlflow.runName': 'trial-0' });
  });
});

describe('finishRun and ensureModelVersion', () => {
  it('finishes a run and registers its model once', async () => {
    const experimentId = await ensureExperiment(client, unique('runs-finish'));
    const { runId } = await ensureRun(client, { experimentId, key: { 'tuneflow.campaign_id': unique('c') }, runName: 'best' });
    await finishRun(client, runId, 'FINISHED', 5_000);
    await finishRun(client, runId, 'FINISHED', 5_000);
    expect((await client.getRun(runId)).info).toMatchObject({ status: 'FINISHED', endTime: 5_000 });

    const source = `${(await client.getRun(runId)).info.artifactUri}/model`;
    const name = unique('best-model');
    const first = await ensureModelVersion(client, { name, source, runId });
    const second = await ensureModelVersion(client, { name, source, runId });
    expect(first.created).toBe(true);
    expect(second).toEqual({ modelVersion: first.modelVersion, created: false });
    expect((await client.searchModelVersions({ filter: `name='${name}'` })).modelVersions).toHaveLength(1);
  });

  it('refuses to use a deleted experiment', async () => {
    const name = unique('runs-deleted');
    const id = await ensureExperiment(client, name);
    await client.deleteExperiment(id);
    await expect(ensureExperiment(client, name)).rejects.toThrow(/is deleted\. Restore it/);
    await client.restoreExperiment(id);
    expect(await ensureExperiment(client, name)).toBe(id);
  });
});
