// The embedded local services `tuneflow run` uses when TEMPORAL_ADDRESS / MLFLOW_TRACKING_URI are not
// set: a Temporal dev server on a SQLite file and an MLflow server, both under `.tuneflow/`. MLflow's
// store is a SQLite file, or with `--db postgres` (TUNEFLOW_MLFLOW_DB=postgres) a local PostgreSQL
// cluster with several MLflow workers on it (docs/postgres.md). They keep running after the campaign
// (the user reads the UIs); a second run reuses them; `tuneflow down` stops them.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMlflowUp, startMlflowServer } from './mlflow-server';
import { backendStoreUri, checkMlflowDriver, DEFAULT_MLFLOW_WORKERS_ON_POSTGRES, isPostgresUp, postgresMaxConnections, startPostgres, stopPostgres } from './postgres';
import { isAlive, stopProcess } from './process';
import { isTemporalUp, startTemporalServer, registerCampaignSearchAttributes } from './temporal-server';

export type MlflowDb = 'sqlite' | 'postgres';
export const MLFLOW_DBS: readonly MlflowDb[] = ['sqlite', 'postgres'];

export interface LocalServices {
  temporal?: { address: string; uiUrl: string | null; pid: number };
  /** `db` absent: sqlite (state files written before PostgreSQL was an option). */
  mlflow?: { url: string; pid: number; db?: MlflowDb; workers?: number };
  postgres?: { pid: number; port: number; dataDir: string };
}

export class LocalServicesError extends Error {
  override readonly name = 'LocalServicesError';
}

/** The local MLflow server's store: `--db` (flag) first, else TUNEFLOW_MLFLOW_DB, else sqlite. */
export function mlflowDbChoice(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): MlflowDb {
  const [value, origin] = flag !== undefined ? [flag, '--db'] : [env.TUNEFLOW_MLFLOW_DB || 'sqlite', 'TUNEFLOW_MLFLOW_DB'];
  if (!(MLFLOW_DBS as readonly string[]).includes(value)) throw new LocalServicesError(`${origin}: expected ${MLFLOW_DBS.join(' or ')}, got "${value}"`);
  return value as MlflowDb;
}

/**
 * Worker processes of the local MLflow server: 1 on SQLite (one writer at a time: more workers only wait
 * on its lock), else TUNEFLOW_MLFLOW_WORKERS, else 4 (MLflow's own default).
 */
export function mlflowWorkers(db: MlflowDb, env: NodeJS.ProcessEnv = process.env): number {
  if (db === 'sqlite') return 1;
  const raw = env.TUNEFLOW_MLFLOW_WORKERS;
  if (raw === undefined || raw === '') return DEFAULT_MLFLOW_WORKERS_ON_POSTGRES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new LocalServicesError(`TUNEFLOW_MLFLOW_WORKERS: expected a whole number from 1 to 64, got "${raw}"`);
  return n;
}

const STATE_FILE = 'services.json';

export function readState(dir: string): LocalServices {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as LocalServices;
  } catch {
    return {};
  }
}

