// The embedded local services `tuneflow run` uses when TEMPORAL_ADDRESS / MLFLOW_TRACKING_URI are not
// set: a Temporal dev server on a SQLite file and an MLflow server, both under `.tuneflow/`. They keep
// running after the campaign (the user reads the UIs); a second run reuses them; `tuneflow down` stops them.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMlflowUp, startMlflowServer } from './mlflow-server';
import { isAlive, stopProcess } from './process';
import { isTemporalUp, startTemporalServer, registerCampaignSearchAttributes } from './temporal-server';

export interface LocalServices {
  temporal?: { address: string; uiUrl: string | null; pid: number };
  mlflow?: { url: string; pid: number };
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
  want: { temporal: boolean; mlflow: boolean },
  log: (line: string) => void = () => undefined,
): Promise<LocalServices> {
  mkdirSync(dir, { recursive: true });
  const known = readState(dir);
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
  let mlflow = known.mlflow;
  if (want.mlflow && (!mlflow || !isAlive(mlflow.pid) || !(await isMlflowUp(mlflow.url)))) {
    log('starting the MLflow server (runs in .tuneflow/mlflow/) ...');
    const started = Date.now();
    const server = await startMlflowServer({
      dir: join(dir, 'mlflow'),
      logFile: join(dir, 'logs', 'mlflow.log'),
      detached: true,
    });
    mlflow = { url: server.url, pid: server.pid };
    log(`MLflow server up at ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const state = { temporal, mlflow };
  writeState(dir, state);
  return state;
}

/** Stop the local services recorded in `<dir>`; returns what was stopped. */
export async function stopLocalServices(dir: string): Promise<string[]> {
  const known = readState(dir);
  const stopped: string[] = [];
  for (const [name, svc] of Object.entries(known)) {
    if (svc && isAlive(svc.pid)) {
      await stopProcess(svc.pid, { group: true });
      stopped.push(`${name} (pid ${svc.pid})`);
    }
  }
  if (existsSync(join(dir, STATE_FILE))) rmSync(join(dir, STATE_FILE));
  return stopped;
}
