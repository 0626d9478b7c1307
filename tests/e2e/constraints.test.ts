// A campaign with `search.constraints` never calls an infeasible trial best and never retrains one, even
// when it has the best objective value (the study and the workflow share one ranking: trials/ranking.ts).
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { campaignFixture } from '../helpers/campaign';
import { downloadArtifact, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const MAX_PARAMS = 5000;
const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'constrained.yaml'), tempDir('constraints'));

describe('a constrained campaign', () => {
  it('has an infeasible trial that scores better than every feasible one (the case under test)', () => {
    const { runs } = campaign();
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    const last = (r: (typeof trials)[number], key: string) => r.data.metrics?.find((m) => m.key === key)?.value ?? NaN;
    const wide = trials.find((r) => last(r, 'param_count') > MAX_PARAMS)!;
    const narrow = trials.find((r) => last(r, 'param_count') <= MAX_PARAMS)!;
    expect(wide).toBeDefined();
    expect(narrow).toBeDefined();
    expect(last(wide, 'val_loss')).toBeLessThan(last(narrow, 'val_loss'));
  });

  it('reports a feasible best trial and retrains only feasible ones', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.best!.params.units).toBe(4);
    expect(result.retrain.length).toBeGreaterThan(0);
    for (const r of result.retrain) {
      expect(r.params.units).toBe(4);
      expect(r.metrics.param_count).toBeLessThanOrEqual(MAX_PARAMS);
    }
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    const best = await downloadArtifact(inject('mlflowTrackingUri'), parent, 'best_hyperparameters.yaml');
    expect(best).toMatch(/units: 4\b/);
  });
});
