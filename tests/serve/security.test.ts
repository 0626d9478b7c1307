// The pure checks of `tuneflow serve` (serve/security.ts, serve/openapi.ts): which binds need a token,
// the token comparison, specs that run user code, data paths outside the root (symbolic links followed).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../catalog';
import { openApiPath } from '../../serve/openapi';
import { bearerToken, dataPathProblems, isLoopbackHost, runsUserCode, tokenMatches } from '../../serve/security';
import { tempDir } from '../helpers/temp';
import { smallSpec } from './helpers';

const dir = tempDir('serve-security');

describe('serve security checks', () => {
  it('runsUserCode reads the optional trainable and model.module fields structurally', () => {
    const spec = parseExperiment(smallSpec('plain'), 'spec.yaml');
    expect(runsUserCode(spec)).toBeNull();
    expect(runsUserCode({ ...spec, trainable: { type: 'function', module: 'train.ts' } })).toMatch(/trainable/);
    expect(runsUserCode({ ...spec, trainable: { type: 'command', command: ['python', 'train.py'] } })).toMatch(/trainable/);
    expect(runsUserCode({ ...spec, model: { ...spec.model, module: 'models/net.ts' } })).toMatch(/model\.module/);
    expect(runsUserCode({ ...spec, trainable: undefined })).toBeNull();
  });

  it('loopback hosts, bearer tokens and the constant-time comparison', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '127.0.0.1.evil.com']) expect(isLoopbackHost(h), h).toBe(false);
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(tokenMatches('secret-token-123456', 'secret-token-123456')).toBe(true);
    expect(tokenMatches('secret-token-123457', 'secret-token-123456')).toBe(false);
    expect(tokenMatches('short', 'secret-token-123456')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token-123456')).toBe(false);
  });

  it('data paths must stay under the data root, links followed', () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'data'), { recursive: true });
    writeFileSync(join(root, 'data', 'x.npy'), '');
    symlinkSync('/etc', join(root, 'data', 'etc'));
    const check = (options: Record<string, unknown>) => dataPathProblems(options, root, root).map((p) => p.path.join('.'));
    expect(check({ format: 'npy', train: 'data/x.npy', test: join(root, 'data', 'y.npy'), delimiter: ',' })).toEqual([]);
    expect(check({ format: 'npy', train: '/etc/passwd' })).toEqual(['dataset.options.train']);
    expect(check({ train: 'data/etc/passwd' })).toEqual(['dataset.options.train']);
    expect(check({ train: 'data/../../x.npy', test: '~/.ssh/id_rsa', other: 'a/../../../b' })).toEqual(['dataset.options.train', 'dataset.options.test', 'dataset.options.other']);
    // A bare word that is not a file option is not a path (e.g. format: npy).
    expect(check({ format: 'npy', kind: 'image' })).toEqual([]);
  });

  it('OpenAPI paths from fastify routes', () => {
    expect(openApiPath('/api/v1/campaigns/:id/trials/:n')).toBe('/api/v1/campaigns/{id}/trials/{n}');
  });
});
