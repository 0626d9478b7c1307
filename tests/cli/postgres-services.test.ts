// The logic of the local PostgreSQL service and of choosing it (cli/services/postgres.ts, local.ts,
// tools.ts): pure functions on plain inputs, the bin-folder search on real temp folders, and the
// `--db` option through the built CLI. The real cluster runs in tests/e2e/postgres.test.ts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalServicesError, mlflowDbChoice, mlflowWorkers } from '../../cli/services/local';
import { backendStoreUri, checkDataDir, commandAs, initdbArgs, passwdEntry, postmasterStatus, serverArgs, serviceUser } from '../../cli/services/postgres';
import { findPostgresBinDir } from '../../cli/services/tools';
import { runNode } from '../helpers/run-node';

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const repo = join(__dirname, '..', '..');

describe('choosing the local MLflow store', () => {
  it('takes --db first, then TUNEFLOW_MLFLOW_DB, else sqlite, and names the origin of a bad value', () => {
    expect(mlflowDbChoice(undefined, {})).toBe('sqlite');
    expect(mlflowDbChoice(undefined, { TUNEFLOW_MLFLOW_DB: 'postgres' })).toBe('postgres');
    expect(mlflowDbChoice('sqlite', { TUNEFLOW_MLFLOW_DB: 'postgres' })).toBe('sqlite');
    expect(() => mlflowDbChoice('mysql', {})).toThrow(new LocalServicesError('--db: expected sqlite or postgres, got "mysql"'));
    expect(() => mlflowDbChoice(undefined, { TUNEFLOW_MLFLOW_DB: 'Postgres' })).toThrow(/^TUNEFLOW_MLFLOW_DB: expected sqlite or postgres, got "Postgres"$/);
  });

  it('gives SQLite one MLflow worker and PostgreSQL TUNEFLOW_MLFLOW_WORKERS or 4', () => {
    expect(mlflowWorkers('sqlite', { TUNEFLOW_MLFLOW_WORKERS: '8' })).toBe(1);
    expect(mlflowWorkers('postgres', {})).toBe(4);
    expect(mlflowWorkers('postgres', { TUNEFLOW_MLFLOW_WORKERS: '2' })).toBe(2);
    for (const bad of ['0', '2.5', 'many', '65']) expect(() => mlflowWorkers('postgres', { TUNEFLOW_MLFLOW_WORKERS: bad })).toThrow(`TUNEFLOW_MLFLOW_WORKERS: expected a whole number from 1 to 64, got "${bad}"`);
  });
});

