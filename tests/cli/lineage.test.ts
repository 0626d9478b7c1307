// The pure parts of extend/fork: the new spec built from the old one, and old trials read back from
// MLflow's string params into the new space (only fitting ones kept).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeParams, MAX_WARM_START_TRIALS, warmStartTrials } from '../../activities/lineage';
import { parseExperiment } from '../../catalog';
import { applySets, extensionSpec, LineageUsageError } from '../../cli/lineage';
import { parseSpace } from '../../search/space';

const tiny = readFileSync(join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml'), 'utf8');

describe('the spec of an extension or a fork', () => {
  it('an extension runs N new trials and shrinks the limits that must stay within them', () => {
    const withQueue = tiny.replace('  sampler: random', '  sampler: random\n  enqueue:\n    - {units: 8}');
    const spec = parseExperiment(extensionSpec(withQueue, 1), 'x.yaml');
    expect(spec.budget.maxTrials).toBe(1);
    expect(spec.budget.maxConcurrentTrials).toBe(1);
    expect(spec.retrain.topK).toBe(1);
    expect(spec.search.enqueue).toEqual([]);
    expect(parseExperiment(extensionSpec(tiny, 10), 'x.yaml').budget).toMatchObject({ maxTrials: 10, maxConcurrentTrials: 2 });
  });

  it('--set edits the old spec; values are YAML', () => {
    const spec = parseExperiment(applySets(tiny, ['search.sampler=tpe', 'search.space.units={type: categorical, choices: [16, 32]}', 'budget.maxTrials=6']), 'x.yaml');
    expect(spec.search.sampler.type).toBe('tpe');
    expect(spec.search.space.units).toEqual({ type: 'categorical', choices: [16, 32] });
    expect(spec.budget.maxTrials).toBe(6);
    expect(() => applySets(tiny, ['search.sampler'])).toThrow(LineageUsageError);
    expect(() => applySets(tiny, ['x={'])).toThrow(/the value is not YAML/);
  });
});

describe('old trials read back for a warm start', () => {
  const spec = parseExperiment(tiny, 'tiny.yaml');
  const space = parseSpace(spec.search.space);

  it('reads MLflow string params with the types of the new space, refusing what does not fit', () => {
    expect(decodeParams(space, { learningRate: '0.0123', units: '16' })).toEqual({ learningRate: 0.0123, units: 16 });
    expect(decodeParams(space, { learningRate: '0.5', units: '16' })).toBeNull(); // out of range
    expect(decodeParams(space, { learningRate: '0.01', units: '32' })).toBeNull(); // not a choice
    expect(decodeParams(space, { learningRate: '0.01' })).toBeNull(); // missing parameter
    expect(decodeParams(space, { learningRate: '0.01', units: '8', dropout: '0.1' })).toBeNull(); // unknown parameter
    expect(decodeParams(space, { learningRate: '', units: '8' })).toBeNull();
  });

  it('keeps finished trials that fit, renumbered from 0, with the objective values', () => {
    const { trials, skipped } = warmStartTrials(spec, [
      { params: { learningRate: '0.01', units: '8' }, state: 'COMPLETE', metrics: { val_loss: 0.4 } },
      { params: { learningRate: '0.01', units: '64' }, state: 'COMPLETE', metrics: { val_loss: 0.1 } },
      { params: { learningRate: '0.02', units: '16' }, state: 'PRUNED', metrics: { val_loss: 0.9 } },
      { params: { learningRate: '0.03', units: '16' }, state: 'COMPLETE', metrics: { loss: 0.2 } },
    ]);
    expect(trials).toEqual([
      { number: 0, params: { learningRate: 0.01, units: 8 }, state: 'COMPLETE', values: [0.4], intermediate: {} },
      { number: 1, params: { learningRate: 0.02, units: 16 }, state: 'PRUNED', intermediate: {} },
    ]);
    expect(skipped).toBe(2);
  });

  it('a trial recorded with its fixed settings fits when the new spec trains with the same ones', () => {
    // tiny.yaml trains with batchSize 32 and the default optimizer (adam); the fork below fixes relu -> tanh.
    const recorded = { learningRate: '0.01', units: '8', batchSize: '32', optimizer: 'adam', activation: 'relu' };
    const withRelu = parseExperiment(tiny.replace('model: mlp', 'model: {family: mlp, options: {activation: relu}}'), 'a.yaml');
    const withTanh = parseExperiment(tiny.replace('model: mlp', 'model: {family: mlp, options: {activation: tanh}}'), 'b.yaml');
    const stored = [{ params: recorded, state: 'COMPLETE' as const, metrics: { val_loss: 0.4 } }];
    expect(warmStartTrials(withRelu, stored).trials.map((t) => t.params)).toEqual([{ learningRate: 0.01, units: 8 }]);
    expect(warmStartTrials(withTanh, stored)).toMatchObject({ trials: [], skipped: 1 }); // trained with another activation
    expect(warmStartTrials(spec, stored)).toMatchObject({ trials: [], skipped: 1 }); // activation not fixed in the new spec
  });

  it('carries the constraint values of the new spec, when the old runs recorded those metrics', () => {
    const constrained = parseExperiment(tiny.replace('  sampler: random', '  sampler: random\n  constraints:\n    - {metric: loss, max: 0.3}'), 'c.yaml');
    const { trials } = warmStartTrials(constrained, [
      { params: { learningRate: '0.01', units: '8' }, state: 'COMPLETE', metrics: { val_loss: 0.4, loss: 0.5 } },
      { params: { learningRate: '0.02', units: '8' }, state: 'COMPLETE', metrics: { val_loss: 0.3 } },
    ]);
    expect(trials[0]!.constraints?.[0]).toBeCloseTo(0.2, 12);
    expect(trials[1]!.constraints).toBeUndefined();
  });

  it('with `aggregate: best`, reads the old trials\' best epoch for the value and the constraints', () => {
    const best = parseExperiment(
      tiny
        .replace('objective: {metric: val_loss, direction: minimize}', 'objective: {metric: val_loss, direction: minimize, aggregate: best}')
        .replace('  sampler: random', '  sampler: random\n  constraints:\n    - {metric: loss, max: 0.3}'),
      'b.yaml',
    );
    const byEpoch = new Map([
      [1, { val_loss: 0.5, loss: 0.6 }],
      [2, { val_loss: 0.2, loss: 0.25 }],
      [3, { val_loss: 0.4, loss: 0.1 }],
    ]);
    const [trial] = warmStartTrials(best, [{ params: { learningRate: '0.01', units: '8' }, state: 'COMPLETE', metrics: { val_loss: 0.4, loss: 0.1 }, byEpoch }]).trials;
    expect(trial!.values).toEqual([0.2]);
    expect(trial!.constraints![0]).toBeCloseTo(0.25 - 0.3, 12); // epoch 2's loss, not the last epoch's
  });

  it(`keeps at most ${MAX_WARM_START_TRIALS} trials, the most recent`, () => {
    const many = Array.from({ length: MAX_WARM_START_TRIALS + 5 }, (_, i) => ({
      params: { learningRate: String(0.001 + i * 1e-6), units: '8' },
      state: 'PRUNED' as const,
      metrics: {},
    }));
    const { trials, skipped } = warmStartTrials(spec, many);
    expect(trials).toHaveLength(MAX_WARM_START_TRIALS);
    expect(skipped).toBe(5);
    expect(trials[0]!.params.learningRate).toBeCloseTo(0.001 + 5e-6, 12);
  });
});
