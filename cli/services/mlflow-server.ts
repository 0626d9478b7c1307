// Launches a real MLflow tracking server: a SQLite backend store (in WAL mode) with one worker process (SQLite
// has a single writer), or a database server's (PostgreSQL, cli/services/postgres.ts) with several; a local
// artifact folder served through the server's artifact proxy (so clients only ever need the HTTP URL).
// MLflow's Flask app runs under gunicorn's threaded workers, not MLflow's default uvicorn (gunicornOptions).
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnService, stopProcess, waitOrStop } from './process';
import { findTool, readToolsFile } from './tools';

export interface MlflowServerOptions {
  /** Holds `mlflow.db` and `artifacts/`; created if missing. Reusing a folder keeps all earlier runs. */
  dir: string;
  /** A database server's SQLAlchemy URI instead of `<dir>/mlflow.db` (then `dir` holds the artifacts only). */
  backendStoreUri?: string;
  /** Worker processes (default 1). */
  workers?: number;
  /** MLflow's own default server (uvicorn) even where gunicorn would serve (serverChoiceArgs): for side-by-side benches. */
  mlflowDefaultServer?: boolean;
  /** Interface to bind (default 127.0.0.1). For 0.0.0.0 also pass `allowedHosts` for the names users type. */
  host?: string;
  /** 0 or undefined: a free port. */
  port?: number;
  logFile: string;
  /** Own process group, not tied to this process: it keeps running after the caller exits. */
  detached?: boolean;
  /** Extra Host headers MLflow's DNS-rebinding guard accepts (it allows localhost and private IPs by default). */
  allowedHosts?: string[];
  /** Extra CORS origins (MLflow allows localhost origins by default). */
  corsAllowedOrigins?: string[];
  /** How long to wait for `/health` (default 90 s; a first start creates the database). */
  timeoutMs?: number;
}

export interface MlflowServer {
  /** Tracking URI and UI address, e.g. http://127.0.0.1:5000. */
  url: string;
  pid: number;
  /** Milliseconds from spawn until `/health` answered. */
  startupMs: number;
  stop(): Promise<void>;
}

/** True when an MLflow server answers `GET <url>/health` with 200 within `timeoutMs`. */
export async function isMlflowUp(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await fetch(new URL('health', withTrailingSlash(url)), { signal: AbortSignal.timeout(timeoutMs) });
    await response.text();
    return response.ok;
  } catch {
    return false;
  }
}

export async function startMlflowServer(opts: MlflowServerOptions): Promise<MlflowServer> {
  const dir = resolve(opts.dir);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ? opts.port : await freePort(host);
  // A server already on the port would answer /health and be mistaken for ours.
  if (opts.port) await assertPortFree(host, port);
  mkdirSync(join(dir, 'artifacts'), { recursive: true });

  // tools.json read once: where `mlflow` is, and whether set-up gave that MLflow its gunicorn.
  const tools = readToolsFile();
  const mlflow = findTool('mlflow', process.env, tools);
  if (!opts.backendStoreUri) await useWal(mlflow, join(dir, 'mlflow.db'));
  const args = [
    'server',
    '--backend-store-uri', opts.backendStoreUri ?? `sqlite:///${join(dir, 'mlflow.db')}`,
    '--artifacts-destination', join(dir, 'artifacts'),
    '--serve-artifacts',
    '--host', host,
    '--port', String(port),
    '--workers', String(opts.workers ?? 1),
    ...(opts.mlflowDefaultServer ? [] : serverChoiceArgs(mlflow, tools)),
  ];
  if (opts.allowedHosts?.length) args.push('--allowed-hosts', opts.allowedHosts.join(','));
  if (opts.corsAllowedOrigins?.length) args.push('--cors-allowed-origins', opts.corsAllowedOrigins.join(','));

  // MLflow 3 also starts a job runner with seven huey consumer processes (GenAI judges, trace
  // rollups). tuneflow uses none of it, and on a small machine they cost more than the server.
  const env = {
    ...process.env,
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: process.env.MLFLOW_SERVER_ENABLE_JOB_EXECUTION ?? 'false',
    ...sqlPoolEnv(process.env),
  };
  const detached = opts.detached ?? false;
  const startedAt = Date.now();
  const proc = spawnService(mlflow, args, { logFile: opts.logFile, detached, env });
  // Non-detached, the server shares our process group (Ctrl-C reaches it) and is stopped by pid:
  // `mlflow server` forwards SIGTERM to its gunicorn child and exits after it.
  const stop = () => stopProcess(proc.pid, { group: detached, graceMs: 10_000 });
  const url = `http://${connectHost(host)}:${port}`;
  await waitOrStop(`MLflow server (${url})`, () => isMlflowUp(url), { timeoutMs: opts.timeoutMs ?? 90_000, exited: proc.exited, logFile: opts.logFile }, stop);
  return { url, pid: proc.pid, startupMs: Date.now() - startedAt, stop };
}

