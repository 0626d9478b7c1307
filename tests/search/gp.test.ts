// Correctness of the `gp` sampler's math: the Matérn 5/2 kernel, the posterior, log EI, the
// hyperparameter fit, and the handling of grid and categorical dimensions. Reference values marked
// "mpmath" were computed at 50 digits with mpmath 1.3; the posteriors are solved by hand in the test.
import { describe, expect, it } from 'vitest';
import { normalCdf, normalPdf } from '../../search/math/stats';
import { createRng } from '../../search/rng';
import { createGpSampler, selectModelTrials } from '../../search/samplers/gp';
import { LogExpectedImprovement, logStandardEi, maximizeAcquisition, type SearchDimension } from '../../search/samplers/gp/acquisition';
import { fitKernelParams, GaussianProcess, matern52, matern52Derivative, negativeLogPosterior, type KernelParams, type TrainingData } from '../../search/samplers/gp/model';
import { clipNonFinite, fitYeoJohnson, warpedTargets, yeoJohnson, yeoJohnsonLogLikelihood } from '../../search/samplers/gp/warping';
import { parseSpace, valueProblem } from '../../search/space';
import type { SearchSpace } from '../../search/space-types';
import { createStudy } from '../../search/study';

const params = (eta: number[], scale: number, noise: number): KernelParams => ({ inverseSquaredLengthscales: Float64Array.from(eta), scale, noise });
const data = (rows: number[][], y: number[], categorical: number[] = []): TrainingData => {
  const d = rows[0]!.length;
  return { x: Float64Array.from(rows.flat()), y: Float64Array.from(y), n: rows.length, d, isCategorical: Uint8Array.from({ length: d }, (_, k) => (categorical.includes(k) ? 1 : 0)) };
};
/** (f(x + h·e_j) - f(x - h·e_j)) / 2h */
function centralDifference(f: (point: Float64Array) => number, point: ArrayLike<number>, j: number, h = 1e-6): number {
  const up = Float64Array.from(point);
  const down = Float64Array.from(point);
  up[j]! += h;
  down[j]! -= h;
  return (f(up) - f(down)) / (2 * h);
}
/** Matérn 5/2 written in the distance r and lengthscale ℓ, as textbooks give it (independent of matern52's D form). */
const textbookMatern = (r: number, lengthscale: number) => {
  const a = (Math.sqrt(5) * r) / lengthscale;
  return (1 + a + (5 * r * r) / (3 * lengthscale * lengthscale)) * Math.exp(-a);
};

describe('Matérn 5/2 kernel', () => {
  it('matches the closed form (mpmath) and is 1 at distance 0', () => {
    expect(matern52(0)).toBe(1);
    expect(matern52(0.25)).toBeCloseTo(0.8286491424181253, 14);
    expect(matern52(1)).toBeCloseTo(0.5239941088318203, 14);
    expect(matern52(4)).toBeCloseTo(0.1386602191385043, 14);
    for (const [r, l] of [[0.3, 0.5], [1.7, 2], [0.01, 0.1]] as const) expect(matern52((r / l) ** 2)).toBeCloseTo(textbookMatern(r, l), 14);
  });

  it('its derivative in the scaled squared distance matches finite differences', () => {
    for (const D of [0.01, 0.3, 1, 5]) {
      const h = 1e-6;
      expect(matern52Derivative(D)).toBeCloseTo((matern52(D + h) - matern52(D - h)) / (2 * h), 8);
    }
    expect(matern52Derivative(0)).toBeCloseTo(-5 / 6, 15); // finite at D = 0
  });

  it('ARD: each dimension has its own lengthscale; categoricals use a Hamming distance', () => {
    // One training point with y = 1: the posterior mean is k(x, x0)/(s + noise), so it exposes the kernel.
    const s = 2;
    const noise = 0.5;
    const gp = new GaussianProcess(data([[0.2, 0.4, 1]], [1], [2]), params([4, 0.25, 3], s, noise));
    const mean = (point: number[]) => gp.predict(point).mean * ((s + noise) / s);
    // dimension 0: ℓ = 0.5; dimension 1: ℓ = 2.
    expect(mean([0.5, 0.4, 1])).toBeCloseTo(textbookMatern(0.3, 0.5), 12);
    expect(mean([0.2, 0.7, 1])).toBeCloseTo(textbookMatern(0.3, 2), 12);
    // Any other choice is at distance 1 (scaled by η = 3), whatever its index: choices are not ordered.
    expect(mean([0.2, 0.4, 0])).toBeCloseTo(matern52(3), 12);
    expect(mean([0.2, 0.4, 2])).toBeCloseTo(matern52(3), 12);
  });
});

