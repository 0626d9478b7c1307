// Population-based training through the real campaign workflow, workers, Temporal and MLflow: a population
// of four function trainables (tests/fixtures/trainables/pbt-decay.ts, one number of "weights" with a
// momentum "optimizer state") that exploit and explore every two epochs. What must hold:
// - exploit really copies the donor's checkpoint: the recipient's next epoch starts from the donor's weights
//   (w_start = the donor's w, origin = the donor's origin), not its own;
// - explore changes the parameters, and the next segment trains with them (the trainable's own `lr` report);
// - the lineage is on each member's run (pbt.lr per boundary, tuneflow.pbt.exploits, pbt_schedule.json);
// - the retrain of the winner replays its learned schedule epoch by epoch.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { downloadArtifact, metricHistory, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { connectTemporal, startCampaign } from '../../cli/client';
import { campaignFixture } from '../helpers/campaign';
import { tempDir } from '../helpers/temp';

const mlflow = inject('mlflowTrackingUri');
const fixtures = join(__dirname, '..', 'fixtures', 'trainables');

const byStage = (runs: RestRun[], stage: string) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === stage);
const trialOf = (run: RestRun) => Number(tagsOf(run)['tuneflow.trial_number']);
/** A run's metric by step. */
async function series(run: RestRun, key: string): Promise<Map<number, number>> {
  return new Map((await metricHistory(mlflow, run.info.run_id, key)).map((m) => [m.step, m.value]));
}

/** Every exploit the search runs' `tuneflow.pbt.exploits` tags record, with both runs. */
function exploitsOf(runs: RestRun[]): { recipient: RestRun; donor: RestRun; donorNumber: number; epoch: number }[] {
  const search = byStage(runs, 'search');
  const byTrial = new Map(search.map((r) => [trialOf(r), r]));
  return search.flatMap((recipient) =>
    (tagsOf(recipient)['tuneflow.pbt.exploits'] ?? '')
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [donorNumber, epoch] = entry.split('@').map(Number) as [number, number];
        return { recipient, donor: byTrial.get(donorNumber)!, donorNumber, epoch };
      }),
  );
}

interface Schedule {
  schedule: { epoch: number; params: { lr: number } }[];
  exploits: { donor: number; epoch: number }[];
}

describe('a PBT campaign (function trainable)', () => {
  const campaign = campaignFixture(join(fixtures, 'pbt.yaml'), tempDir('pbt-campaign'));

  it('completes the population and exploits at the boundaries', () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 4, pruned: 0, failed: 0 });
    const exploits = byStage(runs, 'search').flatMap((r) => (tagsOf(r)['tuneflow.pbt.exploits'] ?? '').split(',').filter(Boolean));
    // 4 members, quantile 0.25: one recipient at each of the boundaries 2 and 4.
    expect(exploits).toHaveLength(2);
  });

  it("an exploited member's next epoch starts from its donor's weights, with explored parameters", async () => {
    const { runs } = campaign();
    let checked = 0;
    for (const { recipient, donor, donorNumber, epoch } of exploitsOf(runs)) {
      const [dw, rw, rStart, dOrigin, rOrigin] = await Promise.all([series(donor, 'w'), series(recipient, 'w'), series(recipient, 'w_start'), series(donor, 'origin'), series(recipient, 'origin')]);
      // Its own weights at the boundary differed; its next epoch started from the donor's.
      expect(rw.get(epoch)).not.toBe(dw.get(epoch));
      expect(rStart.get(epoch + 1)).toBe(dw.get(epoch));
      expect(rOrigin.get(epoch + 1)).toBe(dOrigin.get(epoch));
      // Explore: a new lr from the boundary on, and the trainable trained with it.
      const [dLr, rLr, rTrainedLr] = await Promise.all([series(donor, 'pbt.lr'), series(recipient, 'pbt.lr'), series(recipient, 'lr')]);
      expect(rLr.get(epoch)).not.toBe(dLr.get(epoch));
      expect(rTrainedLr.get(epoch + 1)).toBe(rLr.get(epoch));
      const ratio = rLr.get(epoch)! / [...dLr].filter(([s]) => s <= epoch).at(-1)![1];
      expect([0.8, 1.2].some((f) => Math.abs(ratio - f) < 1e-9) || (rLr.get(epoch)! >= 0.01 && rLr.get(epoch)! <= 0.6)).toBe(true);
      // The lineage artifact agrees with the tag.
      const lineage = JSON.parse(await downloadArtifact(mlflow, recipient, 'pbt_schedule.json')) as Schedule;
      expect(lineage.exploits).toContainEqual({ donor: donorNumber, epoch });
      checked += 1;
    }
    expect(checked).toBe(2);
  });

  it("refuses to grow a running population: extend --trials and enqueue", async () => {
    const client = await connectTemporal(inject('temporalAddress'));
    try {
      const h = await startCampaign(client, { specPath: join(fixtures, 'pbt.yaml') });
      const deadline = Date.now() + 60_000;
      while ((await h.status()).trials.total < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await expect(h.extend({ trials: 1 })).rejects.toThrow(/extend --trials: a pbt campaign's population is fixed/);
      await expect(h.enqueue([{ lr: 0.1 }])).rejects.toThrow(/enqueue: a pbt campaign's population is fixed/);
      await h.cancel();
      expect((await h.result()).status).toBe('CANCELLED');
    } finally {
      await client.connection.close();
    }
  });

  it("retrains the winner with its learned schedule, epoch by epoch", async () => {
    const { result, runs } = campaign();
    const best = byStage(runs, 'search').find((r) => trialOf(r) === result.best!.trialNumber)!;
    const { schedule } = JSON.parse(await downloadArtifact(mlflow, best, 'pbt_schedule.json')) as Schedule;
    const [retrain] = byStage(runs, 'retrain');
    const trained = await series(retrain!, 'lr');
    expect([...trained.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (let epoch = 1; epoch <= 6; epoch++) {
      const held = [...schedule].reverse().find((e) => e.epoch <= epoch - 1)!.params.lr;
      expect(trained.get(epoch)).toBe(held);
    }
    // The retrain's run carries the schedule it replayed.
    expect(JSON.parse(await downloadArtifact(mlflow, retrain!, 'pbt_schedule.json'))).toMatchObject({ schedule });
  });
});

describe("a PBT campaign on tuneflow's engine", () => {
  const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'pbt-engine.yaml'), tempDir('pbt-engine'));

  it("resumes every recipient from its donor's checkpoint: the donor's architecture, the explored learning rate", async () => {
    const { result, runs } = campaign();
    // A checkpoint of another configuration would fail the recipient (CheckpointError): none did.
    expect(result.status).toBe('COMPLETED');
    expect(result.trials).toEqual({ completed: 4, pruned: 0, failed: 0 });
    let exploits = 0;
    for (const { recipient, donor, epoch } of exploitsOf(runs)) {
      // The model after the boundary is the donor's (its width, so its parameter count).
      expect((await series(recipient, 'param_count')).get(epoch + 1)).toBe((await series(donor, 'param_count')).get(epoch));
      // The engine trained the next epoch with the explored learning rate.
      expect((await series(recipient, 'lr')).get(epoch + 1)).toBeCloseTo((await series(recipient, 'pbt.learningRate')).get(epoch)!, 12);
      exploits += 1;
    }
    expect(exploits).toBe(1); // 4 members, quantile 0.25, one boundary (epoch 2) before the end
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0);
  });
});
