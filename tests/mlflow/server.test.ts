// The MLflow server launcher on its own: a second, private server (the shared one belongs to the global setup).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMlflowUp, startMlflowServer } from '../../cli/services/mlflow-server';
import { isAlive } from '../../cli/services/process';
import { MlflowClient } from '../../mlflow/client';

const dir = mkdtempSync(join(tmpdir(), 'tuneflow-mlflow-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startMlflowServer', () => {
  it('serves the API and the UI, refuses a taken port, and keeps data across a restart', async () => {
    const logFile = join(dir, 'mlflow.log');
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
      const port = Number(new URL(server.url).port);
      await expect(startMlflowServer({ dir: join(dir, 'other'), port, logFile })).rejects.toThrow(`127.0.0.1:${port}: the port is already in use`);
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
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
});
