// A spec whose GPU queue no worker polls, with a CPU fallback queue: every segment falls back after
// `fallbackAfter`, and the job's evaluation and checkpoint clean-up follow it there, so trials end
// COMPLETE (not re-marked failed by a clean-up that waited for a GPU worker) and the retrain is evaluated.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignFixture } from '../helpers/campaign';
import { tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

// Only the fallback queue has a worker (tuneflow run's in-process worker would poll both and hide the bug).
const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'fallback.yaml'), tempDir('fallback'), { trainingQueues: ['tuneflow-test-cpu'] });

describe('GPU queue with a CPU fallback, no GPU worker', () => {
  it('completes every trial and evaluates the retrain on the fallback queue', () => {
    const { result } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 2, pruned: 0, failed: 0 });
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
  });

  it('leaves every run FINISHED and tagged with the queue, backend, device and engine it trained on', () => {
    const jobs = campaign().runs.filter((r) => ['search', 'retrain'].includes(tagsOf(r)['tuneflow.stage']!));
    expect(jobs).toHaveLength(3);
    for (const run of jobs) {
      expect(run.info.status).toBe('FINISHED');
      const tags = tagsOf(run);
      expect(tags['tuneflow.task_queue']).toBe('tuneflow-test-cpu');
      expect(tags['tuneflow.backend']).toBe('tensorflow');
      expect(tags['tuneflow.device']).toBe('cpu');
      // A cross-entropy family: the graph engine trained it (the test set-up names the addon set-up built).
      expect(tags['tuneflow.engine']).toBe('graph');
      expect(tags['tuneflow.engine_reason']).toBeUndefined();
    }
  });
});
