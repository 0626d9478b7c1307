// A worker process is killed with SIGKILL in the middle of a trial. A new worker picks the segment up
// from the last checkpoint; the campaign finishes with no duplicate run and no duplicate metric point,
// and the killed worker's training process does not outlive it.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { campaignRuns, metricHistory, tagsOf } from '../helpers/mlflow-queries';
import { firstEpochLogged, isRunning, startWorkerProcess, trainingChildren, until } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const checkpoints = tempDir('kill');
const startWorker = () => startWorkerProcess('kill-test-training', checkpoints);

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
    const trial0 = await firstEpochLogged('tuneflow/kill-test', handle.workflowId);
    // The segment runs in the worker's training process, which must not outlive its worker.
    const children = trainingChildren(first.proc.pid!);
    expect(children).toHaveLength(1);
    first.proc.kill('SIGKILL');
    await until('the killed worker\'s training process to exit', async () => (children.some(isRunning) ? undefined : true), 10_000);
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
