// A spec whose GPU queue no worker polls, with a CPU fallback queue: every segment falls back after
// `fallbackAfter`, and the job's evaluation and checkpoint clean-up follow it there, so trials end
// COMPLETE (not re-marked failed by a clean-up that waited for a GPU worker) and the retrain is evaluated.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign, type CampaignResult } from '../../cli/client';
import { startWorkers, type RunningWorkers } from '../../cli/worker';
import { campaignRuns, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const spec = join(__dirname, '..', 'fixtures', 'specs', 'fallback.yaml');

describe('GPU queue with a CPU fallback, no GPU worker', () => {
  let workers: RunningWorkers;
  let result: CampaignResult;
  let runs: RestRun[];

  beforeAll(async () => {
    // Only the fallback queue has a worker (tuneflow run's in-process worker would poll both and hide the bug).
    workers = await startWorkers({
      temporalAddress: inject('temporalAddress'),
      mlflowTrackingUri: mlflow,
      checkpointRoot: tempDir('fallback'),
      control: true,
      trainingQueues: ['tuneflow-test-cpu'],
    });
    const client = await connectTemporal(inject('temporalAddress'));
    result = await (await startCampaign(client, { specPath: spec })).result();
    runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
  }, 600_000);

  afterAll(async () => {
    await workers?.shutdown();
  });

  it('completes every trial and evaluates the retrain on the fallback queue', () => {
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 2, pruned: 0, failed: 0 });
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
  });

  it('leaves every run FINISHED and tagged with the queue, backend and device it trained on', () => {
    const jobs = runs.filter((r) => ['search', 'retrain'].includes(tagsOf(r)['tuneflow.stage']!));
    expect(jobs).toHaveLength(3);
    for (const run of jobs) {
      expect(run.info.status).toBe('FINISHED');
      const tags = tagsOf(run);
      expect(tags['tuneflow.task_queue']).toBe('tuneflow-test-cpu');
      expect(tags['tuneflow.backend']).toBe('tensorflow');
      expect(tags['tuneflow.device']).toBe('cpu');
    }
  });
});
