// budget.stopWhen's rule (search/stopping.ts): a pure function of the trials, so every case is a table.
import { describe, expect, it } from 'vitest';
import { campaignStopReason } from '../../search/stopping';
import type { Rankable } from '../../search/ranking';

const done = (number: number, value: number, extra: Partial<Rankable> = {}): Rankable => ({ number, state: 'COMPLETE', values: [value], ...extra });
const pruned = (number: number): Rankable => ({ number, state: 'PRUNED' });
const running = (number: number): Rankable => ({ number, state: 'RUNNING' });

describe('target', () => {
  it('holds once a feasible COMPLETE trial reaches it in the objective direction', () => {
    expect(campaignStopReason([done(0, 0.8), done(1, 0.89)], { target: 0.9 }, 'maximize', 'val_accuracy')).toBeNull();
    expect(campaignStopReason([done(0, 0.8), done(1, 0.9)], { target: 0.9 }, 'maximize', 'val_accuracy')).toBe(
      'budget.stopWhen.target reached: trial 1 has val_accuracy=0.9 >= 0.9',
    );
    expect(campaignStopReason([done(0, 0.31)], { target: 0.3 }, 'minimize', 'val_loss')).toBeNull();
    expect(campaignStopReason([done(0, 0.31), done(1, 0.25)], { target: 0.3 }, 'minimize', 'val_loss')).toMatch(/trial 1 has val_loss=0.25 <= 0.3$/);
  });

  it('ignores infeasible, pruned and running trials, and non-finite values', () => {
    const trials = [done(0, 0.99, { constraints: [1] }), pruned(1), running(2), done(3, NaN)];
    expect(campaignStopReason(trials, { target: 0.9 }, 'maximize', 'val_accuracy')).toBeNull();
    expect(campaignStopReason([], { target: 0.9 }, 'maximize', 'val_accuracy')).toBeNull();
  });
});

describe('plateau', () => {
  const rule = { plateau: { trials: 3, minDelta: 0.01 } };

  it('needs more finished trials than the window, and a best value from before it', () => {
    expect(campaignStopReason([done(0, 0.5), done(1, 0.5), done(2, 0.5)], rule, 'minimize', 'val_loss')).toBeNull();
    expect(campaignStopReason([pruned(0), done(1, 0.5), done(2, 0.5), done(3, 0.5)], rule, 'minimize', 'val_loss')).toBeNull();
  });

  it('holds when the best improved by no more than minDelta over the last N finished trials', () => {
    const flat = [done(0, 0.5), done(1, 0.6), pruned(2), done(3, 0.495)];
    expect(campaignStopReason(flat, rule, 'minimize', 'val_loss')).toBe(
      'budget.stopWhen.plateau: the best val_loss (0.495) improved by 0.005 <= minDelta 0.01 over the last 3 finished trials',
    );
    const better = [done(0, 0.5), done(1, 0.6), pruned(2), done(3, 0.45)];
    expect(campaignStopReason(better, rule, 'minimize', 'val_loss')).toBeNull();
  });

  it('counts finished trials only, by trial number (a running trial is not in the window)', () => {
    const trials = [done(0, 0.8), done(1, 0.9), running(2), done(3, 0.7), done(4, 0.85)];
    // Finished: 0, 1, 3, 4; the window is 1, 3, 4 and the best before it is 0.8: improved by 0.1.
    expect(campaignStopReason(trials, rule, 'maximize', 'val_accuracy')).toBeNull();
    const stalled = [done(0, 0.9), done(1, 0.8), running(2), done(3, 0.7), done(4, 0.905)];
    expect(campaignStopReason(stalled, rule, 'maximize', 'val_accuracy')).toMatch(/improved by 0.005 <= minDelta 0.01/);
  });

  it('minDelta 0: any improvement keeps the campaign going, none stops it', () => {
    const zero = { plateau: { trials: 2, minDelta: 0 } };
    expect(campaignStopReason([done(0, 0.5), done(1, 0.6), done(2, 0.7)], zero, 'minimize', 'val_loss')).toMatch(/improved by 0 <= minDelta 0/);
    expect(campaignStopReason([done(0, 0.5), done(1, 0.6), done(2, 0.4999)], zero, 'minimize', 'val_loss')).toBeNull();
  });

  it('the target is checked first', () => {
    expect(campaignStopReason([done(0, 0.5), done(1, 0.5), done(2, 0.5), done(3, 0.5)], { target: 0.5, ...rule }, 'minimize', 'val_loss')).toMatch(/^budget.stopWhen.target/);
  });
});
