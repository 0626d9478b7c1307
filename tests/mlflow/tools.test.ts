// Finding the external programs: environment variable, then tools.json, then PATH.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDir, findTool } from '../../cli/services/tools';

const root = mkdtempSync(join(tmpdir(), 'tuneflow-tools-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('cacheDir', () => {
  it('prefers TUNEFLOW_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheDir({ TUNEFLOW_CACHE_DIR: '/a/b', XDG_CACHE_HOME: '/x' })).toBe('/a/b');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/tuneflow');
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'tuneflow'));
  });
});

describe('findTool', () => {
  const cache = join(root, 'cache');
  const recorded = executable(join(root, 'venv', 'bin', 'mlflow'));
  const onPath = executable(join(root, 'path', 'mlflow'));
  const override = executable(join(root, 'custom', 'mlflow'));
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'tools.json'), JSON.stringify({ mlflow: recorded }));
  const pathDirs = `/nonexistent:${join(root, 'path')}`;

  it('uses the environment variable first', () => {
    expect(findTool('mlflow', { TUNEFLOW_CACHE_DIR: cache, PATH: pathDirs, TUNEFLOW_MLFLOW_BIN: override })).toBe(override);
    expect(() => findTool('mlflow', { TUNEFLOW_MLFLOW_BIN: join(root, 'missing') })).toThrow(/TUNEFLOW_MLFLOW_BIN=.* is not an executable file/);
  });

  it('then what set-up recorded in tools.json, then PATH', () => {
    expect(findTool('mlflow', { TUNEFLOW_CACHE_DIR: cache, PATH: pathDirs })).toBe(recorded);
    expect(findTool('mlflow', { TUNEFLOW_CACHE_DIR: join(root, 'empty-cache'), PATH: pathDirs })).toBe(onPath);
  });

  it('tells the user to run set-up when the tool is nowhere', () => {
    expect(() => findTool('temporal', { TUNEFLOW_CACHE_DIR: cache, PATH: '/nonexistent' })).toThrow(
      /Cannot find `temporal`: it is not in .*tools\.json nor on PATH\. Run `npm run setup` \(or set TUNEFLOW_TEMPORAL_BIN\)\./,
    );
  });
});
