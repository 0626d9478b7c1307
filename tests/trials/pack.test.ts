import { describe, expect, it } from 'vitest';
import { decodeFloat64, encodeFloat64, packTrials, unpackTrials, newTrial, type TrialRecord } from '../../trials';

function sampleTrials(): TrialRecord[] {
  const complete = { ...newTrial(0, { learningRate: 0.0012345678901234567, units: 17, activation: 'relu', batchNorm: true }), state: 'COMPLETE' as const };
  complete.history = { 1: [0.9, 0.5], 2: [0.42, 0.25] };
  complete.epochsDone = 2;
  complete.values = [0.42, 0.25];
  complete.runId = 'a'.repeat(32);
  complete.tieBreak = 0.3125; // val_loss at the last epoch: settles ties in the ranking
  const pruned = { ...newTrial(1, { learningRate: 1e-5, units: 3, activation: 'tanh' }), state: 'PRUNED' as const, epochsDone: 1, history: { 1: [2.5, 1] } };
  pruned.reason = 'pruned by median after epoch 1';
  const failed = { ...newTrial(2, { learningRate: 3, units: 64, activation: 'relu', batchNorm: false }), state: 'FAIL' as const, reason: 'TrainingDivergedError: loss is NaN' };
  const running = { ...newTrial(3, { units: 8, learningRate: 0.1, activation: 'relu' }), runId: 'b'.repeat(32), epochsDone: 3, history: { 1: [1, 1], 3: [0.5, 0.5] } };
  const paused = { ...newTrial(4, { learningRate: 0.2, units: 9, activation: 'relu' }), runId: 'c'.repeat(32), paused: true, epochsDone: 1, history: { 1: [0.7, 0.1] } };
  const pruned2 = { ...newTrial(5, { learningRate: 0.3, units: 9, activation: 'tanh' }), state: 'PRUNED' as const, epochsDone: 1, history: { 1: [3, 3] }, reason: pruned.reason };
  return [complete, pruned, failed, running, paused, pruned2];
}

describe('packed trial records (carried across continue-as-new)', () => {
  it('round-trips every field exactly, dropping only finished trials’ run ids', () => {
    const trials = sampleTrials();
    const back = unpackTrials(JSON.parse(JSON.stringify(packTrials(trials))));
    const expected = trials.map((t) => ({ ...t, runId: t.state === 'RUNNING' ? t.runId : null }));
    expect(back).toEqual(expected);
    // Float64 exactness, not just closeness.
    expect(back[0]!.params.learningRate).toBe(0.0012345678901234567);
    // Parameter order too (a sampler may walk them in order).
    expect(back.map((t) => Object.keys(t.params))).toEqual(trials.map((t) => Object.keys(t.params)));
  });

  it('accepts an empty campaign', () => {
    expect(unpackTrials(packTrials([]))).toEqual([]);
  });

  it('refuses records that are not numbered 0..n-1', () => {
    const trials = sampleTrials().slice(1);
    expect(() => packTrials(trials)).toThrow(/numbered 0..n-1/);
  });

  it('is several times smaller than the records as JSON', () => {
    const many: TrialRecord[] = Array.from({ length: 2000 }, (_, i) => ({
      ...newTrial(i, { learningRate: Math.exp(-i / 300), units: (i % 200) + 2, activation: i % 2 ? 'relu' : 'tanh' }),
      state: i % 3 ? 'COMPLETE' : 'PRUNED',
      runId: i.toString(16).padStart(32, '0'),
      epochsDone: 2,
      history: { 1: [Math.sin(i) + 2], 2: [Math.cos(i) + 2] },
      values: i % 3 ? [Math.cos(i) + 2] : null,
      reason: i % 3 ? null : 'pruned by median after epoch 1',
    }));
    const packed = JSON.stringify(packTrials(many)).length;
    const plain = JSON.stringify(many).length;
    expect(packed * 3).toBeLessThan(plain);
    expect(packed / many.length).toBeLessThan(60);
  });

  it('packs campaigns too long to spread into one call (40,000 trials of 3 epochs)', () => {
    // Math.max(...values) over every history row overflowed the stack at this size.
    const many: TrialRecord[] = Array.from({ length: 40_000 }, (_, i) => ({
      ...newTrial(i, { x: i / 7, activation: i % 2 ? 'relu' : 'tanh' }),
      state: 'COMPLETE',
      epochsDone: 3,
      history: { 1: [3 - i / 1e5], 2: [2], 3: [1 + i / 1e5] },
      values: [1 + i / 1e5],
    }));
    const back = unpackTrials(JSON.parse(JSON.stringify(packTrials(many))));
    expect(back).toHaveLength(40_000);
    expect(back[39_999]).toEqual({ ...many[39_999], runId: null });
  });

  it('base64 float64 blocks survive every kind of double', () => {
    const values = [0, -0, 1, -1.5, Math.PI, 1e-308, 5e-324, Number.MAX_VALUE, Infinity, -Infinity, NaN, 123456789.123];
    const back = decodeFloat64(encodeFloat64(values));
    expect(back).toEqual(values);
    expect(Object.is(back[1], -0)).toBe(true);
    expect(() => decodeFloat64('AA*A')).toThrow(/bad base64/);
  });
});
