import { describe, expect, it } from 'vitest';
import { formatDuration, formatLeaderboard, formatProgress } from '../../cli/progress';
import type { CampaignProgress } from '../../workflows';

describe('progress line', () => {
  const base: CampaignProgress = {
    phase: 'searching',
    name: 'q',
    trials: { running: 0, paused: 0, completed: 4, pruned: 0, failed: 0, total: 4 },
    best: { trialNumber: 2, value: 1, params: {} },
    metric: 'val_accuracy',
    elapsedSeconds: 10,
    trainSeconds: 9,
    remainingSeconds: null,
    budget: { maxTrials: 8, maxConcurrentTrials: 1, maxDurationSeconds: null },
    requests: ['stop'],
  };

  it('formats durations', () => {
    expect(formatDuration(5.4)).toBe('5s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });

  it('shows counts, best value and the estimate', () => {
    const line = formatProgress({
      ...base,
      trials: { running: 2, paused: 0, completed: 3, pruned: 1, failed: 0, total: 6 },
      best: { trialNumber: 4, value: 0.123456, params: {} },
      metric: 'val_loss',
      elapsedSeconds: 70,
      remainingSeconds: 130,
      budget: { maxTrials: 12, maxConcurrentTrials: 2, maxDurationSeconds: null },
      requests: [],
    });
    expect(line).toBe('[searching] trials 4/12 done (3 complete, 1 pruned, 0 failed), 2 running | best val_loss=0.1235 (trial 4) | 1m10s elapsed, ~2m10s left');
  });

  it('says when the best is tied, and why the search is stopping on its own', () => {
    const line = formatProgress({ ...base, tiedWithBest: 2, stopReason: 'budget.stopWhen.target reached: trial 2 has val_accuracy=1 >= 0.99 (after 4 trials)' });
    expect(line).toBe(
      '[searching] trials 4/8 done (4 complete, 0 pruned, 0 failed), 0 running | best val_accuracy=1.000 (trial 2, tied with 2 others: val_loss breaks the tie) | 10s elapsed' +
        ' | stopping: budget.stopWhen.target reached: trial 2 has val_accuracy=1 >= 0.99 (after 4 trials)',
    );
  });

  it('says when other trials are within validation noise of the best (the full note is for status)', () => {
    const separation = 'the validation set is too small to separate the top trials: 1 other trial is within 0.00714 of the best val_accuracy';
    const line = formatProgress({ ...base, requests: [], separation });
    expect(line).toContain('| best val_accuracy=1.000 (trial 2, others within validation noise) |');
    expect(line).not.toContain('\n');
  });

  it('shows the size of the Pareto front with several objectives', () => {
    const front = [
      { trialNumber: 2, values: [1, 900] },
      { trialNumber: 0, values: [0.8, 40] },
    ];
    const line = formatProgress({ ...base, requests: [], objectives: ['val_accuracy', 'param_count'], front });
    expect(line).toContain('| best val_accuracy=1.000 (trial 2); Pareto front of val_accuracy, param_count: 2 trials |');
  });
});

describe('leaderboard lines', () => {
  it('name the front of each ranked trial and mark infeasible ones', () => {
    const lines = formatLeaderboard([
      { trialNumber: 2, state: 'COMPLETE', values: [1, 900], epochs: 2, params: { units: 64 }, front: 1 },
      { trialNumber: 1, state: 'COMPLETE', values: [0.7, 900], epochs: 2, params: { units: 64 }, front: 2 },
      { trialNumber: 0, state: 'COMPLETE', values: [0.99, 10], epochs: 2, params: { units: 2 }, infeasible: true },
      { trialNumber: 3, state: 'PRUNED', values: null, epochs: 1, params: { units: 4 } },
    ]);
    expect(lines).toEqual([
      '1. front 1 trial 2 COMPLETE 1, 900 (2 epochs) {"units":64}',
      '2. front 2 trial 1 COMPLETE 0.7, 900 (2 epochs) {"units":64}',
      '3. infeasible trial 0 COMPLETE 0.99, 10 (2 epochs) {"units":2}',
      '4. trial 3 PRUNED - (1 epochs) {"units":4}',
    ]);
  });
});