function writeState(dir: string, state: LocalServices): void {
  const file = join(dir, STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${file}.tmp`, file);
}

/** Reuse the services recorded in `<dir>/services.json` when they still answer; start the missing ones. */
export async function ensureLocalServices(
  dir: string,
  want: { temporal: boolean; mlflow: boolean; db?: MlflowDb },
  log: (line: string) => void = () => undefined,
): Promise<LocalServices> {
  mkdirSync(dir, { recursive: true });
  const known = readState(dir);
  // Independent servers start side by side: MLflow's start-up (Python imports) is the longer one.
  const [temporal, tracking] = await Promise.allSettled([ensureTemporal(dir, known, want, log), ensureMlflow(dir, known, want, log)]);
  // What did start is recorded even when the other failed, so `tuneflow down` can stop it.
  const state: LocalServices = {
    temporal: temporal.status === 'fulfilled' ? temporal.value : known.temporal,
    ...(tracking.status === 'fulfilled' ? tracking.value : { mlflow: known.mlflow, postgres: known.postgres }),
  };
  writeState(dir, state);
  for (const outcome of [temporal, tracking]) if (outcome.status === 'rejected') throw outcome.reason;
  return state;
}

async function ensureTemporal(dir: string, known: LocalServices, want: { temporal: boolean }, log: (line: string) => void): Promise<LocalServices['temporal']> {
  let temporal = known.temporal;
  if (want.temporal && (!temporal || !isAlive(temporal.pid) || !(await isTemporalUp(temporal.address)))) {
    log('starting the Temporal dev server (state in .tuneflow/temporal.db) ...');
    const started = Date.now();
    const server = await startTemporalServer({
      dbFile: join(dir, 'temporal.db'),
      logFile: join(dir, 'logs', 'temporal.log'),
      detached: true,
    });
    temporal = { address: server.address, uiUrl: server.uiUrl, pid: server.pid };
    log(`Temporal dev server up at ${server.address} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  // A database from an older release may lack them: registering is idempotent and cheap.
  if (want.temporal && temporal) await registerCampaignSearchAttributes(temporal.address);
  return temporal;
}

async function ensureMlflow(
  dir: string,
  known: LocalServices,
  want: { mlflow: boolean; db?: MlflowDb },
  log: (line: string) => void,
): Promise<Pick<LocalServices, 'mlflow' | 'postgres'>> {
  let { mlflow, postgres } = known;
  const db = want.db ?? 'sqlite';
  if (want.mlflow && db === 'postgres') await checkMlflowDriver(); // before anything starts: set-up may not have run
  if (want.mlflow && db === 'postgres' && (!postgres || !isPostgresUp(postgres.dataDir, postgres.pid))) {
    log('starting PostgreSQL for MLflow (data in .tuneflow/postgres/) ...');
    const server = await startPostgres({ dir: join(dir, 'postgres'), logFile: join(dir, 'logs', 'postgres.log'), detached: true, maxConnections: postgresMaxConnections(mlflowWorkers('postgres')) });
    postgres = { pid: server.pid, port: server.port, dataDir: server.dataDir };
    log(`PostgreSQL up on port ${server.port} in ${(server.startupMs / 1000).toFixed(1)} s${server.initialized ? ' (new cluster)' : ''}`);
    // An MLflow server on an earlier PostgreSQL knows only that one's port.
    if (mlflow && (mlflow.db ?? 'sqlite') === 'postgres') mlflow = await stopMlflow(mlflow, log, 'its PostgreSQL was restarted');
  }
  if (want.mlflow && mlflow && (mlflow.db ?? 'sqlite') !== db) mlflow = await stopMlflow(mlflow, log, `it runs on ${mlflow.db ?? 'sqlite'}, not ${db}`);
  if (want.mlflow && (!mlflow || !isAlive(mlflow.pid) || !(await isMlflowUp(mlflow.url)))) {
    const workers = mlflowWorkers(db);
    log(db === 'postgres'
      ? `starting the MLflow server on PostgreSQL, ${workers} workers (artifacts in .tuneflow/mlflow-postgres/) ...`
      : 'starting the MLflow server (runs in .tuneflow/mlflow/) ...');
    const started = Date.now();
    const server = await startMlflowServer({
      dir: join(dir, db === 'postgres' ? 'mlflow-postgres' : 'mlflow'),
      logFile: join(dir, 'logs', 'mlflow.log'),
      detached: true,
      workers,
      ...(db === 'postgres' && postgres ? { backendStoreUri: postgresUri(postgres) } : {}),
    });
    mlflow = { url: server.url, pid: server.pid, db, workers };
    log(`MLflow server up at ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return { mlflow, postgres };
}

async function stopMlflow(mlflow: NonNullable<LocalServices['mlflow']>, log: (line: string) => void, why: string): Promise<undefined> {
  if (isAlive(mlflow.pid)) {
    log(`stopping the local MLflow server (pid ${mlflow.pid}): ${why}`);
    await stopProcess(mlflow.pid, { group: true, graceMs: 10_000 });
  }
  return undefined;
}

function postgresUri(postgres: NonNullable<LocalServices['postgres']>): string {
  return backendStoreUri(postgres.dataDir, postgres.port);
}

/** Stop the local services recorded in `<dir>` (MLflow before the PostgreSQL it uses); returns what was stopped. */
export async function stopLocalServices(dir: string): Promise<string[]> {
  const { postgres, ...others } = readState(dir);
  const stopped: string[] = [];
  for (const [name, svc] of Object.entries(others)) {
    if (svc && isAlive(svc.pid)) {
      await stopProcess(svc.pid, { group: true });
      stopped.push(`${name} (pid ${svc.pid})`);
    }
  }
  if (postgres && isAlive(postgres.pid)) {
    await stopPostgres(postgres.pid);
    stopped.push(`postgres (pid ${postgres.pid})`);
  }
  if (existsSync(join(dir, STATE_FILE))) rmSync(join(dir, STATE_FILE));
  return stopped;
}
