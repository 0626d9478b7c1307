// Live control of a running campaign through Temporal updates: each request is validated, a bad one
// is refused without a trace in the history, and pause/enqueue/extend/stop/cancel do what they say.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, ControlRejectedError, startCampaign, type CampaignHandle } from '../../cli/client';
import type { RunningWorkers } from '../../cli/worker';
import { campaignRuns, tagsOf } from '../helpers/mlflow-queries';
import { experimentId } from '../helpers/processes';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const root = join(__dirname, '..', '..');
const address = inject('temporalAddress');
const mlflow = inject('mlflowTrackingUri');
const spec = join(root, 'tests', 'fixtures', 'specs', 'control.yaml');
const checkpoints = tempDir('control');

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The built CLI as a child process; asynchronous, since this process also runs the workflow worker. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: address, MLFLOW_TRACKING_URI: mlflow },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('live control', () => {
  let workers: RunningWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(checkpoints, { temporalAddress: address, mlflowTrackingUri: mlflow });
  });
  afterAll(async () => workers?.shutdown());

  it('refuses bad requests without recording them; pause, enqueue, extend, set-concurrency, resume and stop work', async () => {
    const client = await connectTemporal(address);
    const h: CampaignHandle = await startCampaign(client, { specPath: spec });
    await until('the first trial', async () => (await h.status()).trials.total >= 1);

    await expect(h.extend({ trials: -1 })).rejects.toThrow(/extend rejected: trials must be a positive integer/);
    await expect(h.setConcurrency(0)).rejects.toBeInstanceOf(ControlRejectedError);
    await expect(h.enqueue([{ bogus: 1 }])).rejects.toThrow(/unknown parameter "bogus"/);
    await expect(h.resume()).rejects.toThrow(/not paused/);
    const rejected = await cli(['set-concurrency', h.workflowId, '0']);
    expect(rejected.code, rejected.stderr).toBe(2);
    expect(rejected.stderr).toContain('set-concurrency rejected: concurrency must be an integer from 1 to 1000');

    expect((await h.pause()).phase).toBe('paused');
    await until('running segments to finish', async () => (await h.status()).trials.running <= 1);
    const paused = (await h.status()).trials.total;
    await new Promise((r) => setTimeout(r, 3000));
    expect((await h.status()).trials.total).toBe(paused);

    await h.enqueue([{ learningRate: 0.005, units: 32 }]);
    expect((await h.extend({ trials: 1 })).budget?.maxTrials).toBe(5);
    expect((await h.setConcurrency(2)).budget?.maxConcurrentTrials).toBe(2);
    const status = JSON.parse((await cli(['status', h.workflowId, '--json'])).stdout);
    expect(status.requests).toEqual(['pause']);
    await h.resume();
    await until('the enqueued trial', async () => (await h.leaderboard()).some((r) => r.trialNumber === paused));
    const enqueued = (await h.leaderboard()).find((r) => r.trialNumber === paused)!;
    expect(enqueued.params).toEqual({ learningRate: 0.005, units: 32 });

    await h.stop();
    const result = await h.result();
    expect(result.status).toBe('STOPPED');
    expect(result.trials.completed).toBeGreaterThanOrEqual(paused + 1);
    expect(result.trials.completed).toBeLessThan(5 + 1);
    expect(result.retrain).toHaveLength(1);

    // Accepted updates are in the history; the refused ones left nothing.
    const history = await client.workflow.getHandle(h.workflowId).fetchHistory();
    const accepted = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const names = accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name);
    expect(names).toEqual(['pause', 'enqueue', 'extend', 'setConcurrency', 'resume', 'stop']);
    await client.connection.close();
  }, 300_000);

  it('cancel stops running segments now, skips retrain and marks the runs KILLED', async () => {
    const client = await connectTemporal(address);
    const h = await startCampaign(client, { specPath: spec });
    // A trial mid-training (its MLflow run exists, runs, and has logged an epoch of its three): a cancel that
    // lands before its first segment starts leaves no run to mark.
    await until('a running trial with a logged epoch', async () => {
      const runs = await campaignRuns(mlflow, await experimentId(h.spec.tracking.experimentName), h.workflowId);
      return runs.some((r) => tagsOf(r)['tuneflow.stage'] === 'search' && r.info.status === 'RUNNING' && (r.data.metrics?.length ?? 0) > 0);
    });
    await h.cancel();
    const result = await h.result();
    expect(result.status).toBe('CANCELLED');
    expect(result.retrain).toEqual([]);
    const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const killed = runs.filter((r) => r.info.status === 'KILLED');
    expect(killed.length).toBeGreaterThanOrEqual(1);
    for (const r of killed) expect(tagsOf(r)['tuneflow.reason']).toBe('cancelled');
    await expect(h.pause()).rejects.toThrow();
    await client.connection.close();
  }, 300_000);

  it('a cancel that lands while a trial\'s first segment opens its MLflow run still ends that run', async () => {
    const client = await connectTemporal(address);
    const h = await startCampaign(client, { specPath: spec });
    const history = client.workflow.getHandle(h.workflowId);
    // Polled without a pause: opening the run takes only tens of milliseconds. The workflow has not learned
    // the run's id yet when the cancel lands, so finishRun must find the run by its key.
    const scheduled = async () =>
      (await history.fetchHistory()).events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainSegment') ?? false;
    for (const deadline = Date.now() + 60_000; !(await scheduled()); ) if (Date.now() > deadline) throw new Error('no segment was ever scheduled');
    await h.cancel();
    expect((await h.result()).status).toBe('CANCELLED');
    const runs = await campaignRuns(mlflow, await experimentId(h.spec.tracking.experimentName), h.workflowId);
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials.length).toBeGreaterThanOrEqual(1);
    for (const r of trials) expect(r.info.status, `run ${r.info.run_id}`).not.toBe('RUNNING');
    await client.connection.close();
  }, 300_000);
});
