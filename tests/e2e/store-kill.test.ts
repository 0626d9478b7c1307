// Workers that share no disk: two `tuneflow worker` processes with separate local checkpoint folders and
// the MLflow checkpoint store. The first is killed with SIGKILL mid-trial after it logged an epoch; the
// second resumes the trial from the checkpoint it downloads (at most the epoch in progress is trained
// again), the campaign completes with no duplicate run, and finished trials leave nothing in the store.
// Once for tuneflow's engine (a CNN) and once for a training function; the two run side by side so they
// share the wait for the heartbeat timeout.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { STORE_PREFIX } from '../../stores';
import { artifactPaths, campaignRuns, metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { firstEpochLogged, startWorkerProcess, type WorkerProcess } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const workers: ChildProcess[] = [];
afterAll(() => {
  for (const w of workers) w.kill('SIGKILL');
});

interface Scenario {
  spec: string;
  queue: string;
  experiment: string;
  metric: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs the campaign, kills the first worker after trial 0 logged an epoch, and finishes it on a second worker with its own folder. */
async function killAndResume(s: Scenario) {
  const folders = [tempDir(`${s.queue}-a`), tempDir(`${s.queue}-b`)];
  const start = (folder: string): WorkerProcess => {
    const w = startWorkerProcess(s.queue, folder, { TUNEFLOW_CHECKPOINT_STORE: 'mlflow', ...s.env });
    workers.push(w.proc);
    return w;
  };
  const first = start(folders[0]!);
  const client = await connectTemporal(inject('temporalAddress'));
  try {
    const handle = await startCampaign(client, { specPath: s.spec });
    const trial0 = await firstEpochLogged(s.experiment, handle.workflowId, s.metric);
    // The checkpoint is stored before its epoch is logged: it is there now.
    expect(await artifactPaths(mlflow, trial0.info.run_id, STORE_PREFIX)).toContain(`${STORE_PREFIX}/manifest.json`);
    first.proc.kill('SIGKILL');
    const before = await metricHistory(mlflow, trial0.info.run_id, s.metric);
    const second = start(folders[1]!);
    const result = await handle.result();
    return { result, trial0, before, first, second, folders };
  } finally {
    await client.connection.close();
  }
}

async function checkCampaign(run: Awaited<ReturnType<typeof killAndResume>>, s: Scenario, trials: number, epochs: number): Promise<RestRun[]> {
  const { result, trial0, before, first, second, folders } = run;
  expect(result.status).toBe('COMPLETED');
  expect(result.trials.completed).toBe(trials);
  // The second worker resumed trial 0 from the checkpoint it downloaded into its own, empty folder.
  expect(second.output()).toMatch(/resumed trial-0 .* from epoch [1-9] checkpoint/);
  expect(second.output()).toMatch(/checkpoint store mlflow: trial-0 of \S+: restored [1-9]\d* files \([^)]+\) in \d+ requests/);
  expect(first.output()).not.toMatch(/resumed trial-0/);
  expect(existsSync(join(folders[0]!, result.workflowId, 'trial-0'))).toBe(true); // the killed worker's cache: nothing shared it

  const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
  const keys = runs.map((r) => {
    const t = tagsOf(r);
    return `${t['tuneflow.stage']}/${t['tuneflow.trial_number'] ?? ''}/${t['tuneflow.seed_index'] ?? ''}`;
  });
  expect(new Set(keys).size).toBe(keys.length);
  const search = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
  expect(search).toHaveLength(trials);

  // Every epoch once; those logged before the kill are the very same points (not trained again).
  const after = await metricHistory(mlflow, trial0.info.run_id, s.metric);
  expect(after.map((p) => p.step).sort()).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
  for (const p of before) expect(after).toContainEqual(p);

  // Finished trials leave nothing in the store; the retrain run keeps its final checkpoint on purpose.
  for (const r of search) expect(await artifactPaths(mlflow, r.info.run_id)).not.toContain(STORE_PREFIX);
  const retrain = runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'retrain')!;
  expect(await artifactPaths(mlflow, retrain.info.run_id, STORE_PREFIX)).toContain(`${STORE_PREFIX}/manifest.json`);
  return runs;
}

describe.concurrent('workers with separate folders and the MLflow checkpoint store', () => {
  it("resume tuneflow's engine on the worker that did not start it", async () => {
    const s: Scenario = { spec: join(root, 'tests', 'fixtures', 'specs', 'store-kill.yaml'), queue: 'store-kill-training', experiment: 'tuneflow/store-kill', metric: 'val_loss' };
    const run = await killAndResume(s);
    await checkCampaign(run, s, 2, 3);
    expect(run.result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
  }, 300_000);

  it('resume a training function from its own checkpoint, training at most the epoch in progress again', async () => {
    const epochLog = join(tempDir('store-kill-function-log'), 'epochs.log');
    writeFileSync(epochLog, '');
    const s: Scenario = {
      spec: join(root, 'tests', 'fixtures', 'trainables', 'store-kill.yaml'),
      queue: 'store-kill-function',
      experiment: 'tuneflow/store-kill-function',
      metric: 'val_accuracy',
      env: { FN_EPOCH_SLEEP_MS: '1500', FN_EPOCH_LOG: epochLog },
    };
    const run = await killAndResume(s);
    await checkCampaign(run, s, 1, 4);
    // "<trial> <epoch>" per epoch trained: the search epochs, then the retrain's two.
    const trained = readFileSync(epochLog, 'utf8').trim().split('\n').slice(0, -2);
    expect([...new Set(trained)].sort()).toEqual(['0 1', '0 2', '0 3', '0 4']);
    expect(trained.length - new Set(trained).size).toBeLessThanOrEqual(1);
    expect(run.result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0.8); // the evaluate stage read the restored checkpoint
  }, 300_000);
});
