// The PostgreSQL step: which server programs it chooses, apt-get as root, and the driver in MLflow's
// venv, with fake `postgres`, `initdb`, `apt-get`, `id`, `useradd` and MLflow python scripts. The
// real apt-get never runs here: PATH holds only the fakes a test puts there.
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { scratchFolder, script, stepContext } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadStep = () => import('../../setup/postgres.mjs');

const scratch = scratchFolder('tuneflow-postgres-test-', ['path', 'debian']);
let tmp: string;
let cache: string;
let bin: string;
let debian: string;
beforeEach(() => {
  tmp = scratch();
  cache = path.join(tmp, 'cache');
  bin = path.join(tmp, 'path');
  debian = path.join(tmp, 'debian');
});

/** A folder with fake server programs reporting `version`. */
function fakeServer(dir: string, version = '15.18'): string {
  script(path.join(dir, 'postgres'), `echo "postgres (PostgreSQL) ${version} (Debian ${version}-0+deb12u1)"`);
  script(path.join(dir, 'initdb'), `echo "initdb (PostgreSQL) ${version}"`);
  return dir;
}

const calls = (name: string) => (fs.existsSync(path.join(tmp, name)) ? fs.readFileSync(path.join(tmp, name), 'utf8').trim().split('\n') : []);

/** MLflow's venv as the mlflow step leaves it, with a python whose pip "installs" psycopg2. */
function fakeMlflowVenv(): string {
  const dir = path.join(cache, 'mlflow-3.17.2');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'installed'), 'mlflow, version 3.17.2\n');
  const installed = path.join(dir, 'venv', 'psycopg2-installed');
  return script(path.join(dir, 'venv', 'bin', 'python'), [
    `if [ "$1" = -m ]; then echo "$*" >> '${path.join(tmp, 'pip-calls')}'; touch '${installed}'; exit 0; fi`,
    `[ "$2" = "import psycopg2" ] && [ -f '${installed}' ] && exit 0`,
    'echo "ModuleNotFoundError: No module named psycopg2" >&2; exit 1',
  ].join('\n'));
}

/** An `apt-get` that logs its arguments and, on `install`, puts fake server programs in Debian's folder. */
function fakeAptGet(fails?: 'update' | 'install'): void {
  script(path.join(bin, 'apt-get'), [
    `echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> '${path.join(tmp, 'apt-calls')}'`,
    fails ? `[ "$1" = ${fails} ] && { echo "E: Unable to locate package postgresql" >&2; exit 100; }` : '',
    `if [ "$1" = install ]; then mkdir -p '${debian}/15/bin'; printf '#!/bin/sh\\necho "postgres (PostgreSQL) 15.20"\\n' > '${debian}/15/bin/postgres'; cp '${debian}/15/bin/postgres' '${debian}/15/bin/initdb'; chmod +x '${debian}/15/bin/'*; fi`,
  ].join('\n'));
}

/** `id -u NAME` succeeds for the users listed; `useradd` logs its arguments. */
function fakeUsers(...users: string[]): void {
  script(path.join(bin, 'id'), `for u in ${users.join(' ') || 'none'}; do [ "$2" = "$u" ] && { echo 101; exit 0; }; done; echo "id: '$2': no such user" >&2; exit 1`);
  script(path.join(bin, 'useradd'), `echo "$*" >> '${path.join(tmp, 'useradd-calls')}'`);
}

const ctx = (env: Record<string, string | undefined> = {}) => stepContext({ tmp, cache, bin }, env);

