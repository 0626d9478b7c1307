// A local PostgreSQL cluster for MLflow's backend store (`tuneflow run --db postgres`, docs/postgres.md):
// initdb on first start, then `postgres` on a free loopback port with its unix socket in the data
// folder, a database `mlflow` owned by the role `tuneflow`.
// initdb and postgres refuse to run as root: as root they run as an unprivileged user (`postgres`,
// created by Debian's package or by set-up; `$TUNEFLOW_POSTGRES_USER` picks another) through setpriv.
// Access: the socket trusts whoever can reach it, and the data folder (mode 0700) lets only that user
// and root in; TCP on 127.0.0.1 asks for a password, and none is set, so it is closed until you set one.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MLFLOW_POOL_CONNECTIONS, mlflowPython, startMlflowServer, type MlflowServer } from './mlflow-server';
import { freePort, isAlive, spawnService, waitOrStop } from './process';
import { findPostgresBinDir, findTool } from './tools';

export const MLFLOW_DATABASE = 'mlflow';
export const SUPERUSER = 'tuneflow';
/** Linux's limit on a unix socket path (sun_path, 108 bytes with the final NUL). */
const MAX_SOCKET_PATH = 107;
const INITIALIZED = 'initialized';

export class PostgresError extends Error {
  override readonly name = 'PostgresError';
}

