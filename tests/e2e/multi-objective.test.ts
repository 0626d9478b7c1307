// Two objectives end to end (val_accuracy up, param_count down): the campaign ranks by Pareto front
// everywhere. The front is checked against the trials' own MLflow metrics (not against the ranking code),
// and the result, the status and leaderboard queries, pareto.csv, best_hyperparameters.yaml and the
// retrained trials must all agree with it.
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { campaignHandle, connectTemporal } from '../../cli/client';
import { campaignFixture } from '../helpers/campaign';
import { downloadArtifact, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const campaign = campaignFixture(join(__dirname, '..', 'fixtures', 'specs', 'two-objectives.yaml'), tempDir('two-objectives'));
const clientPromise = connectTemporal(inject('temporalAddress'));
afterAll(async () => (await clientPromise).connection.close());

const last = (run: RestRun, key: string) => run.data.metrics?.find((m) => m.key === key)?.value ?? NaN;

/** The front from the runs' metrics alone: COMPLETE search trials no other one dominates. */
function frontFromMlflow(runs: RestRun[]): Map<number, [number, number]> {
  const points = runs
    .filter((r) => tagsOf(r)['tuneflow.stage'] === 'search' && tagsOf(r)['tuneflow.state'] === 'COMPLETE')
    .map((r) => ({ trial: Number(tagsOf(r)['tuneflow.trial_number']), acc: last(r, 'val_accuracy'), size: last(r, 'param_count') }));
  const dominated = (p: (typeof points)[number]) => points.some((q) => q.acc >= p.acc && q.size <= p.size && (q.acc > p.acc || q.size < p.size));
  return new Map(points.filter((p) => !dominated(p)).map((p) => [p.trial, [p.acc, p.size]]));
}

describe('a campaign with two objectives', () => {
  it('has a front of more than one trial and at least one dominated trial (the case under test)', () => {
    const { runs, result } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.completed).toBe(5);
    const front = frontFromMlflow(runs);
    expect(front.size).toBeGreaterThan(1);
    expect(front.size).toBeLessThan(5);
  });

  it('reports the front in the result, ranked; the best is the front member with the best first objective', () => {
    const { runs, result } = campaign();
    const front = frontFromMlflow(runs);
    expect(new Set(result.front!.map((t) => t.trialNumber))).toEqual(new Set(front.keys()));
    for (const t of result.front!) expect(t.values).toEqual(front.get(t.trialNumber));
    const bestAccuracy = Math.max(...[...front.values()].map(([acc]) => acc));
    expect(result.best!.trialNumber).toBe(result.front![0]!.trialNumber);
    expect(result.best!.value).toBe(bestAccuracy);
    expect(result.best!.values).toEqual(front.get(result.best!.trialNumber));
  });

  it('shows the front in the status and leaderboard queries', async () => {
    const { result } = campaign();
    const handle = campaignHandle(await clientPromise, result.workflowId);
    const status = await handle.status();
    expect(status.objectives).toEqual(['val_accuracy', 'param_count']);
    expect(status.front!.map((t) => t.trialNumber)).toEqual(result.front!.map((t) => t.trialNumber));
    const rows = await handle.leaderboard();
    const ranked = rows.filter((r) => r.front !== undefined);
    expect(ranked.map((r) => r.trialNumber).slice(0, result.front!.length)).toEqual(result.front!.map((t) => t.trialNumber));
    expect(ranked.slice(0, result.front!.length).every((r) => r.front === 1)).toBe(true);
    expect(ranked.slice(result.front!.length).every((r) => r.front! >= 2)).toBe(true);
  });

  it('retrains the front first, in ranked order (retrain.topK)', () => {
    const { result } = campaign();
    const expected = result.front!.slice(0, 2).map((t) => t.trialNumber).sort((a, b) => a - b);
    expect(result.retrain.map((r) => r.trialNumber).sort((a, b) => a - b)).toEqual(expected);
  });

  it('logs pareto.csv and a best_hyperparameters.yaml that lists the front on the parent run', async () => {
    const { runs, result } = campaign();
    const mlflow = inject('mlflowTrackingUri');
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
    const csv = (await downloadArtifact(mlflow, parent, 'pareto.csv')).trim().split('\n');
    expect(csv[0]).toBe('rank,trial,val_accuracy,param_count,learningRate,units');
    expect(csv.slice(1).map((line) => Number(line.split(',')[1]))).toEqual(result.front!.map((t) => t.trialNumber));
    const best = parse(await downloadArtifact(mlflow, parent, 'best_hyperparameters.yaml'));
    expect(best.trial).toBe(result.best!.trialNumber);
    expect(best.val_accuracy).toBe(result.best!.value);
    expect(best.params.units).toBe(result.best!.params.units);
    expect(best.front.map((t: { trial: number }) => t.trial)).toEqual(result.front!.map((t) => t.trialNumber));
    expect(best.front[0].values).toEqual({ val_accuracy: result.front![0]!.values[0], param_count: result.front![0]!.values[1] });
    const leaderboard = (await downloadArtifact(mlflow, parent, 'leaderboard.csv')).trim().split('\n');
    expect(leaderboard[0]!.startsWith('rank,front,trial,state,val_accuracy,param_count')).toBe(true);
  });
});