describe('running PostgreSQL', () => {
  it('runs as itself unless root; as root as `postgres` or TUNEFLOW_POSTGRES_USER, never as root', () => {
    expect(passwdEntry(PASSWD, 'postgres')).toEqual({ name: 'postgres', uid: 101, gid: 104 });
    expect(passwdEntry(PASSWD, 'post')).toBeNull();
    expect(serviceUser(1000, {}, PASSWD)).toBeNull();
    expect(serviceUser(0, {}, PASSWD)).toEqual({ name: 'postgres', uid: 101, gid: 104 });
    expect(serviceUser(0, { TUNEFLOW_POSTGRES_USER: 'alice' }, PASSWD)).toMatchObject({ uid: 1000 });
    expect(() => serviceUser(0, { TUNEFLOW_POSTGRES_USER: 'bob' }, PASSWD)).toThrow(/refuses to run as root and there is no user "bob".*npm run setup/);
    expect(() => serviceUser(0, { TUNEFLOW_POSTGRES_USER: 'root' }, PASSWD)).toThrow(/TUNEFLOW_POSTGRES_USER=root is root/);
  });

  it('builds the command lines: setpriv to switch user, initdb with the tuneflow role, loopback and the socket in the data folder', () => {
    expect(commandAs('/pg/initdb', ['-D', '/d'], null)).toEqual({ command: '/pg/initdb', args: ['-D', '/d'] });
    expect(commandAs('/pg/initdb', ['-D', '/d'], { name: 'postgres', uid: 101, gid: 104 })).toEqual({
      command: 'setpriv',
      args: ['--reuid=101', '--regid=104', '--clear-groups', '--', '/pg/initdb', '-D', '/d'],
    });
    expect(initdbArgs('/d')).toEqual(['-D', '/d', '-U', 'tuneflow', '-E', 'UTF8', '--no-locale', '--auth-local=trust', '--auth-host=scram-sha-256']);
    expect(serverArgs('/d', 5433)).toEqual(['-D', '/d', '-p', '5433', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=/d', '-c', 'max_connections=340']);
    expect(serverArgs('/d', 5433, 180).at(-1)).toBe('max_connections=180');
  });

  it('gives MLflow a psycopg2 URI through the socket, the folder escaped', () => {
    expect(backendStoreUri('/srv/my data/pg', 5433)).toBe('postgresql+psycopg2://tuneflow@/mlflow?host=%2Fsrv%2Fmy%20data%2Fpg&port=5433');
  });

  it('reads the server state from postmaster.pid', () => {
    const pidFile = (status: string) => `4242\n/d\n1733470000\n5433\n/d\n127.0.0.1\n  5433001    32768\n${status}\n`;
    expect(postmasterStatus(pidFile('ready   '))).toBe('ready');
    expect(postmasterStatus(pidFile('starting'))).toBe('starting');
    expect(postmasterStatus('4242\n/d\n')).toBeNull();
  });

  it('refuses a socket path over the kernel limit, and a folder above the data the service user cannot enter', () => {
    expect(() => checkDataDir(`/tmp/${'x'.repeat(90)}/data`, null)).toThrow(/socket path .* is longer than 107 bytes: set TUNEFLOW_HOME/);
    const user = { name: 'postgres', uid: 101, gid: 104 };
    const modes: Record<string, { mode: number; uid: number; gid: number }> = {
      '/': { mode: 0o755, uid: 0, gid: 0 },
      '/root': { mode: 0o700, uid: 0, gid: 0 },
      '/root/repo': { mode: 0o755, uid: 0, gid: 0 },
      '/root/repo/.tuneflow': { mode: 0o750, uid: 0, gid: 104 },
    };
    const stat = (p: string) => modes[p] ?? { mode: 0o755, uid: 0, gid: 0 };
    // /root and / exist on every Linux machine; the check only reads the fake modes above.
    expect(() => checkDataDir('/root/repo/.tuneflow/postgres/data', user, stat)).toThrow(/runs as user postgres \(it refuses root\), who cannot enter \/root \(mode 700\): allow it \(`chmod o\+x \/root`\)/);
    modes['/root'] = { mode: 0o711, uid: 0, gid: 0 };
    expect(() => checkDataDir('/root/repo/.tuneflow/postgres/data', user, stat)).not.toThrow();
    expect(() => checkDataDir('/root/repo/.tuneflow/postgres/data', null, stat)).not.toThrow();
  });
});

describe('findPostgresBinDir', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'tuneflow-pgbin-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  const server = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    for (const p of ['initdb', 'postgres']) writeFileSync(join(dir, p), '#!/bin/sh\n', { mode: 0o755 });
    return dir;
  };

  it('takes the variable, then tools.json, then Debian\'s newest folder, then initdb on PATH; else says to run set-up', () => {
    const env = { TUNEFLOW_CACHE_DIR: join(tmp, 'cache'), PATH: join(tmp, 'path') };
    const debian = join(tmp, 'debian');
    expect(() => findPostgresBinDir(env, debian)).toThrow(/Cannot find PostgreSQL's server programs .*run `npm run setup`/);
    const onPath = server(join(tmp, 'opt', 'bin'));
    mkdirSync(env.PATH);
    symlinkSync(join(onPath, 'initdb'), join(env.PATH, 'initdb'));
    expect(findPostgresBinDir(env, debian)).toBe(onPath);
    server(join(debian, '9.6', 'bin'));
    const v15 = server(join(debian, '15', 'bin'));
    expect(findPostgresBinDir(env, debian)).toBe(v15);
    const recorded = server(join(tmp, 'recorded'));
    mkdirSync(env.TUNEFLOW_CACHE_DIR);
    writeFileSync(join(env.TUNEFLOW_CACHE_DIR, 'tools.json'), JSON.stringify({ postgresBinDir: recorded }));
    expect(findPostgresBinDir(env, debian)).toBe(recorded);
    const mine = server(join(tmp, 'mine'));
    expect(findPostgresBinDir({ ...env, TUNEFLOW_POSTGRES_BIN_DIR: mine }, debian)).toBe(mine);
    chmodSync(join(mine, 'postgres'), 0o644);
    expect(() => findPostgresBinDir({ ...env, TUNEFLOW_POSTGRES_BIN_DIR: mine }, debian)).toThrow(/TUNEFLOW_POSTGRES_BIN_DIR=.* does not hold PostgreSQL's initdb and postgres/);
  });
});

describe('tuneflow run --db', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runNode([join(repo, 'dist', 'cli', 'main.js'), ...args], { cwd: repo, env: { TUNEFLOW_MLFLOW_DB: '', ...env } });
  const spec = join(repo, 'tests', 'fixtures', 'specs', 'tiny.yaml');

  it('rejects an unknown store, and --db beside MLFLOW_TRACKING_URI, before starting anything', async () => {
    const bad = await cli(['run', spec, '--db', 'mysql']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('tuneflow: --db: expected sqlite or postgres, got "mysql"');
    const both = await cli(['run', spec, '--db', 'postgres'], { MLFLOW_TRACKING_URI: 'http://127.0.0.1:1' });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--db chooses the store of the local MLflow server, but MLFLOW_TRACKING_URI points at another server/);
    const help = await cli(['--help']);
    expect(help.stdout).toMatch(/--db sqlite\|postgres/);
  });
});
