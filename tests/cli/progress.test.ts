import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress } from '../../cli/progress';

describe('progress line', () => {
  it('formats durations', () => {
    expect(formatDuration(5.4)).toBe('5s');
    expect(formatDuration(65)).toBe('1m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
  });

  it('shows counts, best value and the estimate', () => {
    const line = formatProgress(
      {
        phase: 'searching',
        name: 'q',
        trials: { running: 2, paused: 0, completed: 3, pruned: 1, failed: 0, total: 6 },
        best: { trialNumber: 4, value: 0.123456, params: {} },
        metric: 'val_loss',
        elapsedSeconds: 70,
        trainSeconds: 60,
        remainingSeconds: 130,
        budget: { maxTrials: 12, maxConcurrentTrials: 2, maxDurationSeconds: null },
        requests: [],
      },
    );
    expect(line).toBe('[searching] trials 4/12 done (3 complete, 1 pruned, 0 failed), 2 running | best val_loss=0.1235 (trial 4) | 1m10s elapsed, ~2m10s left');
  });
});