describe('GP posterior', () => {
  it('two points: mean and variance equal the 2×2 closed form', () => {
    const [s, noise, eta] = [1.3, 0.05, 9];
    const y = [0.7, -0.4];
    const gp = new GaussianProcess(data([[0.1], [0.6]], y), params([eta], s, noise));
    // K = [[a, b], [b, a]] with a = s + noise, b = s·m(η·0.25); K⁻¹ = [[a, -b], [-b, a]] / (a² - b²).
    const a = s + noise;
    const b = s * textbookMatern(0.5, 1 / 3);
    const det = a * a - b * b;
    for (const x of [0, 0.3, 0.6, 0.95]) {
      const k1 = s * textbookMatern(Math.abs(x - 0.1), 1 / 3);
      const k2 = s * textbookMatern(Math.abs(x - 0.6), 1 / 3);
      const w1 = (a * k1 - b * k2) / det;
      const w2 = (a * k2 - b * k1) / det;
      const { mean, variance } = gp.predict([x]);
      expect(mean).toBeCloseTo(w1 * y[0]! + w2 * y[1]!, 12);
      expect(variance).toBeCloseTo(s - (w1 * k1 + w2 * k2), 12);
    }
  });

  it('three points: matches numpy (np.linalg.solve) at two test points, one by one and in a block', () => {
    // X = [0, 0.5, 1], y = [1, -1, 0.5], ℓ = 0.5 (η = 4), s = 1.5, noise = 0.01.
    const gp = new GaussianProcess(data([[0], [0.5], [1]], [1, -1, 0.5]), params([4], 1.5, 0.01));
    const expected = [
      { x: 0.25, mean: -0.13831482799799444, variance: 0.1421133084931765 },
      { x: 0.8, mean: -0.24800930386767606, variance: 0.13262069097753226 },
    ];
    const means = new Float64Array(2);
    const variances = new Float64Array(2);
    gp.predictMany(Float64Array.from(expected.map((e) => e.x)), 2, means, variances);
    expected.forEach((e, i) => {
      const one = gp.predict([e.x]);
      expect(one.mean).toBeCloseTo(e.mean, 12);
      expect(one.variance).toBeCloseTo(e.variance, 12);
      expect(means[i]).toBeCloseTo(e.mean, 12);
      expect(variances[i]).toBeCloseTo(e.variance, 12);
    });
  });

  it('interpolates nearly noise-free data and its gradients match finite differences', () => {
    const rows = [[0.1, 0.2], [0.8, 0.3], [0.4, 0.9], [0.55, 0.5]];
    const y = [0.3, -1.2, 0.8, 0.1];
    const gp = new GaussianProcess(data(rows, y), params([3, 5], 1, 1e-6));
    rows.forEach((row, i) => {
      const { mean, variance } = gp.predict(row);
      expect(mean).toBeCloseTo(y[i]!, 4);
      expect(variance).toBeLessThan(1e-4);
    });
    const point = [0.3, 0.6];
    const meanGrad = new Float64Array(2);
    const varianceGrad = new Float64Array(2);
    const at = gp.predictWithGradient(point, meanGrad, varianceGrad);
    expect(at.mean).toBeCloseTo(gp.predict(point).mean, 12);
    for (let j = 0; j < 2; j++) {
      expect(meanGrad[j]).toBeCloseTo(centralDifference((p) => gp.predict(p).mean, point, j), 6);
      expect(varianceGrad[j]).toBeCloseTo(centralDifference((p) => gp.predict(p).variance, point, j), 6);
    }
  });
});

