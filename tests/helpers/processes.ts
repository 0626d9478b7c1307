// Worker processes started from dist/ for the end-to-end tests that kill them, and process probes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { campaignRuns, metricHistory, type RestRun } from './mlflow-queries';

const root = join(__dirname, '..', '..');

export interface WorkerProcess {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
}

/** `tuneflow worker --training-queue <queue>` (control queue included) against the test services; `env` adds to its environment. */
export function startWorkerProcess(trainingQueue: string, checkpointDir: string, env: NodeJS.ProcessEnv = {}): WorkerProcess {
  let output = '';
  const proc = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'worker', '--training-queue', trainingQueue], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'), TUNEFLOW_CHECKPOINT_DIR: checkpointDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  return { proc, output: () => output };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The MLflow experiment's id, once a campaign has created it. */
export async function experimentId(experimentName: string): Promise<string> {
  const res = await fetch(`${inject('mlflowTrackingUri')}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`);
  const body = (await res.json()) as { experiment?: { experiment_id: string } };
  if (!body.experiment) throw new Error('no experiment yet');
  return body.experiment.experiment_id;
}

/** Waits until the campaign's `trial-0` run has logged its first epoch (`metric`, default `val_loss`), and returns that run. */
export function firstEpochLogged(experimentName: string, campaignId: string, metric = 'val_loss'): Promise<RestRun> {
  const mlflow = inject('mlflowTrackingUri');
  return until(
    'trial 0 to log an epoch',
    async () => {
      const run = (await campaignRuns(mlflow, await experimentId(experimentName), campaignId)).find((r) => r.info.run_name === 'trial-0');
      if (!run) return undefined;
      return (await metricHistory(mlflow, run.info.run_id, metric)).length >= 1 ? run : undefined;
    },
    240_000,
  );
}

/** Whether a process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false; // gone between the two checks
  }
}

/** The training processes (training/child/main.js) whose parent is `pid`. */
export function trainingChildren(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no such process
  }
  return out
    .split('\n')
    .filter((line) => line.includes(join('training', 'child', 'main.js')))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Every process whose command line contains `marker` (e.g. a temp folder only one test uses). */
export function processesMatching(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter(isRunning);
}