/** Who runs initdb and postgres: null for this process's own user, else the user to switch to. */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The `name:x:uid:gid:...` line of `name` in an /etc/passwd text, or null. */
export function passwdEntry(passwd: string, name: string): RunAs | null {
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/**
 * As root: the user PostgreSQL runs as (`$TUNEFLOW_POSTGRES_USER`, else `postgres`), which must exist
 * and must not be root. Any other user runs it as itself (null).
 */
export function serviceUser(uid: number, env: NodeJS.ProcessEnv, passwd: string): RunAs | null {
  if (uid !== 0) return null;
  const name = env.TUNEFLOW_POSTGRES_USER || 'postgres';
  const entry = passwdEntry(passwd, name);
  if (!entry) {
    throw new PostgresError(
      `PostgreSQL refuses to run as root and there is no user "${name}" to run it as: run \`npm run setup\` as root `
      + '(it creates `postgres`), create one (`useradd --system postgres`), or set TUNEFLOW_POSTGRES_USER to an existing unprivileged user.',
    );
  }
  if (entry.uid === 0) throw new PostgresError(`TUNEFLOW_POSTGRES_USER=${name} is root (uid 0): PostgreSQL needs an unprivileged user.`);
  return entry;
}

/** The command line that runs `command` as `runAs` (setpriv keeps the pid, so signals reach the program itself). */
export function commandAs(command: string, args: string[], runAs: RunAs | null): { command: string; args: string[] } {
  if (!runAs) return { command, args };
  return { command: 'setpriv', args: [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', command, ...args] };
}

export function initdbArgs(dataDir: string): string[] {
  // C locale: the same sort order and no dependency on the machine's installed locales.
  return ['-D', dataDir, '-U', SUPERUSER, '-E', 'UTF8', '--no-locale', '--auth-local=trust', '--auth-host=scram-sha-256'];
}

/** MLflow's worker processes on PostgreSQL unless told otherwise (`TUNEFLOW_MLFLOW_WORKERS`): it takes concurrent writers, SQLite does not. */
export const DEFAULT_MLFLOW_WORKERS_ON_POSTGRES = 4;

/**
 * Connections the cluster takes for `workers` MLflow workers: each worker's pool may open
 * MLFLOW_POOL_CONNECTIONS (mlflow-server.ts), plus a few for psql and migrations. PostgreSQL's default of
 * 100 would refuse the fourth worker's burst ("too many clients").
 */
export function postgresMaxConnections(workers: number): number {
  return workers * MLFLOW_POOL_CONNECTIONS + 20;
}

export function serverArgs(dataDir: string, port: number, maxConnections = postgresMaxConnections(DEFAULT_MLFLOW_WORKERS_ON_POSTGRES)): string[] {
  return ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`, '-c', `max_connections=${maxConnections}`];
}

/** SQLAlchemy's URI for the database through the unix socket (psycopg2 reads `host` as the socket folder). The driver is
 * named: SQLAlchemy 2.1 (in MLflow's venv) takes plain `postgresql://` to mean psycopg 3, which set-up does not install. */
export function backendStoreUri(dataDir: string, port: number): string {
  return `postgresql+psycopg2://${SUPERUSER}@/${MLFLOW_DATABASE}?host=${encodeURIComponent(dataDir)}&port=${port}`;
}

/** Line 8 of postmaster.pid is the server's state ("starting", "ready", "stopping"; PostgreSQL >= 10). */
export function postmasterStatus(pidFile: string): string | null {
  return pidFile.split('\n')[7]?.trim() || null;
}

/** Throws when `dataDir` is unusable: a socket path too long, or a folder above it `runAs` cannot enter. */
export function checkDataDir(dataDir: string, runAs: RunAs | null, stat: (p: string) => { mode: number; uid: number; gid: number } = statSync): void {
  const socket = join(dataDir, '.s.PGSQL.65535');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new PostgresError(`the PostgreSQL socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes: set TUNEFLOW_HOME to a shorter folder.`);
  }
  if (!runAs) return;
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (existsSync(dir)) {
      const s = stat(dir);
      const bit = s.uid === runAs.uid ? 0o100 : s.gid === runAs.gid ? 0o010 : 0o001;
      if (!(s.mode & bit)) {
        throw new PostgresError(
          `PostgreSQL runs as user ${runAs.name} (it refuses root), who cannot enter ${dir} (mode ${(s.mode & 0o777).toString(8)}): `
          + `allow it (\`chmod o+x ${dir}\`) or set TUNEFLOW_HOME to a folder it can reach.`,
        );
      }
    }
    if (dir === dirname(dir)) return;
  }
}

/** Runs a command to its end with `input` on stdin; rejects with its output when it fails. */
function runToEnd(command: string, args: string[], opts: { cwd: string; input?: string }): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', (err: NodeJS.ErrnoException) => reject(new PostgresError(err.code === 'ENOENT' ? `${command} not found` : err.message)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new PostgresError(`\`${[command, ...args].join(' ')}\` failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`));
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface PostgresOptions {
  /** Holds the cluster's data folder `data/` (initdb fills it on the first start, later starts reuse it; the socket lives in it too). */
  dir: string;
  logFile: string;
  /** 0 or undefined: a free port. */
  port?: number;
  /** Own process group, not tied to this process: it keeps running after the caller exits. */
  detached?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** PostgreSQL's max_connections (default: enough for DEFAULT_MLFLOW_WORKERS_ON_POSTGRES MLflow workers, postgresMaxConnections). */
  maxConnections?: number;
}

export interface PostgresServer {
  /** The data folder (PGDATA) and socket folder. */
  dataDir: string;
  port: number;
  pid: number;
  /** MLflow's `--backend-store-uri` (through the socket). */
  backendStoreUri: string;
  /** True when this start ran initdb. */
  initialized: boolean;
  startupMs: number;
  stop(): Promise<void>;
}

function ownBy(path: string, runAs: RunAs | null): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(path, runAs.uid, runAs.gid);
}

/**
 * initdb, then the database for MLflow through single-user mode (no server, no client programs needed).
 * `<dir>/initialized` is written last: a cluster without it was interrupted half-made and is made again.
 */
async function initCluster(binDir: string, dir: string, runAs: RunAs | null): Promise<void> {
  const dataDir = join(dir, 'data');
  rmSync(dataDir, { recursive: true, force: true });
  ownBy(dataDir, runAs);
  const initdb = commandAs(join(binDir, 'initdb'), initdbArgs(dataDir), runAs);
  await runToEnd(initdb.command, initdb.args, { cwd: dataDir });
  const single = commandAs(join(binDir, 'postgres'), ['--single', '-D', dataDir, 'postgres'], runAs);
  await runToEnd(single.command, single.args, { cwd: dataDir, input: `CREATE DATABASE ${MLFLOW_DATABASE} OWNER ${SUPERUSER};\n` });
  writeFileSync(join(dir, INITIALIZED), `${new Date().toISOString()}\n`);
}

export async function startPostgres(opts: PostgresOptions): Promise<PostgresServer> {
  const env = opts.env ?? process.env;
  const dir = resolve(opts.dir);
  const dataDir = join(dir, 'data');
  const runAs = serviceUser(process.getuid?.() ?? -1, env, existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '');
  checkDataDir(dataDir, runAs);
  const binDir = findPostgresBinDir(env);
  const startedAt = Date.now();
  mkdirSync(dir, { recursive: true });
  const initialized = !existsSync(join(dir, INITIALIZED));
  if (initialized) await initCluster(binDir, dir, runAs);
  const port = opts.port || (await freePort('127.0.0.1'));
  const server = commandAs(join(binDir, 'postgres'), serverArgs(dataDir, port, opts.maxConnections), runAs);
  const detached = opts.detached ?? false;
  const proc = spawnService(server.command, server.args, { logFile: opts.logFile, detached, env, cwd: dataDir });
  const stop = () => stopPostgres(proc.pid);
  const ready = async () => postmasterStatus(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8')) === 'ready';
  await waitOrStop(`PostgreSQL (${dataDir}, port ${port})`, ready, { timeoutMs: opts.timeoutMs ?? 60_000, exited: proc.exited, logFile: opts.logFile }, stop);
  return { dataDir, port, pid: proc.pid, backendStoreUri: backendStoreUri(dataDir, port), initialized, startupMs: Date.now() - startedAt, stop };
}

/** Whether the cluster in `dataDir` runs as `pid` and accepts connections. */
export function isPostgresUp(dataDir: string, pid: number): boolean {
  try {
    const pidFile = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
    return isAlive(pid) && Number(pidFile.split('\n')[0]) === pid && postmasterStatus(pidFile) === 'ready';
  } catch {
    return false;
  }
}

/**
 * Fast shutdown (SIGINT: open sessions are closed, the data is flushed); SIGTERM would wait for every
 * client, and the MLflow workers keep pooled connections. Then SIGQUIT, then SIGKILL if it lingers.
 */
export async function stopPostgres(pid: number, graceMs = 15_000): Promise<void> {
  for (const [signal, waitMs] of [['SIGINT', graceMs], ['SIGQUIT', 5000], ['SIGKILL', 2000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
    if (!isAlive(pid)) return;
  }
}

export interface MlflowOnPostgresOptions {
  /** PostgreSQL's folder (its data folder is `data/` inside). */
  postgresDir: string;
  /** MLflow's folder: its `artifacts/`. */
  mlflowDir: string;
  logDir: string;
  /** MLflow's worker processes (default DEFAULT_MLFLOW_WORKERS_ON_POSTGRES). */
  workers?: number;
  detached?: boolean;
}

export interface MlflowOnPostgres {
  postgres: PostgresServer;
  mlflow: MlflowServer;
  /** MLflow, then PostgreSQL. */
  stop(): Promise<void>;
}

/** Throws unless MLflow's Python has psycopg2 (set-up's postgres step installs it into the venv). */
export async function checkMlflowDriver(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const python = mlflowPython(findTool('mlflow', env));
  if (!existsSync(python)) return; // an MLflow installed some other way: its own start error will tell
  await runToEnd(python, ['-c', 'import psycopg2'], { cwd: process.cwd() }).catch(() => {
    throw new PostgresError(`MLflow's Python (${python}) has no PostgreSQL driver (psycopg2): run \`npm run setup\` (its postgres step installs psycopg2-binary into MLflow's venv).`);
  });
}

/** A PostgreSQL cluster and an MLflow server with several workers on it. */
export async function startMlflowOnPostgres(opts: MlflowOnPostgresOptions): Promise<MlflowOnPostgres> {
  const detached = opts.detached ?? false;
  await checkMlflowDriver();
  const workers = opts.workers ?? DEFAULT_MLFLOW_WORKERS_ON_POSTGRES;
  const postgres = await startPostgres({ dir: opts.postgresDir, logFile: join(opts.logDir, 'postgres.log'), detached, maxConnections: postgresMaxConnections(workers) });
  let mlflow: MlflowServer;
  try {
    mlflow = await startMlflowServer({
      dir: opts.mlflowDir,
      logFile: join(opts.logDir, 'mlflow.log'),
      detached,
      backendStoreUri: postgres.backendStoreUri,
      workers,
    });
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  return {
    postgres,
    mlflow,
    stop: async () => {
      await mlflow.stop();
      await postgres.stop();
    },
  };
}
