// The MLflow REST client against the real MLflow server that the global setup starts.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../cli/services/process';
import { MlflowClient, MlflowError, isRetryable, splitBatch } from '../../mlflow/client';

const trackingUri = inject('mlflowTrackingUri');
const client = new MlflowClient({ trackingUri });
const unique = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function caught(promise: Promise<unknown>): Promise<MlflowError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MlflowError);
  return err as MlflowError;
}

describe('experiments', () => {
  it('creates one, finds it by name and id, and tags it', async () => {
    const name = unique('client-exp');
    expect(await client.getExperimentByName(name)).toBeUndefined();
    const id = await client.createExperiment(name, { tags: { team: 'a' } });
    await client.setExperimentTag(id, 'purpose', 'test');
    const byName = await client.getExperimentByName(name);
    expect(byName).toMatchObject({ experimentId: id, name, lifecycleStage: 'active', tags: { team: 'a', purpose: 'test' } });
    // The server proxies artifacts, so the default location is an mlflow-artifacts URI.
    expect(byName?.artifactLocation).toBe(`mlflow-artifacts:/${id}`);
    expect((await client.getExperiment(id)).name).toBe(name);
  });

  it('maps a server error to MlflowError with its error_code, not retryable', async () => {
    const name = unique('client-dup');
    await client.createExperiment(name);
    const err = await caught(client.createExperiment(name));
    expect(err.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(err.status).toBe(400);
    expect(err.message).toContain('experiments/create');
    expect(isRetryable(err)).toBe(false);

    const missing = await caught(client.getRun('0123456789abcdef0123456789abcdef'));
    expect(missing).toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404, retryable: false });
  });
});

