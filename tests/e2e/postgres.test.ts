// The end-to-end campaign (tiny.yaml, as in campaign.test.ts) on an MLflow server whose store is a
// local PostgreSQL cluster and which runs two worker processes (cli/services/postgres.ts), with the
// same MLflow layout asserted, and the rows checked in PostgreSQL itself. The same campaign then runs
// on the global setup's SQLite-backed server, and both wall times are printed side by side.
// Without PostgreSQL (`npm run setup` provides it) the file fails saying so.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLFLOW_DATABASE, SUPERUSER, startMlflowOnPostgres, type MlflowOnPostgres } from '../../cli/services/postgres';
import { findPostgresBinDir } from '../../cli/services/tools';
import { runCampaignToEnd, type FinishedCampaign } from '../helpers/campaign';
import { metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const spec = join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml');
const root = tempDir('postgres');
// As root, PostgreSQL runs as the unprivileged `postgres` user, who must be able to enter the folder.
chmodSync(root, 0o755);
const WORKERS = 2;

const byStage = (runs: RestRun[], stage: string) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === stage);

/** psql through the cluster's socket; one value per row. */
function sql(services: MlflowOnPostgres, query: string): string[] {
  const psql = join(findPostgresBinDir(), 'psql');
  const out = execFileSync(existsSync(psql) ? psql : 'psql', [
    '-h', services.postgres.dataDir, '-p', String(services.postgres.port), '-U', SUPERUSER, '-d', MLFLOW_DATABASE, '-tAX', '-c', query,
  ], { encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean);
}

/** The processes below `pid` (from /proc), with their command lines. */
function descendants(pid: number): string[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  const found: string[] = [];
  const visit = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' '));
      visit(child);
    }
  };
  visit(pid);
  return found;
}

describe('the end-to-end campaign on MLflow with PostgreSQL', () => {
  let services: MlflowOnPostgres;
  let onPostgres: FinishedCampaign;
  let onSqlite: FinishedCampaign;

  beforeAll(async () => {
    const t0 = Date.now();
    services = await startMlflowOnPostgres({
      postgresDir: join(root, 'postgres'),
      mlflowDir: join(root, 'mlflow'),
      logDir: join(root, 'logs'),
      workers: WORKERS,
    });
    const t1 = Date.now();
    onPostgres = await runCampaignToEnd(spec, join(root, 'checkpoints-postgres'), { mlflowTrackingUri: services.mlflow.url });
    await onPostgres.workers.shutdown(); // before the SQLite run's workers poll the same task queues
    const t2 = Date.now();
    onSqlite = await runCampaignToEnd(spec, join(root, 'checkpoints-sqlite'));
    await onSqlite.workers.shutdown();
    const t3 = Date.now();
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    // The workflow's own wall time (start to result), and in brackets with the in-process workers' start.
    const wall = (c: FinishedCampaign, ms: number) => `${s(c.result.timing.wallSeconds * 1000)} (${s(ms)})`;
    console.log(
      `MLflow on PostgreSQL (${WORKERS} workers) up in ${s(t1 - t0)} (PostgreSQL ${s(services.postgres.startupMs)}, new cluster: ${services.postgres.initialized}); `
      + `tiny campaign: PostgreSQL ${wall(onPostgres, t2 - t1)}, SQLite ${wall(onSqlite, t3 - t2)}`,
    );
  }, 300_000);

  afterAll(async () => {
    await services?.stop();
  });

  it('completes with a best trial and a retrained model', () => {
    const { result } = onPostgres;
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed + result.trials.pruned + result.trials.failed).toBe(4);
    expect(result.best).not.toBeNull();
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
  });

  it('logs one parent run and one nested run per trial and per retrain, as on SQLite', () => {
    const { result, runs } = onPostgres;
    const parent = byStage(runs, 'campaign');
    expect(parent.map((r) => r.info.run_id)).toEqual([result.mlflow.parentRunId]);
    expect(byStage(runs, 'search').map((r) => r.info.run_name).sort()).toEqual(['trial-0', 'trial-1', 'trial-2', 'trial-3']);
    expect(byStage(runs, 'retrain')).toHaveLength(1);
    for (const run of [...byStage(runs, 'search'), ...byStage(runs, 'retrain')]) {
      expect(tagsOf(run)['mlflow.parentRunId']).toBe(result.mlflow.parentRunId);
      expect(['FINISHED', 'FAILED']).toContain(run.info.status);
    }
    // The parent run is named after the workflow id, which differs.
    const names = (c: FinishedCampaign) => c.runs.map((r) => (tagsOf(r)['tuneflow.stage'] === 'campaign' ? 'campaign' : `${tagsOf(r)['tuneflow.stage']}:${r.info.run_name}`)).sort();
    expect(names(onPostgres)).toEqual(names(onSqlite));
  });

  it('records one metric point per epoch for each trial', async () => {
    for (const run of byStage(onPostgres.runs, 'search')) {
      const steps = (await metricHistory(services.mlflow.url, run.info.run_id, 'val_loss')).map((m) => m.step).sort((a, b) => a - b);
      expect(new Set(steps).size).toBe(steps.length);
      if (tagsOf(run)['tuneflow.state'] === 'COMPLETE') expect(steps).toEqual([1, 2]);
    }
  });

  it('keeps the runs and their metrics as rows in PostgreSQL', async () => {
    const { result, runs } = onPostgres;
    const ids = sql(services, `SELECT run_uuid FROM runs WHERE experiment_id = ${Number(result.mlflow.experimentId)} ORDER BY run_uuid`);
    expect(ids).toEqual(runs.map((r) => r.info.run_id).sort());
    const trial = byStage(runs, 'search')[0]!;
    const points = await metricHistory(services.mlflow.url, trial.info.run_id, 'val_loss');
    expect(points.length).toBeGreaterThan(0);
    expect(sql(services, `SELECT count(*) FROM metrics WHERE run_uuid = '${trial.info.run_id}' AND key = 'val_loss'`)).toEqual([String(points.length)]);
  });

  it('serves them from an MLflow server on the PostgreSQL URI with several workers', () => {
    const cmdline = readFileSync(`/proc/${services.mlflow.pid}/cmdline`, 'utf8').split('\0');
    expect(services.postgres.backendStoreUri).toMatch(/^postgresql\+psycopg2:\/\/tuneflow@\/mlflow\?host=/);
    expect(cmdline[cmdline.indexOf('--backend-store-uri') + 1]).toBe(services.postgres.backendStoreUri);
    expect(cmdline[cmdline.indexOf('--workers') + 1]).toBe(String(WORKERS));
    // gunicorn's arbiter and the workers it forks, all with its command line.
    expect(descendants(services.mlflow.pid).filter((c) => c.includes('gunicorn'))).toHaveLength(WORKERS + 1);
  });
});
