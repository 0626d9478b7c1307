// The campaign's suggest activity (activities/suggest.ts) as a unit: spec constraints and enqueued values
// reach the sampler through the packed trial records the workflow sends, exactly as in a campaign.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { suggestTrials } from '../../activities/suggest';
import type { Params } from '../../search/space-types';
import { parseSpec } from '../../spec';
import type { ExperimentSpec } from '../../spec/types';
import { packTrials, unpackTrials, constraintValues, newTrial, type TrialRecord } from '../../trials';

const spec = (constraints: boolean): ExperimentSpec =>
  parseSpec(
    [
      'name: t',
      'dataset: d',
      'model: m',
      'seed: 11',
      'objective: {metric: val_loss, direction: minimize}',
      'search:',
      '  sampler: {type: tpe, options: {nStartupTrials: 5}}',
      '  space: {x: {type: float, low: 0, high: 1}, units: {type: int, low: 8, high: 64}}',
      ...(constraints ? ['  constraints: [{metric: model_bytes, max: 300}]'] : []),
      '',
    ].join('\n'),
    'x.yaml',
  );

/**
 * 30 finished trials: the loss falls as x grows, but the model outgrows its bound above x = 0.3
 * (model_bytes = 1000·x), so the best feasible trials sit just under 0.3.
 */
function history(s: ExperimentSpec): TrialRecord[] {
  return Array.from({ length: 30 }, (_, i) => {
    const x = ((i * 7) % 30) / 30 + 0.01;
    const t = newTrial(i, { x, units: 8 + (i % 57) });
    const metrics = { val_loss: 1 - x, model_bytes: 1000 * x };
    t.state = 'COMPLETE';
    t.epochsDone = 1;
    t.history = { 1: [metrics.val_loss] };
    t.values = [metrics.val_loss];
    const constraints = constraintValues(s, metrics);
    if (constraints) t.constraints = constraints;
    return t;
  });
}

// The activity heartbeats, so it runs in an activity context (Temporal's test environment provides one).
const ask = (s: ExperimentSpec, fixed: ({ units: number } | null)[] = [null, null, null, null, null, null]) =>
  new MockActivityEnvironment().run(suggestTrials, { spec: s, trials: packTrials(history(s)), numbers: fixed.map((_, i) => 30 + i), fixed }) as Promise<Params[]>;

describe('suggest activity', () => {
  it('packed trial records keep their constraint values across continue-as-new', () => {
    const trials = history(spec(true));
    const back = unpackTrials(packTrials(trials));
    expect(back.map((t) => t.constraints)).toEqual(trials.map((t) => t.constraints));
    expect(back[3]!.constraints![0]).toBeCloseTo(1000 * (trials[3]!.params.x as number) - 300, 9);
    expect(unpackTrials(packTrials(history(spec(false)))).every((t) => t.constraints === undefined)).toBe(true);
  });

  it('the sampler sees the constraints: proposals move to the feasible region', async () => {
    const free = (await ask(spec(false))).map((p) => p.x as number);
    const constrained = (await ask(spec(true))).map((p) => p.x as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Unconstrained, TPE chases x near 1; constrained, the "good" group is the feasible trials near 0.3.
    expect(mean(free)).toBeGreaterThan(0.6);
    expect(mean(constrained)).toBeLessThan(0.45);
    expect(constrained.filter((x) => x <= 0.35).length).toBeGreaterThanOrEqual(4);
  });

  it('is deterministic and keeps enqueued values', async () => {
    const fixed = [{ units: 13 }, null, { units: 40 }];
    const first = await ask(spec(true), fixed);
    expect(await ask(spec(true), fixed)).toEqual(first);
    expect(first[0]!.units).toBe(13);
    expect(first[2]!.units).toBe(40);
    expect(new Set(first.map((p) => JSON.stringify(p))).size).toBe(3);
  });
});
