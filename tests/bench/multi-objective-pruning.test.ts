// Multi-objective pruning against no pruning on a two-objective multi-fidelity problem (zdt1_mf,
// bench/problems.ts), through the ask/tell study and the bench's driver: the same 100 trials (random
// sampler, so every arm tries the same configurations) must cost clearly fewer steps while the final
// front's hypervolume stays close; pruning by the first objective alone (the old behaviour) loses much
// of the front. `npm run bench:schedulers -- --mo-only` prints the full table.
import { describe, expect, it } from 'vitest';
import { frontHypervolume, runMoArm, type MoArm } from '../../bench/multi-objective-pruning';

const SEEDS = [0, 1, 2, 3, 4];
const TRIALS = 100;

function measure(arm: MoArm) {
  const runs = SEEDS.map((seed) => runMoArm(arm, 'random', seed, TRIALS));
  return { runs, steps: runs.reduce((n, r) => n + r.cost, 0), hypervolumes: runs.map((r) => frontHypervolume(r.log)) };
}

describe('multi-objective pruning on zdt1_mf (random sampler, 100 trials, seeds 0-4)', () => {
  const none = measure({ label: 'none', type: 'none' });
  const ratios = (m: ReturnType<typeof measure>) => m.hypervolumes.map((hv, i) => hv / none.hypervolumes[i]!);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('no pruning trains every trial to the end', () => {
    expect(none.steps).toBe(SEEDS.length * TRIALS * 27);
    for (const hv of none.hypervolumes) expect(hv).toBeGreaterThan(3);
  });

  it.each([
    // [label, scheduler, options, most steps as a share of no pruning's, least hypervolume ratio on any seed]
    ['median', 'median', undefined, 0.85, 0.98],
    ['percentile 25', 'percentile', undefined, 0.6, 0.97],
    ['asha (promotion)', 'asha', undefined, 0.3, 0.97],
    ['hyperband (promotion)', 'hyperband', { mode: 'promotion' }, 0.5, 0.9],
  ] as const)('%s: the same trials for clearly fewer steps, and a front nearly as good', (_label, type, options, stepsShare, leastRatio) => {
    const m = measure({ label: type, type, ...(options ? { options: { ...options } } : {}) });
    for (const r of m.runs) expect(r.completed + r.pruned).toBe(TRIALS);
    expect(m.steps / none.steps).toBeLessThan(stepsShare);
    expect(Math.min(...ratios(m))).toBeGreaterThanOrEqual(leastRatio);
    expect(mean(ratios(m))).toBeGreaterThan(0.97);
  });

  it('pruning by the first objective alone loses much of the front; by dominance it does not', () => {
    const pareto = measure({ label: 'asha', type: 'asha' });
    const firstOnly = measure({ label: 'asha, first objective only', type: 'asha', firstOnly: true });
    expect(mean(ratios(firstOnly))).toBeLessThan(0.7);
    expect(mean(ratios(pareto)) - mean(ratios(firstOnly))).toBeGreaterThan(0.3);
  });
});
