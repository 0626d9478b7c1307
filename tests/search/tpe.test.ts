import { describe, expect, it } from 'vitest';
import { branin } from '../../bench/problems';
import { erf, erfc, logGaussMass, normalLogCdf, normalQuantile, truncatedNormalQuantile } from '../../search/math/stats';
import { createRng } from '../../search/rng';
import { createSampler } from '../../search/samplers';
import { ParzenEstimator, bandwidths, type Points } from '../../search/samplers/tpe/parzen';
import { belowCount, defaultWeights, splitTrials } from '../../search/samplers/tpe/split';
import { explainParams, parseSpace } from '../../search/space';
import type { SearchSpace } from '../../search/space-types';
import { createStudy } from '../../search/study';
import type { TrialView } from '../../search/types';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('normal distribution helpers (reference values from scipy 1.17)', () => {
  it('erf, erfc, log Φ and Φ⁻¹ to full precision', () => {
    expect(erf(0.3)).toBeCloseTo(0.3286267594591274, 15);
    expect(erfc(3) / 2.2090496998585445e-5).toBeCloseTo(1, 14);
    expect(erfc(10) / 2.0884875837625446e-45).toBeCloseTo(1, 13);
    expect(normalLogCdf(-30) / -454.32124395634327).toBeCloseTo(1, 14);
    expect(normalLogCdf(5) / -2.8665161296376294e-7).toBeCloseTo(1, 12);
    expect(normalQuantile(1e-20)).toBeCloseTo(-9.262340089798409, 12);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 14);
  });

  it('log-mass of an interval in both tails and the truncated quantile', () => {
    expect(logGaussMass(30, 31) / -454.3212439563433).toBeCloseTo(1, 14);
    expect(logGaussMass(-31, -30) / -454.3212439563433).toBeCloseTo(1, 14);
    expect(logGaussMass(-1, 1)).toBeCloseTo(-0.38171514630212616, 14);
    expect(truncatedNormalQuantile(0.3, -1, 2)).toBeCloseTo(-0.2424038178892269, 13);
    expect(truncatedNormalQuantile(0.7, 1, 4)).toBeCloseTo(1.6683942342392677, 13);
  });
});

