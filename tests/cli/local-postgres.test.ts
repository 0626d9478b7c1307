// `tuneflow run --db postgres`'s local services (cli/services/local.ts) for real: PostgreSQL and an
// MLflow server on it start under the state folder, a second run reuses both, asking for SQLite
// replaces the MLflow server (PostgreSQL keeps its data), and `tuneflow down` stops all of them.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMlflowUp } from '../../cli/services/mlflow-server';
import { ensureLocalServices, readState, stopLocalServices } from '../../cli/services/local';
import { isAlive } from '../../cli/services/process';
import { tempDir } from '../helpers/temp';

const dir = tempDir('local-postgres');
chmodSync(dir, 0o755); // as root, PostgreSQL runs as the `postgres` user, who must enter the folder

describe('local services with MLflow on PostgreSQL', () => {
  const previousWorkers = process.env.TUNEFLOW_MLFLOW_WORKERS;
  process.env.TUNEFLOW_MLFLOW_WORKERS = '2';
  afterAll(async () => {
    await stopLocalServices(dir); // whatever a failed test left running
    if (previousWorkers === undefined) delete process.env.TUNEFLOW_MLFLOW_WORKERS;
    else process.env.TUNEFLOW_MLFLOW_WORKERS = previousWorkers;
  });

  it('starts, reuses, switches the store and stops', async () => {
    const lines: string[] = [];
    const first = await ensureLocalServices(dir, { temporal: false, mlflow: true, db: 'postgres' }, (l) => lines.push(l));
    expect(first.mlflow).toMatchObject({ db: 'postgres', workers: 2 });
    expect(first.postgres?.dataDir).toBe(join(dir, 'postgres', 'data'));
    expect(isAlive(first.postgres!.pid)).toBe(true);
    expect(await isMlflowUp(first.mlflow!.url)).toBe(true);
    expect(readFileSync(`/proc/${first.mlflow!.pid}/cmdline`, 'utf8')).toContain(`postgresql+psycopg2://tuneflow@/mlflow?host=${encodeURIComponent(first.postgres!.dataDir)}`);
    expect(lines.join('\n')).toMatch(/PostgreSQL up on port \d+ in [\d.]+ s \(new cluster\)[\s\S]*MLflow server up at/);
    expect(readState(dir)).toEqual(first);

    const again = await ensureLocalServices(dir, { temporal: false, mlflow: true, db: 'postgres' });
    expect(again).toEqual(first);

    const onSqlite = await ensureLocalServices(dir, { temporal: false, mlflow: true, db: 'sqlite' }, (l) => lines.push(l));
    expect(onSqlite.mlflow).toMatchObject({ db: 'sqlite', workers: 1 });
    expect(onSqlite.mlflow!.pid).not.toBe(first.mlflow!.pid);
    expect(isAlive(first.mlflow!.pid)).toBe(false);
    expect(lines).toContain(`stopping the local MLflow server (pid ${first.mlflow!.pid}): it runs on postgres, not sqlite`);
    expect(existsSync(join(dir, 'mlflow', 'mlflow.db'))).toBe(true);

    const stopped = await stopLocalServices(dir);
    expect(stopped).toEqual([`mlflow (pid ${onSqlite.mlflow!.pid})`, `postgres (pid ${first.postgres!.pid})`]);
    expect(isAlive(first.postgres!.pid)).toBe(false);
    expect(isAlive(onSqlite.mlflow!.pid)).toBe(false);
    expect(readState(dir)).toEqual({});
  }, 180_000);
});
