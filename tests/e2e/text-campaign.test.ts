// A text campaign through the real workflow: `model: {family: auto}` on token sequences (generated NPY
// files read by the `custom` loader), real Temporal and MLflow servers, asserted over MLflow's REST API.
// auto must build the LSTM here: the CNN refuses token sequences, and `embeddingSize` is an LSTM-only
// setting that auto rejects for any other family, so every completed trial is an LSTM.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { npyDataset, tokenSequences } from '../training/helpers';
import { runCampaignToEnd, type FinishedCampaign } from '../helpers/campaign';
import { metricHistory, paramsOf, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('text-campaign');
const data = npyDataset('text-campaign-tokens', tokenSequences, { kind: 'sequence' });
const specPath = join(dir, 'text.yaml');
writeFileSync(
  specPath,
  `name: text-campaign
seed: 3
dataset:
  name: custom
  options: ${JSON.stringify(data.options)}
model: {family: auto, options: {embeddingSize: 8}}
search:
  space:
    learningRate: {type: float, low: 3.0e-3, high: 3.0e-2, log: true}
    units: {type: categorical, choices: [8, 16]}
  sampler: random
objective: {metric: val_accuracy, direction: maximize}
budget: {maxTrials: 2, maxConcurrentTrials: 1}
training: {epochs: 2, batchSize: 64}
retrain: {topK: 1, epochs: 1}
`,
);

describe('a text campaign (auto -> lstm on token sequences)', () => {
  let campaign: FinishedCampaign;
  beforeAll(async () => {
    campaign = await runCampaignToEnd(specPath, join(dir, 'checkpoints'));
  }, 600_000);
  afterAll(async () => {
    await campaign?.workers.shutdown();
  });

  it('completes every trial and retrains the best one', () => {
    const { result } = campaign;
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toMatchObject({ completed: 2, failed: 0 });
    expect(result.retrain).toHaveLength(1);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
    const retrain = campaign.runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'retrain')!;
    expect(tagsOf(retrain)['model.resolved_family']).toBe('lstm');
  });

  it('MLflow holds the fixed settings on the campaign run, and each trial with its params and one val_accuracy point per epoch', async () => {
    const parent = campaign.runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'campaign')!;
    expect(paramsOf(parent)).toMatchObject({ dataset: 'custom', 'model.family': 'auto', 'model.embeddingSize': '8' });
    const trials = campaign.runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials).toHaveLength(2);
    for (const run of trials) {
      expect(tagsOf(run)['tuneflow.state']).toBe('COMPLETE');
      expect(run.info.status).toBe('FINISHED');
      const params = paramsOf(run);
      expect(['8', '16']).toContain(params.units);
      expect(Number(params.learningRate)).toBeGreaterThanOrEqual(3e-3);
      expect(tagsOf(run)['model.resolved_family']).toBe('lstm'); // what auto picked
      const history = await metricHistory(mlflow, run.info.run_id, 'val_accuracy');
      expect(history.map((m) => m.step).sort()).toEqual([1, 2]);
      for (const point of history) {
        expect(point.value).toBeGreaterThanOrEqual(0);
        expect(point.value).toBeLessThanOrEqual(1);
      }
    }
  });
});
