// Credentials come from the environment under the names Temporal's and MLflow's own tools use, reach
// the servers as headers or TLS settings, and never show in messages.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalConfig } from '../../cli/config';
import { MlflowClient, MlflowError, redactUserInfo } from '../../mlflow/client';

describe('Temporal connection settings from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-tls-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('plain by default; an API key turns TLS on and names the namespace', () => {
    expect(temporalConfig('h:7233', {}).connection).toEqual({ address: 'h:7233' });
    const { connection, namespace } = temporalConfig('h:7233', { TEMPORAL_API_KEY: 'k', TEMPORAL_NAMESPACE: 'ns.acct' });
    expect(namespace).toBe('ns.acct');
    expect(connection).toEqual({ address: 'h:7233', apiKey: 'k', metadata: { 'temporal-namespace': 'ns.acct' }, tls: true });
    expect(temporalConfig('h:7233', { TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).connection.tls).toBe(false);
  });

  it("reads mTLS files, CA and server name under Temporal's variable names (and the short ones)", () => {
    const crt = file('c.pem', 'CERT');
    const key = file('k.pem', 'KEY');
    const ca = file('ca.pem', 'CA');
    const tls = temporalConfig('h:7233', {
      TEMPORAL_TLS_CLIENT_CERT_PATH: crt,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }).connection.tls as Record<string, unknown>;
    expect(String((tls.clientCertPair as { crt: Buffer }).crt)).toBe('CERT');
    expect(String((tls.clientCertPair as { key: Buffer }).key)).toBe('KEY');
    expect(String(tls.serverRootCACertificate)).toBe('CA');
    expect(tls.serverNameOverride).toBe('temporal.internal');
    const short = temporalConfig('h:7233', { TEMPORAL_TLS_CERT: crt, TEMPORAL_TLS_KEY: key }).connection.tls as Record<string, unknown>;
    expect(String((short.clientCertPair as { crt: Buffer }).crt)).toBe('CERT');
    expect(temporalConfig('h:7233', { TEMPORAL_TLS: 'true' }).connection.tls).toBe(true);
  });

  it('refuses half a client certificate pair', () => {
    expect(() => temporalConfig('h:7233', { TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.pem' })).toThrow(/needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
  });
});

describe('MLflow credentials', () => {
  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD and a token from MLFLOW_TRACKING_TOKEN (the token wins)', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"experiment": {"experiment_id": "1", "name": "e", "lifecycle_stage": "active"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await new MlflowClient({ trackingUri: uri, env: { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'pw:1' } }).getExperiment('1');
      await new MlflowClient({ trackingUri: uri, env: { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'pw', MLFLOW_TRACKING_TOKEN: 't0k' } }).getExperiment('1');
      await new MlflowClient({ trackingUri: uri, env: {} }).getExperiment('1');
      expect(seen).toEqual([`Basic ${Buffer.from('bob:pw:1').toString('base64')}`, 'Bearer t0k', undefined]);
    } finally {
      server.close();
    }
  });

  it('strips user:password from URLs in messages', () => {
    expect(redactUserInfo('https://alice:s3cret@mlflow.example.com/x')).toBe('https://***@mlflow.example.com/x');
    let message = '';
    try {
      new MlflowClient({ trackingUri: 'ht!tp://alice:s3cret@host', env: {} });
    } catch (err) {
      expect(err).toBeInstanceOf(MlflowError);
      message = (err as Error).message;
    }
    expect(message).toContain('trackingUri must be an http(s) URL');
    expect(message).not.toContain('s3cret');
    expect(new MlflowClient({ trackingUri: 'http://alice:s3cret@host:5000', env: {} }).trackingUri).toBe('http://host:5000');
  });
});