describe('TPE Parzen estimator', () => {
  const points = (xs: number[], upper: number[] = []): Points => ({ count: xs.length, x: Float64Array.from(xs), upper: Float64Array.from(upper) });

  it('bandwidths: the larger neighbour gap, outermost points look inward, magic clip', () => {
    // Sorted with ends: 0, 0.2, 0.6, 1 → gaps 0.2, 0.4, 0.4; the outer points use their inner gap.
    expect([...bandwidths(Float64Array.from([0.6, 0.2]), false)]).toEqual([0.4, 0.4, 1].map((v) => expect.closeTo(v, 15)));
    expect([...bandwidths(Float64Array.from([0.6, 0.2]), true)].map((v) => +v.toFixed(12))).toEqual([0.4, 0.4, 1]);
    // One point: max(0.3, 0.7); ten points close together: clipped at 1 / (1 + 11).
    expect(bandwidths(Float64Array.from([0.3]), false)[0]).toBeCloseTo(0.7, 15);
    const dense = bandwidths(Float64Array.from({ length: 10 }, (_, i) => 0.5 + i * 1e-3), false);
    expect(dense[3]).toBeCloseTo(1 / 12, 15);
  });

  it('continuous: mixture of truncated normals with the prior, equal weights (hand-computed with scipy)', () => {
    const estimator = new ParzenEstimator([{ kind: 'continuous' }], [Float64Array.of(0.2), Float64Array.of(0.6)], [1, 1], { priorWeight: 1, considerEndpoints: false, bandwidth: 'neighbors' });
    const logPdf = estimator.logPdf(points([0.5, 0.05, 0.93]));
    expect(logPdf[0]).toBeCloseTo(0.1297704683336015, 13);
    expect(logPdf[1]).toBeCloseTo(-0.05761599270796041, 13);
    expect(logPdf[2]).toBeCloseTo(-0.3340020582433579, 13);
  });

  it('discrete: the mass of each value\'s cell (int 1..4 observed at 2)', () => {
    const cell = (u: number): [number, number] => {
      const k = Math.min(Math.floor(u * 4), 3);
      return [k / 4, (k + 1) / 4];
    };
    const estimator = new ParzenEstimator([{ kind: 'discrete', cell }], [Float64Array.of(0.375)], [1], { priorWeight: 1, considerEndpoints: false, bandwidth: 'neighbors' });
    const logPdf = estimator.logPdf(points([0, 0.25, 0.5, 0.75], [0.25, 0.5, 0.75, 1]));
    [-1.3852076257108092, -1.314346015980881, -1.3546359133930401, -1.5004176774026459].forEach((v, i) => expect(logPdf[i]).toBeCloseTo(v, 13));
    expect(logPdf.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 14);
  });

  it('categorical: prior_weight / kernels on every choice plus 1 on the observed one', () => {
    const estimator = new ParzenEstimator([{ kind: 'categorical', choices: 3 }], [Float64Array.of(0), Float64Array.of(0)], [1, 1], { priorWeight: 1, considerEndpoints: false, bandwidth: 'neighbors' });
    // 3 kernels: observation rows (1/3 + 1, 1/3, 1/3) / 2 = (2/3, 1/6, 1/6); prior row uniform; weights 1/3 each.
    const p = estimator.logPdf(points([0, 1, 2])).map(Math.exp);
    expect(p[0]).toBeCloseTo((2 / 3 + 2 / 3 + 1 / 3) / 3, 14);
    expect(p[1]).toBeCloseTo((1 / 6 + 1 / 6 + 1 / 3) / 3, 14);
  });

  it('samples follow the mixture (mean of draws from a single narrow kernel)', () => {
    const estimator = new ParzenEstimator([{ kind: 'continuous' }], Array.from({ length: 30 }, () => Float64Array.of(0.8)), new Array(30).fill(1), {
      priorWeight: 1,
      considerEndpoints: false,
      bandwidth: 'neighbors',
    });
    const draws = estimator.sample(createRng(1), 2000);
    const inside = [...draws.x].filter((x) => x >= 0 && x <= 1).length;
    expect(inside).toBe(2000);
    const mean = draws.x.reduce((s, x) => s + x, 0) / 2000;
    expect(mean).toBeGreaterThan(0.7);
  });
});

