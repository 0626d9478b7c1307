// Hostile requests over real HTTP against a real server (Temporal and MLflow of the global setup, no
// worker): oversize bodies, a YAML bomb, data paths outside the root, specs that would run user code, bad
// ids, another site's Host or Origin, and a non-loopback bind without or with a wrong token (401, and
// nothing was started). No token may appear in the server's log but the one line that hands it out.
import { request } from 'node:http';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../serve/command';
import { tempDir } from '../helpers/temp';
import { http, serve, smallSpec } from './helpers';

const dir = tempDir('serve-hostile');
const root = join(dir, 'data-root');
mkdirSync(root, { recursive: true });
symlinkSync('/etc', join(root, 'etc'));

const customSpec = (train: string) =>
  smallSpec('hostile').replace(
    '  name: synthetic-shapes\n  options: {trainSize: 600, testSize: 200, imageSize: 8}',
    `  name: custom\n  options:\n    format: csv\n    train: ${JSON.stringify(train)}\n    test: ${JSON.stringify(join(root, 'test.csv'))}`,
  );

/** A raw request, so the Host and Origin headers are exactly what a browser elsewhere would send. */
function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('tuneflow serve: hostile requests', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ worker: false, dataRoot: root, env: { TUNEFLOW_CHECKPOINT_DIR: dir } });
  });
  afterAll(async () => server?.close());

  it('refuses an oversize body (413), a YAML bomb, paths outside the data root and user code', async () => {
    const api = `${server.url}/api/v1/campaigns`;
    const big = await http(api, { yaml: `${smallSpec('big')}# ${'x'.repeat(1024 * 1024)}\n` });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/over the limit/);

    const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const bomb = await http(api, { yaml: `${smallSpec('bomb')}${laughs.join('\n')}\n` });
    expect(bomb.status).toBe(400);
    expect(JSON.stringify(bomb.body.problems)).toMatch(/alias/i);

    const outside = await http(api, { yaml: customSpec('/etc/passwd') });
    expect(outside.status).toBe(403);
    expect(outside.body.problems[0]).toMatchObject({ file: 'spec.yaml', path: 'dataset.options.train', line: 8 });
    const viaLink = await http(api, { yaml: customSpec(join(root, 'etc', 'passwd')) });
    expect(viaLink.status).toBe(403);
    const climbing = await http(api, { yaml: customSpec('../../etc/passwd') });
    expect(climbing.status).toBe(400);
    expect(climbing.body.problems[0].message).toMatch(/climbs out/);

    const userCode = await http(api, { yaml: `${smallSpec('code')}trainable: {type: command, command: [sh, -c, 'cat /etc/passwd']}\n` });
    expect([400, 403]).toContain(userCode.status);
    expect(JSON.stringify(userCode.body)).toMatch(/trainable/);

    const problems = await http(api, { yaml: smallSpec('bad').replace('maxTrials: 3', 'maxTrials: -3') });
    expect(problems.status).toBe(400);
    expect(problems.body.problems[0]).toMatchObject({ file: 'spec.yaml', line: 16, path: 'budget.maxTrials' });
    const wrongType = await http(api, { method: 'POST', body: smallSpec('form'), headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);

    const none = await http(`${api}?name=hostile`);
    expect(none.body.campaigns).toEqual([]);
  });

  it('bad ids are 400, unknown ones 404; another Host or Origin is refused', async () => {
    const api = `${server.url}/api/v1/campaigns`;
    expect((await http(`${api}/bad%20id`)).status).toBe(400);
    expect((await http(`${api}/${encodeURIComponent("x' OR 1=1")}`)).status).toBe(400);
    expect((await http(`${api}/${'a'.repeat(300)}`)).status).toBeGreaterThanOrEqual(400);
    expect((await http(`${api}/no-such-campaign`)).status).toBe(404);
    expect((await http(`${api}/no-such-campaign/trials`)).status).toBe(404);
    expect((await http(`${api}/no-such-campaign/pause`, { method: 'POST' })).status).toBe(404);
    expect((await http(`${api}/no-such-campaign/trials/-1`)).status).toBe(400);
    expect((await http(`${api}/no-such-campaign/trials/abc`)).status).toBe(400);
    expect((await http(`${api}?state=nonsense`)).status).toBe(400);
    expect((await http(`${api}?name=${encodeURIComponent("a' OR 'b")}`)).status).toBe(400);
    expect((await http(`${api}/no-such-campaign/concurrency`, { json: { n: 'many' } })).status).toBe(400);
    expect(await rawGet(`${api}`, { host: 'evil.example:80' })).toBe(403);
    expect(await rawGet(`${api}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await rawGet(`${api}`, {})).toBe(200);
  });

  it('a non-loopback bind needs the token on every API route and the event stream; nothing is done without it', async () => {
    const token = 'test-token-0123456789abcdef';
    const log: string[] = [];
    const open = await serve({ worker: false, host: '0.0.0.0', log, env: { TUNEFLOW_SERVE_TOKEN: token, TUNEFLOW_CHECKPOINT_DIR: dir } });
    try {
      const base = open.url.replace('0.0.0.0', '127.0.0.1');
      const api = `${base}/api/v1`;
      for (const [path, init] of [
        ['/campaigns', {}],
        ['/campaigns/x/events', {}],
        ['/campaigns/x/pause', { method: 'POST' }],
        ['/openapi.json', {}],
      ] as const) {
        expect((await http(`${api}${path}`, init)).status, path).toBe(401);
        expect((await http(`${api}${path}`, { ...init, token: 'test-token-0123456789abcdeX' })).status, path).toBe(401);
      }
      expect((await http(`${base}/healthz`)).status).toBe(401);
      const posted = await http(`${api}/campaigns`, { yaml: smallSpec('unauthorized') });
      expect(posted.status).toBe(401);
      expect((await http(`${api}/campaigns?name=unauthorized`, { token })).body.campaigns).toEqual([]);
      expect((await http(`${api}/campaigns`, { token })).status).toBe(200);
      expect((await http(`${base}/`)).status).toBe(200); // the page itself holds no data
      expect(log.join('\n')).not.toContain(token);
    } finally {
      await open.close();
    }
    const generatedLog: string[] = [];
    const generated = await serve({ worker: false, host: '0.0.0.0', log: generatedLog, env: { TUNEFLOW_CHECKPOINT_DIR: dir } });
    try {
      expect(generated.token).toMatch(/^[\w-]{40,}$/);
      expect(generatedLog.filter((l) => l.includes(generated.token!))).toHaveLength(1);
      const api = `${generated.url.replace('0.0.0.0', '127.0.0.1')}/api/v1`;
      expect((await http(`${api}/campaigns`)).status).toBe(401);
      expect((await http(`${api}/campaigns`, { token: generated.token! })).status).toBe(200);
    } finally {
      await generated.close();
    }
  });
});