describe('log expected improvement', () => {
  it('log h(z) = log(φ(z) + zΦ(z)) matches mpmath, deep in the tail included', () => {
    const reference: [number, number][] = [
      [3, 1.0987396653277077],
      [0.5, -0.3598276837450638],
      [0, -0.9189385332046728],
      [-0.5, -1.6205162643873199],
      [-2, -4.768783523917114],
      [-5, -16.74430116266099],
      [-12, -77.90910054500735],
      [-29, -428.1570826442731],
      [-31, -488.2900233978372], // the asymptotic series
      [-40, -808.29856835662],
      [-100, -5010.12957880025], // plain EI underflows to 0 here
    ];
    for (const [z, logH] of reference) expect(logStandardEi(z) / logH).toBeCloseTo(1, 12);
  });

  it('equals log(σ·(zΦ(z) + φ(z))) with the GP posterior, and its gradient matches finite differences', () => {
    const gp = new GaussianProcess(data([[0.1, 0.2], [0.8, 0.3], [0.4, 0.9]], [0.3, -1.2, 0.8]), params([4, 2], 1, 1e-3));
    const best = 0.8;
    const acquisition = new LogExpectedImprovement(gp, best);
    for (const point of [[0.2, 0.7], [0.6, 0.6], [0.95, 0.05]]) {
      const { mean, variance } = gp.predict(point);
      const sigma = Math.sqrt(variance);
      const z = (mean - best) / sigma;
      expect(acquisition.value(point)).toBeCloseTo(Math.log(sigma * (z * normalCdf(z) + normalPdf(z))), 8);
      const grad = new Float64Array(2);
      expect(acquisition.valueWithGradient(point, grad)).toBeCloseTo(acquisition.value(point), 10);
      for (let j = 0; j < 2; j++) expect(grad[j]).toBeCloseTo(centralDifference((p) => acquisition.value(p), point, j), 5);
    }
  });
});

describe('hyperparameter fit (maximum a posteriori)', () => {
  /** y depends on x0 only; x1 is noise-free but irrelevant. */
  const sample = (n: number, seed: number) => {
    const rng = createRng(seed);
    const rows = Array.from({ length: n }, () => [rng.uniform(), rng.uniform()]);
    const raw = rows.map(([a]) => Math.sin(6 * a!));
    const mean = raw.reduce((s, v) => s + v, 0) / n;
    const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
    return data(rows, raw.map((v) => (v - mean) / std));
  };
  const raw = (p: KernelParams) => Float64Array.from([...Array.from(p.inverseSquaredLengthscales, Math.log), Math.log(p.scale), Math.log(p.noise - 1e-6)]);

  it('the loss gradient matches finite differences', () => {
    const train = sample(12, 1);
    const loss = negativeLogPosterior(train, false);
    const at = Float64Array.from([0.5, -0.3, 0.2, -3]);
    const grad = new Float64Array(4);
    loss(at, grad);
    const scratch = new Float64Array(4);
    for (let k = 0; k < 4; k++) expect(grad[k]).toBeCloseTo(centralDifference((p) => loss(p, scratch), at, k), 4);
  });

  it('raises the marginal likelihood over the starting point and finds the irrelevant dimension (ARD)', () => {
    for (const seed of [1, 2, 3]) {
      const train = sample(20, seed);
      const loss = negativeLogPosterior(train, false);
      const fitted = fitKernelParams(train, { deterministic: false });
      const scratch = new Float64Array(4);
      const start = loss(Float64Array.from([0, 0, 0, 0]), scratch);
      const end = loss(raw(fitted), scratch);
      expect(end).toBeLessThan(start - 1);
      const [eta0, eta1] = fitted.inverseSquaredLengthscales;
      // A short lengthscale where y varies, a long one where it does not.
      expect(eta0!).toBeGreaterThan(10 * eta1!);
      // Noise-free data: the noise is fitted far below the signal.
      expect(fitted.noise).toBeLessThan(0.01 * fitted.scale);
    }
  });
});