describe('TPE split', () => {
  const complete = (number: number, value: number, extra: Partial<TrialView> = {}): TrialView => ({ number, params: {}, state: 'COMPLETE', values: [value], ...extra });

  it("Optuna's gamma and weights", () => {
    expect([0, 1, 10, 11, 100, 300].map((n) => belowCount(n, 0.1, 25))).toEqual([0, 1, 1, 2, 10, 25]);
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 15);
    expect(w[4]).toBeCloseTo(1, 15);
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
  });

  it('ranks feasible complete, then pruned by step reached and value, then infeasible; running trials are above', () => {
    const trials: TrialView[] = [
      complete(0, 5),
      complete(1, 1, { constraints: [0.5] }), // best value but infeasible
      { number: 2, params: {}, state: 'PRUNED', intermediate: { 1: 0.1, 3: 2 } },
      { number: 3, params: {}, state: 'PRUNED', intermediate: { 1: 0.01 } },
      complete(4, 3, { constraints: [-1, 0] }),
      { number: 5, params: {}, state: 'RUNNING' },
      complete(6, 2, { constraints: [0.1, 0.2] }),
    ];
    const below = (n: number) => splitTrials(trials, ['minimize'], () => n).below.map((t) => t.number);
    expect(below(1)).toEqual([4]);
    expect(below(2)).toEqual([0, 4]);
    expect(below(3)).toEqual([0, 2, 4]); // step 3 beats step 1
    expect(below(4)).toEqual([0, 2, 3, 4]);
    expect(below(5)).toEqual([0, 2, 3, 4, 6]); // violation 0.3 before 0.5
    const split = splitTrials(trials, ['minimize'], () => 6);
    expect(split.below.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(split.above.map((t) => t.number)).toEqual([5]);
  });

  it('ranks a trial paused at a rung with the pruned ones; a running one stays above', () => {
    const trials: TrialView[] = [
      complete(0, 5),
      { number: 1, params: {}, state: 'RUNNING', paused: true, intermediate: { 1: 0.1, 3: 0.2 } },
      { number: 2, params: {}, state: 'RUNNING', intermediate: { 1: 0.01 } },
      { number: 3, params: {}, state: 'PRUNED', intermediate: { 1: 0.05 } },
    ];
    const split = splitTrials(trials, ['minimize'], (settled) => settled);
    expect(split.below.map((t) => t.number)).toEqual([0, 1, 3]); // 3 settled trials; paused 1 reached step 3
    expect(split.above.map((t) => t.number)).toEqual([2]);
    expect(splitTrials(trials, ['minimize'], () => 2).below.map((t) => t.number)).toEqual([0, 1]);
  });

  it('maximization and several objectives (non-dominated first)', () => {
    const trials = [complete(0, 1), complete(1, 3), complete(2, 2)];
    expect(splitTrials(trials, ['maximize'], () => 1).below.map((t) => t.number)).toEqual([1]);
    const mo: TrialView[] = [
      { number: 0, params: {}, state: 'COMPLETE', values: [1, 5] },
      { number: 1, params: {}, state: 'COMPLETE', values: [2, 6] }, // dominated by 0
      { number: 2, params: {}, state: 'COMPLETE', values: [5, 1] },
      { number: 3, params: {}, state: 'COMPLETE', values: [3, 3] },
    ];
    expect(splitTrials(mo, ['minimize', 'minimize'], () => 3).below.map((t) => t.number)).toEqual([0, 2, 3]);
  });
});

