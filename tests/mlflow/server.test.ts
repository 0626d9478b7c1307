// The MLflow server launcher on its own: a second, private server (the shared one belongs to the global setup).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { logBatchBurst } from '../../bench/mlflow-burst';
import { gunicornOptions, isMlflowUp, MLFLOW_POOL_CONNECTIONS, MLFLOW_REQUEST_THREADS, serverChoiceArgs, sqlPoolEnv, startMlflowServer } from '../../cli/services/mlflow-server';
import { isAlive } from '../../cli/services/process';
import { MlflowClient } from '../../mlflow/client';

const dir = mkdtempSync(join(tmpdir(), 'tuneflow-mlflow-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startMlflowServer', () => {
  it('serves the API and the UI, refuses a taken port, and keeps data across a restart', async () => {
    const logFile = join(dir, 'mlflow.log');
    let gunicornPid = 0;
    const server = await startMlflowServer({ dir: join(dir, 'store'), logFile });
    let experimentId: string;
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(server.startupMs).toBeGreaterThan(0);
      expect(await isMlflowUp(server.url)).toBe(true);
      const ui = await fetch(server.url);
      expect(ui.status).toBe(200);
      expect(ui.headers.get('content-type')).toContain('text/html');

      experimentId = await new MlflowClient({ trackingUri: server.url }).createExperiment('survives-restart');
      // SQLite in WAL mode: the file header's read and write versions (bytes 18 and 19) are 2, and the log is beside it.
      expect([...readFileSync(join(dir, 'store', 'mlflow.db')).subarray(18, 20)]).toEqual([2, 2]);
      expect(existsSync(join(dir, 'store', 'mlflow.db-wal'))).toBe(true);
      // The set-up's MLflow serves through gunicorn's threaded workers (cheaper per request than uvicorn).
      const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(server.pid)]).toString().trim().split('\n');
      expect(children).toHaveLength(1);
      expect(children[0]).toContain(`-m gunicorn ${gunicornOptions()}`);
      gunicornPid = Number(children[0]!.trim().split(' ')[0]);
      const port = Number(new URL(server.url).port);
      await expect(startMlflowServer({ dir: join(dir, 'other'), port, logFile })).rejects.toThrow(`127.0.0.1:${port}: the port is already in use`);
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect(isAlive(gunicornPid)).toBe(false);
    expect(await isMlflowUp(server.url)).toBe(false);

    // Detached: its own process group, so it can outlive the caller; same folder, same data.
    const again = await startMlflowServer({ dir: join(dir, 'store'), logFile, detached: true });
    try {
      expect(execFileSync('ps', ['-o', 'pgid=', '-p', String(again.pid)]).toString().trim()).toBe(String(again.pid));
      const experiment = await new MlflowClient({ trackingUri: again.url }).getExperimentByName('survives-restart');
      expect(experiment?.experimentId).toBe(experimentId);
    } finally {
      await again.stop();
    }
    expect(isAlive(again.pid)).toBe(false);
  });

  it('runs gunicorn only for the set-up\'s MLflow, whose gunicorn version set-up pins', () => {
    const ours = '/cache/mlflow-3.17.2/venv/bin/mlflow';
    expect(serverChoiceArgs(ours, { mlflow: ours, mlflowGunicorn: ours })).toEqual(['--gunicorn-opts', gunicornOptions()]);
    expect(serverChoiceArgs('/opt/other/bin/mlflow', { mlflow: ours, mlflowGunicorn: ours })).toEqual([]);
    expect(serverChoiceArgs(ours, { mlflow: ours })).toEqual([]);
    expect(gunicornOptions()).toContain(`--threads ${MLFLOW_REQUEST_THREADS}`);
  });

  // MLflow's log-batch holds one pooled connection while it opens a second: with SQLAlchemy's default pool
  // (15) a burst of 48 left every connection waiting for another, and after the pool's 30 s timeout MLflow
  // answered 400 (docs/benchmarks.md). The shared server is started by the same launcher.
  it('sizes the database pool so a burst of log-batch requests never waits for it', async () => {
    expect(sqlPoolEnv({})).toEqual({ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '5', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: String(MLFLOW_POOL_CONNECTIONS - 5) });
    expect(sqlPoolEnv({ MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '3' }).MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW).toBe('3');
    const burst = await logBatchBurst(inject('mlflowTrackingUri'), 48);
    expect(burst.statuses).toEqual({ 200: 48 });
    expect(burst.maxSeconds).toBeLessThan(20);
  }, 120_000);
});