/** Threads one MLflow worker process serves requests on, one request per thread (as many as uvicorn's anyio limiter gave). */
export const MLFLOW_REQUEST_THREADS = 40;

/**
 * gunicorn's options for MLflow's Flask app. MLflow 3 serves it by default through uvicorn, FastAPI and a
 * WSGI bridge; the same trial-like requests cost its one Python process 14–15 ms of CPU each there and
 * 7–9 ms under gunicorn (docs/benchmarks.md, "MLflow under gunicorn"), and that process is what a campaign
 * of short trials waits on. Threaded workers (`gthread`) serve MLFLOW_REQUEST_THREADS requests at once;
 * idle keep-alive connections stay open longer than Node's client keeps them (4 s), so the server never
 * closes one the client is about to reuse; a stop finishes requests in flight within stopProcess's grace.
 */
export function gunicornOptions(): string {
  // No control socket: gunicorn 26 would otherwise open one in ~/.gunicorn/, shared by every server.
  return `--worker-class gthread --threads ${MLFLOW_REQUEST_THREADS} --keep-alive 15 --timeout 120 --graceful-timeout 8 --no-control-socket`;
}

/**
 * gunicorn where `mlflow` is the set-up's MLflow, whose gunicorn version set-up pins (tools.json
 * `mlflowGunicorn`); any other MLflow (`$TUNEFLOW_MLFLOW_BIN`, PATH) keeps its own default server.
 */
export function serverChoiceArgs(mlflow: string, tools: Record<string, string>): string[] {
  return tools.mlflowGunicorn === mlflow ? ['--gunicorn-opts', gunicornOptions()] : [];
}

/**
 * Pooled database connections per MLflow worker: enough that the pool can never run dry. MLflow's SQL store
 * opens a second session (a second pooled connection) inside `log_batch` (for params, metrics, tags) and
 * `create_run` (the experiment) while it holds the first. SQLAlchemy's default pool has 15 connections (5 +
 * 10 overflow): 15 of those requests at once each hold one connection and wait for another that never
 * comes, until the pool's 30 s timeout fails them (HTTP 400 after 30 s; docs/benchmarks.md, "The 30-second
 * MLflow stalls"). With two connections per request thread no request ever waits for the pool.
 */
export const MLFLOW_POOL_CONNECTIONS = 2 * MLFLOW_REQUEST_THREADS;

/** The pool settings (MLflow's env vars) the server starts with, unless the caller's environment sets them. */
export function sqlPoolEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const size = 5; // kept open between bursts; the rest opens on demand and closes again
  return {
    MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: env.MLFLOW_SQLALCHEMYSTORE_POOL_SIZE ?? String(size),
    MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: env.MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW ?? String(MLFLOW_POOL_CONNECTIONS - size),
  };
}

/**
 * Puts the SQLite file (created when missing) in WAL mode, which it keeps: readers no longer block the one
 * writer nor it them. A 400-trial zero-cost campaign's writes then took half as long (log-batch 0.42 s
 * instead of 0.82 s) and none took 5 s or more, against 10 to 48 in rollback mode (docs/benchmarks.md).
 * Best effort, with MLflow's own Python: where it fails, the server runs in SQLite's default mode.
 */
async function useWal(mlflow: string, dbFile: string): Promise<void> {
  if (inWalMode(dbFile)) return; // set once, kept by the file: no Python start-up on every later start
  const python = mlflowPython(mlflow);
  if (!existsSync(python)) return; // an MLflow installed some other way
  const script = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')";
  await promisify(execFile)(python, ['-c', script, dbFile], { timeout: 30_000 }).catch(() => undefined);
}

/** The Python beside an `mlflow` script: the venv's interpreter for set-up's MLflow (check it exists: another install may have none). */
export function mlflowPython(mlflow: string): string {
  return join(dirname(mlflow), 'python');
}

/** Whether a SQLite file's header says WAL (its read and write format versions, bytes 18 and 19, are 2). */
function inWalMode(dbFile: string): boolean {
  try {
    const header = Buffer.alloc(20);
    const fd = openSync(dbFile, 'r');
    try {
      return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // missing or unreadable: the PRAGMA creates or reports it
  }
}

/** The address a local client uses for a bind address: wildcards mean "this machine". */
function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`Cannot start MLflow on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message}.`)),
    );
    probe.listen(port, host, () => probe.close(() => resolvePromise()));
  });
}