describe('TPE sampler', () => {
  it('beats random search on branin: median best of 5 seeds at 50 trials', () => {
    const space: SearchSpace = { x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } };
    const bestOf = (type: string, seed: number) => {
      const study = createStudy({ space, sampler: { type, seed }, scheduler: { type: 'none' } });
      let best = Infinity;
      for (let i = 0; i < 50; i++) {
        const { number, params } = study.ask();
        const value = branin(params.x1 as number, params.x2 as number);
        best = Math.min(best, value);
        study.tell(number, value);
      }
      return best;
    };
    const seeds = [0, 1, 2, 3, 4];
    const tpe = median(seeds.map((s) => bestOf('tpe', s)));
    const random = median(seeds.map((s) => bestOf('random', s)));
    expect(tpe).toBeLessThan(random);
    expect(tpe).toBeLessThan(1.0);
  });

  it('learns from trials paused at a rung: under ASHA most trials wait paused, none has finished', () => {
    const space = parseSpace({ x: { type: 'float', low: 0, high: 1 } });
    const paused: TrialView[] = Array.from({ length: 20 }, (_, i) => {
      const x = (i + 0.5) / 20;
      return { number: i, params: { x }, state: 'RUNNING', paused: true, intermediate: { 1: Math.abs(x - 0.2) } };
    });
    const tpe = createSampler({ type: 'tpe' });
    const xs = Array.from({ length: 20 }, (_, k) =>
      Number(tpe.sample({ space, trials: paused, seed: 5, trialNumber: 20 + k, attempt: 0, directions: ['minimize'], fixed: {} }).x),
    );
    // Random proposals (what treating them as running gives: no finished trial, still in startup) land
    // within 0.15 of 0.2 only 30 % of the time.
    expect(xs.filter((x) => Math.abs(x - 0.2) < 0.15).length).toBeGreaterThanOrEqual(16);
  });

  it('improves on a mixed space (log, int, categorical), independent and multivariate', () => {
    const space: SearchSpace = {
      lr: { type: 'float', low: 1e-5, high: 1, log: true },
      units: { type: 'int', low: 16, high: 512, log: true },
      layers: { type: 'int', low: 1, high: 6 },
      opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
    };
    for (const multivariate of [true, false]) {
      const study = createStudy({ space, sampler: { type: 'tpe', seed: 3, options: { multivariate } }, scheduler: { type: 'none' } });
      for (let i = 0; i < 60; i++) {
        const { number, params } = study.ask();
        const value =
          (Math.log10(params.lr as number) + 3) ** 2 + (Math.log2(params.units as number) - 7) ** 2 / 4 + ((params.layers as number) - 2) ** 2 + (params.opt === 'adam' ? 0 : 1);
        study.tell(number, value);
      }
      const value = (from: number, to: number) => median(study.trials.slice(from, to).map((t) => t.values![0]!));
      expect(value(40, 60)).toBeLessThan(value(0, 10) / 3); // the random start vs the model's proposals
      expect(study.bestTrial!.values![0]).toBeLessThan(1.1);
    }
  });

  it('constant liar: running trials count as bad observations, so parallel proposals spread out', () => {
    const space = parseSpace({ x: { type: 'float', low: 0, high: 1 } });
    const sampler = createSampler({ type: 'tpe', options: { nStartupTrials: 5 } });
    const trials: TrialView[] = Array.from({ length: 20 }, (_, i) => ({ number: i, params: { x: i / 19 }, state: 'COMPLETE', values: [Math.abs(i / 19 - 0.3)] }));
    const ctx = { space, trials, seed: 1, trialNumber: 30, attempt: 0, directions: ['minimize' as const], fixed: {} };
    const free = sampler.sample(ctx).x as number;
    expect(Math.abs(free - 0.3)).toBeLessThan(0.15);
    // Ten running trials right at the optimum: the liar makes the region look bad, and the proposal moves.
    const running: TrialView[] = Array.from({ length: 10 }, (_, i) => ({ number: 20 + i, params: { x: 0.29 + i * 0.002 }, state: 'RUNNING' }));
    const withLiar = sampler.sample({ ...ctx, trials: [...trials, ...running] }).x as number;
    const noLiar = createSampler({ type: 'tpe', options: { nStartupTrials: 5, constantLiar: false } }).sample({ ...ctx, trials: [...trials, ...running] }).x as number;
    expect(noLiar).toBe(free);
    expect(withLiar).not.toBe(free);
  });

  it('handles several objectives, constraints and the group decomposition on conditional spaces', () => {
    const space: SearchSpace = {
      opt: { type: 'categorical', choices: ['sgd', 'adam'] },
      momentum: { type: 'float', low: 0, high: 0.99, when: { opt: 'sgd' } },
      beta: { type: 'float', low: 0.8, high: 0.999, when: { opt: 'adam' } },
      lr: { type: 'float', low: 1e-4, high: 1, log: true },
    };
    const parsed = parseSpace(space);
    for (const options of [{ group: true }, { multivariate: false }, {}]) {
      const study = createStudy({ space, directions: ['minimize', 'maximize'], sampler: { type: 'tpe', seed: 2, options } });
      for (let i = 0; i < 40; i++) {
        const { number, params } = study.ask();
        expect(explainParams(parsed, params)).toBeNull();
        const lr = params.lr as number;
        study.tell(number, [Math.abs(Math.log10(lr) + 2), params.opt === 'adam' ? (params.beta as number) : (params.momentum as number)]);
      }
    }
  });

  it('startup: sobol spreads the startup trials as a (0, m, 1)-net', () => {
    const study = createStudy({ space: { x: { type: 'float', low: 0, high: 1 } }, sampler: { type: 'tpe', seed: 5, options: { startup: 'sobol' } } });
    const xs = Array.from({ length: 8 }, () => study.ask().params.x as number);
    expect(new Set(xs.map((x) => Math.floor(x * 8))).size).toBe(8);
  });

  it('validates its options', () => {
    expect(() => createSampler({ type: 'tpe', options: { gamma: 2 } })).toThrow(/gamma/);
    expect(() => createSampler({ type: 'tpe', options: { nEiCandidates: 0 } })).toThrow(/nEiCandidates/);
    expect(() => createSampler({ type: 'tpe', options: { weights: 'linear' } })).toThrow(/"default", "uniform"/);
  });
});
