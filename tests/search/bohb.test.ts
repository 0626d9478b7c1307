// The bohb sampler models the largest budget (step) with enough observations, using every trial's
// intermediate values; the sampler contract suite covers purity and validity.
import { describe, expect, it } from 'vitest';
import { createSampler } from '../../search/samplers';
import { parseSpace } from '../../search/space';
import type { TrialView } from '../../search/types';

const space = parseSpace({ x: { type: 'float', low: 0, high: 1 } });
const bohb = createSampler({ type: 'bohb', options: { randomFraction: 0 } });
const propose = (trials: TrialView[], trialNumber: number) =>
  Number(bohb.sample({ space, trials, seed: 7, trialNumber, attempt: 0, directions: ['minimize'], fixed: {} }).x);

/** `count` trials spread over [0, 1], reporting |x - target| at `steps`. */
function trialsAt(count: number, target: number, steps: number[], first = 0, state: TrialView['state'] = 'PRUNED'): TrialView[] {
  return Array.from({ length: count }, (_, i) => {
    const x = (i + 0.5) / count;
    return { number: first + i, params: { x }, state, intermediate: Object.fromEntries(steps.map((s) => [s, Math.abs(x - target)])) };
  });
}

describe('bohb sampler', () => {
  it('proposes near the good observations of the budget it models', () => {
    const trials = trialsAt(20, 0.1, [1]);
    const xs = Array.from({ length: 10 }, (_, k) => propose(trials, 20 + k));
    for (const x of xs) expect(Math.abs(x - 0.1)).toBeLessThan(0.3);
  });

  it('models the largest budget with at least minPointsInModel + 2 observations', () => {
    // 20 trials at step 1 favour x ≈ 0.1; 4 of them (d + 1 + 2 = 4) also reached step 3, where x ≈ 0.9 is best.
    const low = trialsAt(20, 0.1, [1]);
    const survivors = [2, 9, 16, 19].map((i) => ({ ...low[i]!, intermediate: { ...low[i]!.intermediate, 3: Math.abs(Number(low[i]!.params.x) - 0.9) } }));
    const trials = low.map((t) => survivors.find((s) => s.number === t.number) ?? t);
    const xs = Array.from({ length: 10 }, (_, k) => propose(trials, 20 + k));
    expect(xs.filter((x) => x > 0.5).length).toBeGreaterThanOrEqual(8);
    // With only 3 at step 3, it falls back to step 1.
    const three = low.map((t) => survivors.slice(0, 3).find((s) => s.number === t.number) ?? t);
    const fallback = Array.from({ length: 10 }, (_, k) => propose(three, 20 + k));
    expect(fallback.filter((x) => x < 0.5).length).toBeGreaterThanOrEqual(8);
  });

  it('needs more points than dimensions in both the good and the bad group of a budget (HpBandSter)', () => {
    // 2-D, so minPointsInModel = 3: 5 observations (3 good, 2 bad) are too few, 6 (3 good, 3 bad) enough.
    const space2 = parseSpace({ x: { type: 'float', low: 0, high: 1 }, y: { type: 'float', low: 0, high: 1 } });
    const distance = (x: number, y: number, to: number) => Math.hypot(x - to, y - to);
    const low: TrialView[] = Array.from({ length: 36 }, (_, i) => {
      const [x, y] = [((i % 6) + 0.5) / 6, (Math.floor(i / 6) + 0.5) / 6];
      return { number: i, params: { x, y }, state: 'PRUNED', intermediate: { 1: distance(x, y, 0.1) } };
    });
    // Survivors to step 3, where (0.9, 0.9) is best: spread over the grid so both groups are non-degenerate.
    const withSurvivors = (count: number) =>
      low.map((t) =>
        [0, 7, 14, 21, 28, 35].slice(0, count).includes(t.number)
          ? { ...t, intermediate: { ...t.intermediate, 3: distance(Number(t.params.x), Number(t.params.y), 0.9) } }
          : t,
      );
    const proposeIn = (trials: TrialView[], k: number) => bohb.sample({ space: space2, trials, seed: 7, trialNumber: 36 + k, attempt: 0, directions: ['minimize'], fixed: {} });
    const nearHigh = (trials: TrialView[]) =>
      Array.from({ length: 10 }, (_, k) => proposeIn(trials, k)).filter((p) => Number(p.x) + Number(p.y) > 1).length;
    expect(nearHigh(withSurvivors(5))).toBeLessThanOrEqual(2); // step 1 modelled
    expect(nearHigh(withSurvivors(6))).toBeGreaterThanOrEqual(8); // step 3 modelled
  });

  it('is random before any budget has enough points, and validates its options', () => {
    expect(propose(trialsAt(3, 0.1, [1]), 3)).toBeGreaterThanOrEqual(0);
    expect(() => createSampler({ type: 'bohb', options: { topNPercent: 0 } })).toThrow(/"topNPercent" must be a number >= 1 and <= 99/);
  });
});
