// Multi-objective pruning through the real workflow: two objectives (val_accuracy up, param_count down)
// with ASHA. Trial 0 is the only 2-unit network: the slowest learner, but the smallest, so an end of
// the Pareto front. By val_accuracy alone ASHA would leave it paused at rung 1; by dominance it is
// promoted and trained to the end. Checked against the trials' own MLflow metrics.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { campaignFixture } from '../helpers/campaign';
import { metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'two-objectives-asha.yaml'), tempDir('two-objectives-asha'));
const mlflow = inject('mlflowTrackingUri');

const searchRuns = (runs: RestRun[]) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
const trialOf = (runs: RestRun[], n: number) => searchRuns(runs).find((r) => tagsOf(r)['tuneflow.trial_number'] === String(n))!;

describe('a two-objective campaign with ASHA', () => {
  it('pauses most trials at rung 1 and saves epochs', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(searchRuns(runs)).toHaveLength(6);
    let epochs = 0;
    for (const run of searchRuns(runs)) epochs += (await metricHistory(mlflow, run.info.run_id, 'val_accuracy')).length;
    expect(epochs).toBeLessThan(6 * 3);
    expect(result.trials.pruned).toBeGreaterThanOrEqual(3);
  });

  it('promotes the smallest network, an end of the front, although its accuracy alone would not', async () => {
    const { runs } = campaign();
    const atEpoch1 = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (n) => {
        const run = trialOf(runs, n);
        const accuracy = (await metricHistory(mlflow, run.info.run_id, 'val_accuracy')).find((p) => p.step === 1)!.value;
        const size = (await metricHistory(mlflow, run.info.run_id, 'param_count')).find((p) => p.step === 1)!.value;
        return { n, accuracy, size };
      }),
    );
    const tiny = atEpoch1[0]!;
    // The case under test: trial 0 is strictly the smallest, and by accuracy it is outside the top ⌊6/3⌋ = 2.
    for (const other of atEpoch1.slice(1)) expect(tiny.size).toBeLessThan(other.size);
    expect(atEpoch1.filter((t) => t.accuracy > tiny.accuracy).length).toBeGreaterThanOrEqual(2);
    // By Pareto order it is in the top 2 at rung 1 (an extreme of the front): promoted, trained to epoch 3.
    const run = trialOf(runs, 0);
    expect(tagsOf(run)['tuneflow.state']).toBe('COMPLETE');
    expect((await metricHistory(mlflow, run.info.run_id, 'val_accuracy')).map((p) => p.step)).toEqual([1, 2, 3]);
  });
});
