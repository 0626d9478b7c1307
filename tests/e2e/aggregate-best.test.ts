// With `aggregate: best` the constraints read the epoch the objective's value comes from, not the last
// epoch: here every trial is feasible at its last epoch and infeasible at its best one, so none is
// best and none is retrained (the fixture explains the numbers).
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { campaignHandle, connectTemporal } from '../../cli/client';
import { campaignFixture } from '../helpers/campaign';
import { metricHistory, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'aggregate-best-constraint.yaml'), tempDir('aggregate-best'));
const clientPromise = connectTemporal(inject('temporalAddress'));
afterAll(async () => (await clientPromise).connection.close());

describe('aggregate: best with a constraint', () => {
  it('every trial is feasible at its last epoch and not at its best one (the case under test)', async () => {
    const { result, runs } = campaign();
    expect(result.trials.completed).toBe(2);
    for (const run of runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')) {
      const lr = (await metricHistory(inject('mlflowTrackingUri'), run.info.run_id, 'lr')).sort((a, b) => a.step - b.step).map((p) => p.value);
      const seconds = (await metricHistory(inject('mlflowTrackingUri'), run.info.run_id, 'train_seconds')).sort((a, b) => a.step - b.step).map((p) => p.value);
      expect(lr).toEqual([0.01, 0.005]);
      expect(seconds[0]!).toBeLessThan(seconds[1]!);
    }
  });

  it('reads the constraints at the best epoch: no trial is best, none is retrained, the leaderboard marks them infeasible', async () => {
    const { result } = campaign();
    expect(result.best).toBeNull();
    expect(result.retrain).toEqual([]);
    const rows = await campaignHandle(await clientPromise, result.workflowId).leaderboard();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.infeasible === true)).toBe(true);
  });
});
