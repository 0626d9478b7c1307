// A worker process is killed with SIGKILL in the middle of a trial. A new worker picks the segment up
// from the last checkpoint; the campaign finishes with no duplicate run and no duplicate metric point.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { campaignRuns, metricHistory, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const checkpoints = tempDir('kill');

function startWorker(): { proc: ChildProcess; output: () => string } {
  let output = '';
  const proc = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'worker', '--training-queue', 'kill-test-training'], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), MLFLOW_TRACKING_URI: mlflow, TUNEFLOW_CHECKPOINT_DIR: checkpoints },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  return { proc, output: () => output };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a worker killed in the middle of a trial', () => {
  const workers: ChildProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.kill('SIGKILL');
  });

  it('costs at most the current epoch and leaves no duplicates', async () => {
    const first = startWorker();
    workers.push(first.proc);
    const client = await connectTemporal(inject('temporalAddress'));
    const handle = await startCampaign(client, { specPath: join(root, 'tests', 'fixtures', 'specs', 'kill.yaml') });

    // Wait until trial 0 has logged its first epoch, then kill the worker mid-segment.
    const trial0 = await until(
      'trial 0 to log an epoch',
      async () => {
        const runs = await campaignRuns(mlflow, await experimentId(), handle.workflowId);
        const run = runs.find((r) => r.info.run_name === 'trial-0');
        if (!run) return undefined;
        const points = await metricHistory(mlflow, run.info.run_id, 'val_loss');
        return points.length >= 1 ? run : undefined;
      },
      240_000,
    );
    first.proc.kill('SIGKILL');
    const before = await metricHistory(mlflow, trial0.info.run_id, 'val_loss');

    const second = startWorker();
    workers.push(second.proc);
    const result = await handle.result();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed).toBe(2);

    const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const keys = runs.map((r) => {
      const t = tagsOf(r);
      return `${t['tuneflow.stage']}/${t['tuneflow.trial_number'] ?? ''}/${t['tuneflow.seed_index'] ?? ''}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')).toHaveLength(2);

    const after = await metricHistory(mlflow, trial0.info.run_id, 'val_loss');
    expect(after.map((p) => p.step).sort()).toEqual([1, 2, 3]);
    // The epochs finished before the kill were not trained again: their points are the very same ones.
    for (const p of before) expect(after).toContainEqual(p);
    expect(second.output()).toMatch(/resum\w* .*trial-0.* from epoch [1-9]/i);
    await client.connection.close();
  }, 600_000);
});

async function experimentId(): Promise<string> {
  const res = await fetch(`${mlflow}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent('tuneflow/kill-test')}`);
  const body = (await res.json()) as { experiment?: { experiment_id: string } };
  if (!body.experiment) throw new Error('no experiment yet');
  return body.experiment.experiment_id;
}
