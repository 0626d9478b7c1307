// The REST API against real Temporal and MLflow: a small campaign posted as YAML, followed through the
// event stream, listed, steered (one update accepted, one refused with the campaign's reason as a 409),
// then its trials, one trial's per-epoch metrics, best, importance, report and results zip (unzipped and
// read); the OpenAPI document lists exactly the routes served.
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../serve/command';
import { tempDir } from '../helpers/temp';
import { http, readEvents, serve, smallSpec, until } from './helpers';

const dir = tempDir('serve-api');

describe('tuneflow serve: the REST API', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ env: { TUNEFLOW_CHECKPOINT_DIR: dir } });
  });
  afterAll(async () => server?.close());

  it('starts, lists, reports status, steers, streams events, serves trials, report and zip', async () => {
    const api = `${server.url}/api/v1`;
    const posted = await http(`${api}/campaigns`, { yaml: smallSpec('serve-api', 3) });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    const id: string = posted.body.id;
    expect(posted.body).toMatchObject({ name: 'serve-api', maxTrials: 3 });
    const stream = readEvents(`${api}/campaigns/${id}/events`);

    const listed = await http(`${api}/campaigns?status=running`);
    expect(listed.status).toBe(200);
    expect(listed.body.campaigns.map((c: { id: string }) => c.id)).toContain(id);

    await until('the first trial', async () => ((await http(`${api}/campaigns/${id}`)).body.progress?.trials.total ?? 0) >= 1);
    const status = await http(`${api}/campaigns/${id}`);
    expect(status.body).toMatchObject({ id, workflowStatus: 'RUNNING', progress: { name: 'serve-api', budget: { maxTrials: 3, maxConcurrentTrials: 1 } } });

    // Refused by the campaign's validator: 409 with its reason, nothing recorded. Accepted: the new budget.
    const refused = await http(`${api}/campaigns/${id}/resume`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/resume rejected: the campaign is not paused/);
    const accepted = await http(`${api}/campaigns/${id}/concurrency`, { json: { n: 2 } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.progress.budget.maxConcurrentTrials).toBe(2);
    const invalid = await http(`${api}/campaigns/${id}/extend`, { json: { trials: 0 } });
    expect(invalid.status).toBe(400);

    await until('the campaign to finish', async () => (await http(`${api}/campaigns/${id}`)).body.workflowStatus === 'COMPLETED', 180_000);
    await stream.done;
    const kinds = stream.events.map((e) => e.event);
    expect(kinds).toContain('progress');
    expect(kinds.at(-1)).toBe('end');
    const trialEvents = stream.events.filter((e) => e.event === 'trial');
    expect(trialEvents.map((e) => e.data.trialNumber).sort()).toEqual([0, 1, 2]);
    expect(trialEvents.every((e) => e.data.state === 'COMPLETE')).toBe(true);

    const done = await http(`${api}/campaigns/${id}`);
    expect(done.body.progress.phase).toBe('done');
    expect(done.body.progress.best.trialNumber).toBeGreaterThanOrEqual(0);
    expect(done.body.links.mlflow).toMatch(/#\/experiments\/\d+\/runs\//);

    const byNumber = await http(`${api}/campaigns/${id}/trials?sort=number&order=desc&limit=2`);
    expect(byNumber.body.total).toBe(3);
    expect(byNumber.body.trials.map((t: { trialNumber: number }) => t.trialNumber)).toEqual([2, 1]);
    const ranked = await http(`${api}/campaigns/${id}/trials`);
    const values = ranked.body.trials.map((t: { values: number[] }) => t.values[0]);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(ranked.body.trials[0].rank).toBe(1);

    const trial = await http(`${api}/campaigns/${id}/trials/1`);
    expect(trial.status, JSON.stringify(trial.body)).toBe(200);
    expect(trial.body).toMatchObject({ trialNumber: 1, state: 'COMPLETE', epochs: 2 });
    expect(Object.keys(trial.body.params).sort()).toEqual(['learningRate', 'units']);
    expect(trial.body.metrics.val_loss.map((p: { step: number }) => p.step)).toEqual([1, 2]);
    expect(trial.body.metrics.val_loss[1].value).toBeCloseTo(trial.body.values[0], 6);
    expect((await http(`${api}/campaigns/${id}/trials/7`)).status).toBe(404);

    const best = await http(`${api}/campaigns/${id}/best`);
    expect(best.body.best.trialNumber).toBe(done.body.progress.best.trialNumber);
    const importance = await http(`${api}/campaigns/${id}/importance`);
    expect(importance.status).toBe(200);
    expect(importance.body.importance.map((p: { param: string }) => p.param).sort()).toEqual(['learningRate', 'units']);

    // Finished: a control verb is refused, extend continues it as a new campaign (as `tuneflow extend`).
    expect((await http(`${api}/campaigns/${id}/pause`, { method: 'POST' })).status).toBe(409);

    const report = await http(`${api}/campaigns/${id}/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/text\/html/);
    expect(report.body).toContain(id);
    expect((report.body.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);

    const zip = await http(`${api}/campaigns/${id}/results.zip`);
    expect(zip.status).toBe(200);
    const files = unzipSync(zip.body);
    const folder = `tuneflow-report-${id}`;
    expect(Object.keys(files)).toEqual(expect.arrayContaining([`${folder}/report.html`, `${folder}/trials.csv`, `${folder}/leaderboard.csv`, `${folder}/results.yaml`, `${folder}/plots/history.svg`]));
    expect(strFromU8(files[`${folder}/trials.csv`]!).trim().split('\n')).toHaveLength(4);
    expect(strFromU8(files[`${folder}/results.yaml`]!)).toContain('complete: 3');
  }, 240_000);

  it('serves an OpenAPI 3.1 document listing every route with its schemas', async () => {
    const doc = (await http(`${server.url}/api/v1/openapi.json`)).body;
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const verbs = ['pause', 'resume', 'stop', 'cancel', 'extend', 'enqueue', 'concurrency'].map((v) => `POST /api/v1/campaigns/{id}/${v}`);
    expect(routes.sort()).toEqual(
      [
        'GET /api/v1/campaigns',
        'POST /api/v1/campaigns',
        'GET /api/v1/campaigns/{id}',
        'GET /api/v1/campaigns/{id}/trials',
        'GET /api/v1/campaigns/{id}/trials/{n}',
        'GET /api/v1/campaigns/{id}/best',
        'GET /api/v1/campaigns/{id}/importance',
        'GET /api/v1/campaigns/{id}/report',
        'GET /api/v1/campaigns/{id}/results.zip',
        'GET /api/v1/campaigns/{id}/events',
        'GET /api/v1/openapi.json',
        'GET /healthz',
        ...verbs,
      ].sort(),
    );
    const trials = doc.paths['/api/v1/campaigns/{id}/trials'].get;
    expect(trials.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['path:id', 'query:offset', 'query:limit', 'query:sort', 'query:order']);
    expect(trials.responses['200'].content['application/json'].schema.properties.trials.type).toBe('array');
    expect(Object.keys(doc.paths['/api/v1/campaigns'].post.requestBody.content)).toContain('application/yaml');
    expect(doc.paths['/api/v1/campaigns/{id}/extend'].post.requestBody.content['application/json'].schema.properties.trials.minimum).toBe(1);
    for (const ops of Object.values(doc.paths as Record<string, Record<string, { responses: object; operationId: string }>>)) {
      for (const op of Object.values(ops)) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        expect(op.operationId).toMatch(/^[a-z][A-Za-z0-9]+$/);
      }
    }
  });

  it('/healthz: both services reachable, this process polls the control and training queues', async () => {
    const health = await http(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    const workers = Object.fromEntries(health.body.queues.map((q: { name: string; kind: string; workers: number }) => [`${q.name}/${q.kind}`, q.workers]));
    expect(workers['tuneflow/workflow']).toBeGreaterThanOrEqual(1);
    expect(workers['tuneflow-training/activity']).toBeGreaterThanOrEqual(1);
  });
});
