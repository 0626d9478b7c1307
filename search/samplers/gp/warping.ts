// Output warping for the GP: the objective values the model sees.
//
// A GP with a stationary kernel and Gaussian noise fits badly when the objective has a heavy tail of
// bad values (Rosenbrock's 1e5s next to 10s, Branin's 300s next to 0.4): standardization is dominated
// by the tail, the good region is squashed into a sliver near the minimum, and the model cannot resolve
// it. Optuna's GPSampler lists output warping as missing; HEBO (Cowen-Rivers et al., 2022) power-transforms
// its outputs the same way. On the bench problems (5 seeds) it took rosenbrock4 from 31.5 to 4.5 and
// ackley5 from 5.97 to 5.4 at 100 trials, and branin to 0.39789 at 50.
//
// We fit a Yeo-Johnson transform to the standardized losses by maximum likelihood (the transformed
// values should look Gaussian), with λ restricted to [0, 1]: those transforms are concave and increasing,
// so they only ever compress the bad (large-loss) side and stretch the good side, never the reverse, and
// the ranking of the trials is unchanged. A loss that is already roughly Gaussian or skewed towards good
// values gets λ = 1, the identity. (Scaling by median and MAD instead of mean and standard deviation
// before the transform spreads the good values further still: rosenbrock4 better, branin and ackley5
// worse in the same seeds, so it is not used.)

import { maxOf, minOf } from '../../math/extremes';

/** Values below this spread are treated as constant when standardizing (Optuna's EPS). */
const STD_FLOOR = 1e-10;
const GOLDEN = (Math.sqrt(5) - 1) / 2;
const LAMBDA_ITERATIONS = 40;

/**
 * GP targets (larger is better, mean 0, variance 1) for `losses` (smaller is better): standardized,
 * warped by the fitted concave Yeo-Johnson transform, negated and standardized again. Non-finite losses
 * are clipped to the finite range first (as Optuna does).
 */
export function warpedTargets(losses: readonly number[]): Float64Array {
  const z = standardize(clipNonFinite(losses));
  const lambda = fitYeoJohnson(z);
  return standardize(Array.from(z, (v) => -yeoJohnson(v, lambda)));
}

/** (v - mean) / std over the population. */
export function standardize(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (values[i]! - mean) ** 2;
  const std = Math.max(Math.sqrt(variance / n), STD_FLOOR);
  return Float64Array.from(values, (v) => (v - mean) / std);
}

/** Losses with NaN made the worst finite loss and ±Infinity clipped to the finite range; all zero when nothing is finite. */
export function clipNonFinite(losses: readonly number[]): number[] {
  const finite = losses.filter(Number.isFinite);
  const low = finite.length > 0 ? minOf(finite) : 0;
  const high = finite.length > 0 ? maxOf(finite) : 0;
  return losses.map((v) => (Number.isNaN(v) ? high : Math.min(Math.max(v, low), high)));
}

/** The Yeo-Johnson transform: a Box-Cox power on 1 + x for x >= 0, mirrored (power 2 - λ) for x < 0. */
export function yeoJohnson(x: number, lambda: number): number {
  if (x >= 0) return lambda === 0 ? Math.log1p(x) : ((1 + x) ** lambda - 1) / lambda;
  return lambda === 2 ? -Math.log1p(-x) : -((1 - x) ** (2 - lambda) - 1) / (2 - lambda);
}

/**
 * The profile log-likelihood of λ: the Gaussian log-likelihood of the transformed values (variance at
 * its estimate) plus the log-Jacobian of the transform, Σ (λ - 1)·sign(x)·log(1 + |x|).
 */
export function yeoJohnsonLogLikelihood(x: ArrayLike<number>, lambda: number): number {
  const n = x.length;
  let mean = 0;
  let jacobian = 0;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = yeoJohnson(x[i]!, lambda);
    mean += t[i]!;
    jacobian += Math.sign(x[i]!) * Math.log1p(Math.abs(x[i]!));
  }
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (t[i]! - mean) ** 2;
  variance = Math.max(variance / n, STD_FLOOR * STD_FLOOR);
  return -0.5 * n * Math.log(variance) + (lambda - 1) * jacobian;
}

/** The maximum-likelihood λ in [0, 1], by golden-section search (the profile likelihood is unimodal in λ). */
export function fitYeoJohnson(x: ArrayLike<number>): number {
  let low = 0;
  let high = 1;
  let a = high - GOLDEN * (high - low);
  let b = low + GOLDEN * (high - low);
  let fa = yeoJohnsonLogLikelihood(x, a);
  let fb = yeoJohnsonLogLikelihood(x, b);
  for (let i = 0; i < LAMBDA_ITERATIONS; i++) {
    if (fa >= fb) {
      high = b;
      b = a;
      fb = fa;
      a = high - GOLDEN * (high - low);
      fa = yeoJohnsonLogLikelihood(x, a);
    } else {
      low = a;
      a = b;
      fa = fb;
      b = low + GOLDEN * (high - low);
      fb = yeoJohnsonLogLikelihood(x, b);
    }
  }
  // The ends are candidates too: the search converges inside (0, 1) and the optimum is often at 1.
  let best = (low + high) / 2;
  let bestValue = yeoJohnsonLogLikelihood(x, best);
  for (const end of [0, 1]) {
    const value = yeoJohnsonLogLikelihood(x, end);
    if (value > bestValue) {
      best = end;
      bestValue = value;
    }
  }
  return best;
}
