// budget.stopWhen: the first trial reaches the target (or the best stops improving), so the search stops
// there (not at budget.maxTrials), the retrain stage still runs, and the result and the parent run say why.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignFixture } from '../helpers/campaign';
import { tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'stop-target.yaml'), tempDir('stop-target'));
const plateau = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'stop-plateau.yaml'), tempDir('stop-plateau'));

describe('a campaign with budget.stopWhen.target', () => {
  it('stops searching once a trial reaches the target, before maxTrials, with the reason', () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('STOPPED');
    expect(result.reason).toMatch(/^budget\.stopWhen\.target reached: trial 0 has val_accuracy=[\d.]+ >= 0\.01 \(after 1 trials\)$/);
    const searched = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(searched).toHaveLength(1);
    expect(result.trials.completed).toBe(1);
  });

  it('still retrains, and tags the parent run with the stop reason', () => {
    const { result, runs } = campaign();
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.trialNumber).toBe(0);
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    expect(tagsOf(parent)['tuneflow.status']).toBe('STOPPED');
    expect(tagsOf(parent)['tuneflow.reason']).toBe(result.reason);
  });
});

describe('a campaign with budget.stopWhen.plateau', () => {
  it('stops once the best has not improved by more than minDelta over the last N finished trials', () => {
    const { result, runs } = plateau();
    expect(result.status).toBe('STOPPED');
    expect(result.reason).toMatch(/^budget\.stopWhen\.plateau: the best val_accuracy \([\d.]+\) improved by [\d.]+ <= minDelta 1 over the last 1 finished trials \(after 2 trials\)$/);
    expect(runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')).toHaveLength(2);
    expect(result.retrain).toHaveLength(1);
  });
});