describe('runs', () => {
  let experimentId: string;
  beforeAll(async () => {
    experimentId = await client.createExperiment(unique('client-runs'));
  });

  it('creates, reads, updates and finishes a run', async () => {
    const run = await client.createRun({ experimentId, runName: 'first', startTime: 1_000, tags: { k: 'v' } });
    expect(run.info).toMatchObject({ experimentId, runName: 'first', status: 'RUNNING', startTime: 1_000, lifecycleStage: 'active' });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts`);
    expect(run.data.tags).toMatchObject({ k: 'v', 'mlflow.runName': 'first' });

    const info = await client.updateRun({ runId: run.info.runId, status: 'FINISHED', endTime: 2_000, runName: 'renamed' });
    expect(info).toMatchObject({ status: 'FINISHED', endTime: 2_000, runName: 'renamed' });
    await client.setTag(run.info.runId, 'late', 'tag');
    expect((await client.getRun(run.info.runId)).data.tags.late).toBe('tag');
  });

  it('logs batches beyond the server limits by splitting them', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    const metrics = Array.from({ length: 1_150 }, (_, i) => ({ key: 'm', value: i / 10, timestamp: 5_000 + i, step: i }));
    const params = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`p${i}`, String(i)]));
    const tags = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`t${i}`, String(i)]));
    await client.logBatch({ runId, metrics, params, tags });
    const run = await client.getRun(runId);
    expect(Object.keys(run.data.params)).toHaveLength(130);
    expect(Object.keys(run.data.tags).filter((k) => k.startsWith('t'))).toHaveLength(120);
    const history = await client.getMetricHistory(runId, 'm', { pageSize: 400 });
    expect(history).toHaveLength(1_150);
    expect(history.map((p) => p.step)).toEqual(metrics.map((p) => p.step));
    expect(history[1_149]).toEqual({ key: 'm', value: 114.9, timestamp: 6_149, step: 1_149 });
  });

  it('keeps NaN and turns ±Infinity into ±MAX_VALUE', async () => {
    const { runId } = (await client.createRun({ experimentId })).info;
    await client.logBatch({
      runId,
      metrics: [
        { key: 'loss', value: NaN, timestamp: 1, step: 0 },
        { key: 'loss', value: Infinity, timestamp: 2, step: 1 },
        { key: 'loss', value: -Infinity, timestamp: 3, step: 2 },
      ],
    });
    const values = (await client.getMetricHistory(runId, 'loss')).map((p) => p.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Number.MAX_VALUE, -Number.MAX_VALUE]);
  });

  it('pages through search results', async () => {
    const pagedExperiment = await client.createExperiment(unique('client-paging'));
    for (let i = 0; i < 5; i++) await client.createRun({ experimentId: pagedExperiment, runName: `r${i}`, startTime: 10_000 + i, tags: { batch: 'x' } });
    const first = await client.searchRuns({ experimentIds: [pagedExperiment], maxResults: 2, orderBy: ['attributes.start_time ASC'] });
    expect(first.runs.map((r) => r.info.runName)).toEqual(['r0', 'r1']);
    expect(first.nextPageToken).toBeTruthy();

    const all: string[] = [];
    for await (const run of client.searchAllRuns({ experimentIds: [pagedExperiment], maxResults: 2, orderBy: ['attributes.start_time ASC'], filter: "tags.batch = 'x'" })) {
      all.push(run.info.runName);
    }
    expect(all).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });
});

describe('artifacts', () => {
  it('uploads, lists and downloads through the artifact proxy', async () => {
    const experimentId = await client.createExperiment(unique('client-artifacts'));
    const { runId } = (await client.createRun({ experimentId })).info;
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await client.logArtifact(runId, 'model/weights.bin', bytes);
    await client.logArtifact(runId, 'notes with space.txt', 'first');
    await client.logArtifact(runId, 'notes with space.txt', 'second'); // overwrites

    const root = await client.listArtifacts(runId);
    expect(root).toEqual([
      { path: 'model', isDir: true },
      { path: 'notes with space.txt', isDir: false, fileSize: 6 },
    ]);
    expect(await client.listArtifacts(runId, 'model')).toEqual([{ path: 'model/weights.bin', isDir: false, fileSize: bytes.length }]);
    expect(await client.downloadArtifact(runId, 'model/weights.bin')).toEqual(bytes);
    expect((await client.downloadArtifact(runId, 'notes with space.txt')).toString()).toBe('second');

    const missing = await caught(client.downloadArtifact(runId, 'nope.txt'));
    expect(missing).toMatchObject({ status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST', retryable: false });
    const escape = await caught(client.logArtifact(runId, '../other-run.txt', 'x'));
    expect(escape.message).toContain('must be relative');
  });
});

describe('model registry', () => {
  it('creates a registered model idempotently and a version from a run', async () => {
    const name = unique('model');
    const first = await client.createRegisteredModel(name, { description: 'd' });
    const again = await client.createRegisteredModel(name);
    expect(again).toMatchObject({ name, description: first.description });

    const experimentId = await client.createExperiment(unique('client-registry'));
    const run = await client.createRun({ experimentId });
    await client.logArtifact(run.info.runId, 'model/model.json', '{}');
    const version = await client.createModelVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    expect(version).toMatchObject({ name, version: '1', runId: run.info.runId, status: 'READY' });
  });
});

describe('transport failures', () => {
  it('gives a retryable error for a closed port', async () => {
    const port = await freePort();
    const err = await caught(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}` }).getExperimentByName('x'));
    expect(err.status).toBeUndefined();
    expect(err.message).toContain('ECONNREFUSED');
    expect(isRetryable(err)).toBe(true);
  });

  it('with waitForServerMs, rides out a server that refuses connections until it is up', async () => {
    const port = await freePort();
    const waiting = new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, waitForServerMs: 20_000 });
    const t0 = Date.now();
    const pending = waiting.getExperiment('7');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ experiment: { experiment_id: '7', name: 'late', lifecycle_stage: 'active' } }));
    });
    await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
    try {
      expect(await pending).toMatchObject({ experimentId: '7', name: 'late' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
    } finally {
      late.close();
    }
    // A server that stays down: it gives up after the wait, retryably, and says how long it waited.
    const start = Date.now();
    const err = await caught(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, waitForServerMs: 1_000 }).getRun('abc'));
    expect(Date.now() - start).toBeGreaterThanOrEqual(500);
    expect(err.message).toContain('ECONNREFUSED for 1 s');
    expect(err.retryable).toBe(true);
  });

  it('times out, retryably, on a server that never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const err = await caught(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, timeoutMs: 300 }).getRun('abc'));
      expect(err.message).toContain('no answer within 300 ms');
      expect(err.retryable).toBe(true);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('retries MLflow\'s database pool timeout, which it answers with 400, and no other 400', async () => {
    // The bodies as MLflow 3.17 sends them (the pool one captured from bench/mlflow-burst.ts on MLflow's default pool).
    const bodies = [
      { error_code: 'BAD_REQUEST', message: 'QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/21/3o7r)' },
      { error_code: 'INVALID_PARAMETER_VALUE', message: 'Changing param values is not allowed.' },
    ];
    const server = createServer((req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(bodies.shift())));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new MlflowClient({ trackingUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      expect(await caught(client.logBatch({ runId: 'r', params: { a: '1' } }))).toMatchObject({ status: 400, errorCode: 'BAD_REQUEST', retryable: true });
      expect(await caught(client.logBatch({ runId: 'r', params: { a: '1' } }))).toMatchObject({ status: 400, errorCode: 'INVALID_PARAMETER_VALUE', retryable: false });
    } finally {
      server.close();
    }
  });

  it('sends credentials as headers and never puts them in errors', async () => {
    const seen: (string | undefined)[] = [];
    // Answers like an overloaded proxy would: 503 with a non-JSON body.
    const proxy = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(503).end('upstream unavailable');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as AddressInfo;
      const basic = new MlflowClient({ trackingUri: `http://alice:s3cret@127.0.0.1:${port}`, env: {} });
      const err = await caught(basic.getRun('abc'));
      expect(err).toMatchObject({ status: 503, retryable: true });
      expect(err.message).toContain('upstream unavailable');
      expect(`${err.message} ${basic.trackingUri}`).not.toMatch(/s3cret|alice/);
      await caught(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}`, env: { MLFLOW_TRACKING_TOKEN: 'tok123' } }).getRun('abc'));
      expect(seen).toEqual([`Basic ${Buffer.from('alice:s3cret').toString('base64')}`, 'Bearer tok123']);
    } finally {
      proxy.close();
    }
  });
});

describe('splitBatch', () => {
  it('respects 1000 metrics, 100 params, 100 tags and 1000 entities per request', () => {
    const metrics = Array.from({ length: 2_500 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i }));
    const kv = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: '' }));
    const batches = splitBatch(metrics, kv(250), kv(120));
    for (const b of batches) {
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(1_000);
    }
    expect(batches.flatMap((b) => b.metrics)).toEqual(metrics);
    expect(batches.flatMap((b) => b.params)).toHaveLength(250);
    expect(batches.flatMap((b) => b.tags)).toHaveLength(120);
    expect(batches).toHaveLength(3);
  });
});