describe('output warping', () => {
  const rng = createRng(11);
  const normals = Array.from({ length: 200 }, () => rng.normal());

  it('Yeo-Johnson: λ = 1 is the identity, λ = 0 is log(1 + x) on the positive side, and it is increasing', () => {
    for (const x of [-3, -0.5, 0, 0.7, 4]) expect(yeoJohnson(x, 1)).toBeCloseTo(x, 14);
    expect(yeoJohnson(2, 0)).toBeCloseTo(Math.log(3), 14);
    expect(yeoJohnson(-2, 0)).toBeCloseTo(-(9 - 1) / 2, 14); // power 2 - λ on the negative side
    for (const lambda of [0, 0.3, 1]) for (let x = -5; x < 5; x += 0.5) expect(yeoJohnson(x + 0.5, lambda)).toBeGreaterThan(yeoJohnson(x, lambda));
  });

  it('clips non-finite losses to the finite range, also for more losses than a call can take arguments', () => {
    expect(clipNonFinite([2, NaN, -Infinity, 5, Infinity])).toEqual([2, 5, 2, 5, 5]);
    expect(clipNonFinite([NaN, Infinity])).toEqual([0, 0]);
    const many = Array.from({ length: 300_000 }, (_, i) => i);
    many[1] = NaN;
    const clipped = clipNonFinite(many); // spreading 300,000 values into Math.max overflowed the stack
    expect(clipped[1]).toBe(299_999);
    expect(clipped[0]).toBe(0);
  });

  it('fits λ = 1 (no warping) to Gaussian data and a log-like λ to a heavy tail of large losses', () => {
    expect(fitYeoJohnson(normals)).toBeGreaterThan(0.9);
    const heavy = normals.map((v) => Math.exp(2 * v)); // lognormal: log is the right transform
    const standardized = (() => {
      const m = heavy.reduce((a, b) => a + b, 0) / heavy.length;
      const s = Math.sqrt(heavy.reduce((a, b) => a + (b - m) ** 2, 0) / heavy.length);
      return heavy.map((v) => (v - m) / s);
    })();
    const lambda = fitYeoJohnson(standardized);
    expect(lambda).toBeLessThan(0.3);
    // It is the maximum of the profile likelihood over [0, 1] (checked on a fine grid).
    for (let g = 0; g <= 100; g++) expect(yeoJohnsonLogLikelihood(standardized, lambda)).toBeGreaterThanOrEqual(yeoJohnsonLogLikelihood(standardized, g / 100) - 1e-6);
    // The tail no longer squashes the good half: the targets from the best loss to the median spread over
    // more than twice the range plain standardization gives them.
    const y = warpedTargets(heavy);
    const order = heavy.map((_, i) => i).sort((a, b) => heavy[a]! - heavy[b]!);
    const [best, middle] = [order[0]!, order[100]!];
    expect(y[best]! - y[middle]!).toBeGreaterThan(2 * (standardized[middle]! - standardized[best]!));
  });

  it('targets keep the order of the losses (reversed: larger is better), are standardized, and make NaN the worst', () => {
    const losses = [3, 1e6, 0.5, 20, 7, 1e3];
    const y = warpedTargets(losses);
    for (let i = 0; i < losses.length; i++) for (let j = 0; j < losses.length; j++) if (losses[i]! < losses[j]!) expect(y[i]).toBeGreaterThan(y[j]!);
    expect(y.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(y.reduce((a, b) => a + b * b, 0) / y.length).toBeCloseTo(1, 12);
    const withNaN = warpedTargets([1, NaN, 2, 3]);
    expect(withNaN[1]).toBe(Math.min(...withNaN));
    for (const v of warpedTargets([2, 2, 2])) expect(v).toBeCloseTo(0, 15); // constant losses: a flat target, no NaN
  });
});

describe('mixed spaces', () => {
  const grid = (size: number): SearchDimension => ({ kind: 'discrete', size, fixed: null, coordinate: (k) => (k + 0.5) / size, index: (u) => Math.min(Math.floor(u * size), size - 1) });
  const categorical = (size: number): SearchDimension => ({ kind: 'categorical', size, fixed: null, coordinate: (k) => k, index: (u) => Math.min(Math.floor(u * size), size - 1) });

  it('the acquisition optimizer only ever scores grid points and whole choices', () => {
    const gp = new GaussianProcess(data([[0.2, 0.1, 0], [0.7, 0.5, 2], [0.4, 0.9, 1]], [0.5, -0.5, 1], [2]), params([3, 2, 1], 1, 1e-4));
    const acquisition = new LogExpectedImprovement(gp, 1);
    const dims: SearchDimension[] = [{ kind: 'continuous', size: 0, fixed: null, coordinate: (u) => u, index: (u) => u }, grid(5), categorical(3)];
    const ranked = maximizeAcquisition(acquisition, dims, [Float64Array.from([0.4, 0.9, 1])], { nCandidates: 256, nLocalSearch: 5, lengthscales: Float64Array.from([0.5, 0.7, 1]), rng: createRng(7) });
    expect(ranked.length).toBeGreaterThan(256);
    for (const { x, value } of ranked) {
      expect(Number.isFinite(value) || value === -Infinity).toBe(true);
      expect(x[0]).toBeGreaterThanOrEqual(0);
      expect(x[0]).toBeLessThanOrEqual(1);
      expect([0.1, 0.3, 0.5, 0.7, 0.9].some((c) => Math.abs(x[1]! - c) < 1e-12)).toBe(true);
      expect([0, 1, 2]).toContain(x[2]);
    }
    // The best point is at least as good as every scored candidate.
    expect(ranked[0]!.value).toBeGreaterThanOrEqual(Math.max(...ranked.slice(1).map((r) => r.value)));
  });

  it('relabelling a categorical\'s choices changes no prediction (choices are not ordered)', () => {
    const rows = [[0.1, 0], [0.5, 1], [0.9, 2], [0.3, 2]];
    const y = [1, -1, 0.3, 0.2];
    const relabel = [2, 0, 1];
    const a = new GaussianProcess(data(rows, y, [1]), params([4, 1.5], 1, 1e-3));
    const b = new GaussianProcess(data(rows.map(([x, c]) => [x!, relabel[c!]!]), y, [1]), params([4, 1.5], 1, 1e-3));
    for (const [x, c] of [[0.2, 0], [0.7, 1], [0.4, 2]] as const) {
      expect(b.predict([x, relabel[c]!]).mean).toBeCloseTo(a.predict([x, c]).mean, 12);
      expect(b.predict([x, relabel[c]!]).variance).toBeCloseTo(a.predict([x, c]).variance, 12);
    }
  });

  it('the sampler finds the optimum of a mixed int/categorical/log-float problem far sooner than random search', () => {
    const space: SearchSpace = {
      lr: { type: 'float', low: 1e-4, high: 1, log: true },
      layers: { type: 'int', low: 1, high: 12 },
      units: { type: 'int', low: 16, high: 256, step: 16 },
      act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu', 'elu'] },
    };
    const f = (p: Record<string, unknown>) =>
      (Math.log10(p.lr as number) + 2) ** 2 + 0.1 * ((p.layers as number) - 7) ** 2 + (((p.units as number) - 128) / 64) ** 2 + (p.act === 'gelu' ? 0 : 1);
    const run = (type: string, seed: number) => {
      const study = createStudy({ space, sampler: { type, seed }, scheduler: { type: 'none' } });
      let best = Infinity;
      for (let i = 0; i < 35; i++) {
        const { number, params } = study.ask();
        expect(Number.isInteger(params.layers)).toBe(true);
        expect((params.units as number) % 16).toBe(0);
        const value = f(params);
        best = Math.min(best, value);
        study.tell(number, value);
      }
      return best;
    };
    const seeds = [0, 1, 2];
    const gp = seeds.map((s) => run('gp', s)).sort((a, b) => a - b);
    const random = seeds.map((s) => run('random', s)).sort((a, b) => a - b);
    // At the optimum the categorical is right (0 instead of 1) and the rest is near: the median run gets there.
    expect(gp[1]).toBeLessThan(0.5);
    expect(gp[1]).toBeLessThan(random[1]!);
  });
});

describe('subset of trials above maxModelTrials', () => {
  it('keeps every row, drawing nothing, up to the cap', () => {
    const rng = createRng(5);
    const before = rng.state();
    expect(selectModelTrials([3, 1, 2], 3, rng)).toEqual([0, 1, 2]);
    expect(rng.state()).toEqual(before);
  });

  it('above it: the cap\'s size, ascending, the best quarter always in, the same rows for the same stream', () => {
    const rng = createRng(11);
    const losses = Array.from({ length: 500 }, () => rng.normal());
    losses[499] = -100; // the best trial is the last one
    losses[7] = NaN; // counts as the worst
    const order = [...losses.keys()].sort((a, b) => (Number.isNaN(losses[a]!) ? 1 : Number.isNaN(losses[b]!) ? -1 : losses[a]! - losses[b]!));
    for (const seed of [0, 1, 2]) {
      const rows = selectModelTrials(losses, 40, createRng(seed));
      expect(rows).toHaveLength(40);
      expect(new Set(rows).size).toBe(40);
      expect(rows).toEqual([...rows].sort((a, b) => a - b));
      expect(rows).toContain(499);
      for (const best of order.slice(0, 10)) expect(rows).toContain(best);
      expect(selectModelTrials(losses, 40, createRng(seed))).toEqual(rows);
    }
    // The rest is a fresh draw per stream, so successive proposals see different parts of the history.
    expect(selectModelTrials(losses, 40, createRng(0))).not.toEqual(selectModelTrials(losses, 40, createRng(1)));
  });

  it('the sampler above the cap proposes the same point inside the space on every call, and the cap changes nothing below it', () => {
    const raw: SearchSpace = { a: { type: 'float', low: -2, high: 3 }, b: { type: 'int', low: 1, high: 9 }, c: { type: 'categorical', choices: ['x', 'y', 'z'] } };
    const space = parseSpace(raw);
    const study = createStudy({ space: raw, sampler: { type: 'random', seed: 4 }, scheduler: { type: 'none' } });
    for (let i = 0; i < 61; i++) {
      const { number, params } = study.ask();
      if (i < 60) study.tell(number, ((params.a as number) - 1) ** 2 + (params.b as number) / 10 + (params.c === 'y' ? 0 : 1)); // the last one stays RUNNING
    }
    const ctx = { space, trials: study.trials, seed: 9, trialNumber: 61, attempt: 0, directions: ['minimize' as const], fixed: {} };
    const capped = createGpSampler({ maxModelTrials: 24, nCandidates: 256 });
    const proposal = capped.sample(ctx);
    expect(capped.sample({ ...ctx, trials: study.trials.map((t) => ({ ...t })) })).toEqual(proposal);
    for (const param of space.params) expect(valueProblem(param, proposal[param.name]!)).toBeNull();
    // 60 finished trials: a cap of 60 fits on all of them, exactly as with no cap at all.
    const uncapped = createGpSampler({ maxModelTrials: 100_000, nCandidates: 256 }).sample(ctx);
    expect(createGpSampler({ maxModelTrials: 60, nCandidates: 256 }).sample(ctx)).toEqual(uncapped);
  });
});
