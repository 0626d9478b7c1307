// A worker trains in a child process per slot. Killing that process mid-segment fails one attempt with a
// retryable error; the worker stays up, a fresh process resumes the segment from its last checkpoint, and
// killing the worker itself leaves no training process behind.
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { metricHistory } from '../helpers/mlflow-queries';
import { firstEpochLogged, isRunning, startWorkerProcess, trainingChildren, until, type WorkerProcess } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const checkpoints = tempDir('child-kill');

describe('a training process killed in the middle of a segment', () => {
  let worker: WorkerProcess | undefined;
  afterAll(() => {
    worker?.proc.kill('SIGKILL');
  });

  it('fails one attempt, not the worker; the retry resumes in a fresh process', async () => {
    worker = startWorkerProcess('child-kill-training', checkpoints);
    const workerPid = worker.proc.pid!;
    const client = await connectTemporal(inject('temporalAddress'));
    const handle = await startCampaign(client, { specPath: join(__dirname, '..', 'fixtures', 'specs', 'child-kill.yaml') });

    // The first epoch reaches MLflow from the training process: the worker logs what its child streams back.
    const trial0 = await firstEpochLogged('tuneflow/child-kill-test', handle.workflowId);
    const [child, ...others] = trainingChildren(workerPid);
    expect(others).toEqual([]); // one slot, one training process
    process.kill(child!, 'SIGKILL');
    const before = await metricHistory(mlflow, trial0.info.run_id, 'val_loss');

    const result = await handle.result();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed).toBe(2);
    expect(worker.proc.exitCode).toBeNull();
    expect(isRunning(workerPid)).toBe(true);

    const after = await metricHistory(mlflow, trial0.info.run_id, 'val_loss');
    expect(after.map((p) => p.step).sort()).toEqual([1, 2, 3, 4]);
    for (const p of before) expect(after).toContainEqual(p); // epochs done before the kill were not trained again
    expect(worker.output()).toMatch(/resum\w* .*trial-0.* from epoch [1-9]/i);

    // Temporal retried the segment after a failure named after the dead process, not a worker timeout.
    const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
    const retried = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes).filter((a) => a && (a.attempt ?? 1) > 1);
    expect(retried).toHaveLength(1);
    expect(retried[0]!.lastFailure?.applicationFailureInfo?.type).toBe('TrainingProcessExitedError');
    expect(retried[0]!.lastFailure?.message).toMatch(new RegExp(`^training process ${child} was killed by SIGKILL`));

    // The killed process is gone; its replacement served the rest of the campaign.
    expect(isRunning(child!)).toBe(false);
    const replacements = trainingChildren(workerPid);
    expect(replacements).toHaveLength(1);
    expect(replacements).not.toContain(child);

    // A worker killed outright takes its training process with it.
    worker.proc.kill('SIGKILL');
    await until('the training process to exit with its worker', async () => (replacements.some(isRunning) ? undefined : true), 10_000);
    await client.connection.close();
  }, 600_000);
});