describe('PostgreSQL step: the server programs', () => {
  it('prefers $TUNEFLOW_POSTGRES_BIN_DIR, then Debian\'s newest version folder, then initdb on PATH (its real folder)', async () => {
    const { findBinDir } = await loadStep();
    const real = fakeServer(path.join(tmp, 'opt', 'pg16', 'bin'), '16.4');
    fs.symlinkSync(path.join(real, 'initdb'), path.join(bin, 'initdb'));
    expect(await findBinDir({ PATH: bin }, debian)).toEqual({ dir: real, version: '16.4', source: 'PATH' });

    fakeServer(path.join(debian, '13', 'bin'), '13.9');
    fakeServer(path.join(debian, '15', 'bin'), '15.18');
    fs.mkdirSync(path.join(debian, '17', 'bin'), { recursive: true }); // client programs only: skipped
    expect(await findBinDir({ PATH: bin }, debian)).toEqual({ dir: path.join(debian, '15', 'bin'), version: '15.18', source: `Debian's ${debian}` });

    const mine = fakeServer(path.join(tmp, 'mine'), '14.1');
    expect(await findBinDir({ PATH: bin, TUNEFLOW_POSTGRES_BIN_DIR: mine }, debian)).toMatchObject({ dir: mine, version: '14.1' });
    await expect(findBinDir({ PATH: bin, TUNEFLOW_POSTGRES_BIN_DIR: path.join(tmp, 'nowhere') }, debian)).rejects.toThrow(/\$TUNEFLOW_POSTGRES_BIN_DIR=.*nowhere does not hold working initdb and postgres/);
  });

  it('reuses what is there, installs the driver once into MLflow\'s venv (wheels only, pinned) and records the folder', async () => {
    const { ensure, check, DRIVER } = await loadStep();
    expect(DRIVER).toMatch(/^psycopg2-binary==\d+\.\d+\.\d+$/);
    fakeServer(path.join(debian, '15', 'bin'));
    fakeMlflowVenv();
    const { ctx: c, messages } = ctx();
    expect(await check(c, { debianRoot: debian })).toMatchObject({ ok: false, detail: expect.stringMatching(/no psycopg2-binary==.* in MLflow's venv/) });
    const first = await ensure(c, { debianRoot: debian, isRoot: false });
    expect(first.tools).toEqual({ postgresBinDir: path.join(debian, '15', 'bin') });
    expect(first.detail).toMatch(/^reused .*PostgreSQL 15\.18, from Debian's.*; installed psycopg2-binary==/);
    expect(calls('pip-calls')).toEqual([`-m pip install --disable-pip-version-check --no-input --only-binary=:all: ${DRIVER}`]);
    expect(messages).toEqual([expect.stringMatching(/pip install psycopg2-binary/)]);
    expect(fs.readFileSync(path.join(cache, 'mlflow-3.17.2', 'venv', 'tuneflow-postgres-driver'), 'utf8')).toBe(`${DRIVER}\n`);
    expect(await check(c, { debianRoot: debian })).toMatchObject({ ok: true });

    const again = await ensure(ctx().ctx, { debianRoot: debian, isRoot: false });
    expect(again.detail).toMatch(/reused psycopg2-binary==/);
    expect(calls('pip-calls')).toHaveLength(1); // pip did not run again
    expect(calls('apt-calls')).toEqual([]);
  });

  it('as root with apt-get: apt-get update, then install postgresql without recommends; creates the postgres user when missing', async () => {
    const { ensure } = await loadStep();
    fakeAptGet();
    fakeUsers();
    fakeMlflowVenv();
    const { ctx: c, messages } = ctx();
    const result = await ensure(c, { debianRoot: debian, isRoot: true });
    expect(result.tools).toEqual({ postgresBinDir: path.join(debian, '15', 'bin') });
    expect(result.detail).toMatch(/^installed .*PostgreSQL 15\.20, with apt-get\); created the system user postgres; installed psycopg2/);
    expect(calls('apt-calls')).toEqual(['update DEBIAN_FRONTEND=noninteractive', 'install -y --no-install-recommends postgresql DEBIAN_FRONTEND=noninteractive']);
    expect(calls('useradd-calls')).toEqual(['--system --user-group --no-create-home --shell /usr/sbin/nologin postgres']);
    expect(messages[0]).toMatch(/installing Debian's postgresql with apt-get/);
    expect(fs.readdirSync(path.join(cache, 'logs')).sort()).toEqual(['postgres-apt-install.log', 'postgres-apt-update.log', 'postgres-driver-install.log']);

    fakeUsers('postgres');
    expect((await ensure(ctx().ctx, { debianRoot: debian, isRoot: true })).detail).not.toMatch(/created/);
    expect(calls('apt-calls')).toHaveLength(2);
  });

  it('a failing apt-get: the error quotes it and names the log', async () => {
    const { ensure } = await loadStep();
    fakeAptGet('install');
    fakeMlflowVenv();
    await expect(ensure(ctx().ctx, { debianRoot: debian, isRoot: true })).rejects.toThrow(/apt-get install -y --no-install-recommends postgresql` failed \(exit 100\):[\s\S]*Unable to locate package postgresql[\s\S]*full log: .*postgres-apt-install\.log/);
  });

  it('not root, or no apt-get: a SetupError saying what to install, and apt-get never runs', async () => {
    const { ensure } = await loadStep();
    fakeMlflowVenv();
    await expect(ensure(ctx().ctx, { debianRoot: debian, isRoot: true })).rejects.toThrow(/no PostgreSQL: .*there is no apt-get .*apt-get install --no-install-recommends postgresql.*TUNEFLOW_POSTGRES_BIN_DIR/);
    fakeAptGet();
    await expect(ensure(ctx().ctx, { debianRoot: debian, isRoot: false })).rejects.toThrow(/no PostgreSQL: .*not running as root/);
    expect(calls('apt-calls')).toEqual([]);
  });

  it('without MLflow\'s venv it stops before installing anything and says how to go on', async () => {
    const { ensure, check } = await loadStep();
    fakeAptGet();
    await expect(ensure(ctx().ctx, { debianRoot: debian, isRoot: true })).rejects.toThrow(/MLflow's venv .* is not installed: run set-up with the mlflow step, or skip this one \(--skip-postgres\)/);
    expect(calls('apt-calls')).toEqual([]);
    fakeServer(path.join(debian, '15', 'bin'));
    expect(await check(ctx().ctx, { debianRoot: debian })).toMatchObject({ ok: false, detail: expect.stringMatching(/PostgreSQL 15\.18\), but MLflow's venv/) });
  });
});
