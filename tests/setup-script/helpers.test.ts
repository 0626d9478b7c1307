// The set-up script's pure helpers and file-system building blocks, on real temp folders.
// (The steps themselves are exercised by `npm run setup`, which every test run starts with.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadPaths = () => import('../../setup/paths.mjs');
const loadIndex = () => import('../../setup/index.mjs');
const loadNpm = () => import('../../setup/npm.mjs');
const loadUtil = () => import('../../setup/util.mjs');

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tuneflow-setup-test-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cacheDir', () => {
  it('prefers TUNEFLOW_CACHE_DIR, then XDG_CACHE_HOME/tuneflow, then ~/.cache/tuneflow', async () => {
    const { cacheDir } = await loadPaths();
    expect(cacheDir({ TUNEFLOW_CACHE_DIR: '/a/b', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/a/b');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/tuneflow');
    expect(cacheDir({}, '/home/u')).toBe('/home/u/.cache/tuneflow');
  });
});

describe('writeTools', () => {
  it('keeps entries of steps skipped this time', async () => {
    const { readTools, writeTools } = await loadPaths();
    writeTools(tmp, { temporal: '/t/temporal', mlflow: '/m/mlflow' });
    writeTools(tmp, { temporal: '/new/temporal' });
    expect(readTools(tmp)).toEqual({ temporal: '/new/temporal', mlflow: '/m/mlflow' });
  });
});

describe('parseOptions', () => {
  it('combines --skip-* flags with TUNEFLOW_SETUP_SKIP', async () => {
    const { parseOptions } = await loadIndex();
    const options = parseOptions(['--skip-temporal', '--check'], { TUNEFLOW_SETUP_SKIP: ' mlflow ,' });
    expect(options.check).toBe(true);
    expect([...options.skip].sort()).toEqual(['mlflow', 'temporal']);
    expect(parseOptions([], {}).skip.size).toBe(0);
    expect([...parseOptions(['--skip-browser'], { TUNEFLOW_SETUP_SKIP: 'tensorflow' }).skip].sort()).toEqual(['browser', 'tensorflow']);
    expect([...parseOptions(['--skip-examples'], {}).skip]).toEqual(['examples']);
    expect([...parseOptions(['--skip-postgres'], { TUNEFLOW_SETUP_SKIP: 'browser' }).skip].sort()).toEqual(['browser', 'postgres']);
  });

  it('names the unknown option or step', async () => {
    const { parseOptions } = await loadIndex();
    expect(() => parseOptions(['--fast'], {})).toThrow(/unknown option --fast/);
    expect(() => parseOptions(['--skip-npm'], {})).toThrow(/--skip-npm: unknown step "npm"/);
    expect(() => parseOptions([], { TUNEFLOW_SETUP_SKIP: 'temporal,gpu' })).toThrow(/TUNEFLOW_SETUP_SKIP: unknown step "gpu"/);
  });
});

describe('npmInstallReason', () => {
  it('asks for an install when node_modules is missing or older than package-lock.json', async () => {
    const { npmInstallReason } = await loadNpm();
    const lock = path.join(tmp, 'package-lock.json');
    const installed = path.join(tmp, 'node_modules', '.package-lock.json');
    fs.writeFileSync(lock, '{}');
    expect(npmInstallReason(tmp)).toBe('node_modules is missing');
    fs.mkdirSync(path.dirname(installed));
    fs.writeFileSync(installed, '{}');
    fs.utimesSync(lock, new Date(1_000_000), new Date(1_000_000));
    expect(npmInstallReason(tmp)).toBeNull();
    fs.utimesSync(lock, new Date(), new Date(Date.now() + 5_000));
    expect(npmInstallReason(tmp)).toBe('package-lock.json changed');
  });
});

describe('npm step with a linked node_modules', () => {
  it('never runs npm through the link (it would empty the shared folder), and says so', async () => {
    const { ensure, linkedNodeModules } = await loadNpm();
    const shared = path.join(tmp, 'main', 'node_modules');
    const worktree = path.join(tmp, 'worktree');
    fs.mkdirSync(shared, { recursive: true });
    fs.mkdirSync(worktree);
    fs.symlinkSync(shared, path.join(worktree, 'node_modules'));
    fs.writeFileSync(path.join(worktree, 'package-lock.json'), '{}'); // newer than any install: "changed"
    // PATH is empty, so an attempt to run npm would fail with "npm not found".
    const ctx = { repoRoot: worktree, cache: path.join(tmp, 'cache'), env: { PATH: '' }, progress: () => undefined };
    expect(linkedNodeModules(worktree)).toBe(shared);
    expect(linkedNodeModules(path.join(tmp, 'main'))).toBeNull();
    await expect(ensure(ctx)).rejects.toThrow(/links to .*holds no npm install: run `npm ci` in the checkout that owns it/);
    fs.writeFileSync(path.join(shared, '.package-lock.json'), '{}');
    expect((await ensure(ctx)).detail).toMatch(/^left alone: node_modules links to /);
    expect(fs.lstatSync(path.join(worktree, 'node_modules')).isSymbolicLink()).toBe(true);
  });
});

describe('buildDirAtomically', () => {
  it('leaves nothing behind when the build fails, and removes leftovers of dead runs', async () => {
    const { buildDirAtomically } = await loadUtil();
    const target = path.join(tmp, 'tool-1.0');
    fs.mkdirSync(`${target}.tmp-999999999`); // a killed run's half build (no such pid)
    await expect(buildDirAtomically(target, async (dir) => {
      fs.writeFileSync(path.join(dir, 'half'), 'x');
      throw new Error('compiler crashed');
    })).rejects.toThrow('compiler crashed');
    expect(fs.readdirSync(tmp)).toEqual([]);

    await buildDirAtomically(target, async (dir) => fs.writeFileSync(path.join(dir, 'bin'), 'ok'));
    expect(fs.readdirSync(tmp)).toEqual(['tool-1.0']);
    expect(fs.readFileSync(path.join(target, 'bin'), 'utf8')).toBe('ok');
  });
});

describe('linkOrCopy', () => {
  it('hard-links on the same file system, replacing what was there', async () => {
    const { linkOrCopy } = await loadUtil();
    const src = path.join(tmp, 'lib.so');
    const dest = path.join(tmp, 'deps-lib.so');
    fs.writeFileSync(src, 'library');
    fs.writeFileSync(dest, 'stale');
    linkOrCopy(src, dest);
    expect(fs.statSync(dest).ino).toBe(fs.statSync(src).ino);
    expect(fs.readFileSync(dest, 'utf8')).toBe('library');
  });
});

describe('run', () => {
  it('fails with a message quoting the command and its last output lines', async () => {
    const { run } = await loadUtil();
    const logFile = path.join(tmp, 'logs', 'x.log');
    await expect(run(process.execPath, ['-e', 'console.error("boom"); process.exit(3)'], { logFile }))
      .rejects.toThrow(/failed \(exit 3\):\n\s+boom\n.*full log: .*x\.log/);
    expect(fs.readFileSync(logFile, 'utf8')).toContain('boom');
    await expect(run('/no/such/tool', [])).rejects.toThrow('/no/such/tool not found');
  });
});
