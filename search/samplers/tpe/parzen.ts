// The Parzen estimator of TPE (Bergstra et al., 2011; Optuna 5's variant): a weighted mixture of
// product kernels over the [0, 1]-encoded space, one kernel per observation plus a broad prior kernel.
//
//   numeric dimension: a normal kernel at the observation, truncated to [0, 1]. Its bandwidth is the
//     larger gap to the neighbouring observations (the interval's ends count as neighbours, except for
//     the outermost observations unless `considerEndpoints`), clipped to [1 / min(100, 1 + kernels), 1]
//     (Optuna's "magic clip"). The prior kernel is N(0.5, 1) truncated to [0, 1].
//   discrete dimension (int, stepped float, int on a log scale): the same kernel, but a value's
//     probability is the kernel's mass over the value's cell (the interval of [0, 1] that encodes to it),
//     as Optuna's discretized truncated normal.
//   categorical dimension: each observation's kernel puts priorWeight / kernels on every choice plus 1 on
//     its own choice, normalized; the prior kernel is uniform.
//
// In a product kernel every dimension uses the same mixture component, so a multivariate estimator
// keeps the correlations between parameters that the observations show.
import type { Rng } from '../../rng';
import { logGaussMass, logSumExp, normalLogPdf, truncatedNormalQuantile } from '../../math/stats';

export type Dimension =
  | { kind: 'continuous' }
  /** `cell(u)` is the [low, high) interval of the value that u encodes to. */
  | { kind: 'discrete'; cell(u: number): [number, number] }
  | { kind: 'categorical'; choices: number };

export interface ParzenOptions {
  priorWeight: number;
  considerEndpoints: boolean;
  /** 'neighbors': Optuna 5's gap rule; 'scott': 0.2 · n^(-1/(d + 4)) for every kernel (Optuna <= 3's multivariate rule). */
  bandwidth: 'neighbors' | 'scott';
}

/**
 * Points in the estimator's coordinates, row-major (count × dims): `x` is the encoded value of a
 * continuous dimension, the low end of the cell of a discrete one (`upper` holds its high end), and the
 * choice index of a categorical one.
 */
export interface Points {
  count: number;
  x: Float64Array;
  upper: Float64Array;
}

/** Observations as rows of encoded values (a discrete value encodes to its cell's centre or, on a log scale, its log). */
export class ParzenEstimator {
  readonly kernels: number;
  private readonly logWeights: Float64Array;
  private readonly cumulativeWeights: Float64Array;
  /** Per numeric dimension: kernel means, bandwidths, and log of the kernel's mass inside [0, 1] (plus log σ when continuous). */
  private readonly mus: Float64Array[] = [];
  private readonly sigmas: Float64Array[] = [];
  private readonly logMasses: Float64Array[] = [];
  /** Per categorical dimension: log-probabilities, kernels × choices. */
  private readonly logProbabilities: Float64Array[] = [];

  constructor(
    readonly dims: readonly Dimension[],
    observations: readonly Float64Array[],
    /** One weight per observation (before normalization); the prior kernel adds priorWeight. */
    observationWeights: readonly number[],
    options: ParzenOptions,
  ) {
    const n = observations.length;
    this.kernels = n + 1;
    const weights = n === 0 ? [1] : [...observationWeights, options.priorWeight];
    const total = weights.reduce((s, w) => s + w, 0);
    this.logWeights = Float64Array.from(weights, (w) => Math.log(w / total));
    this.cumulativeWeights = new Float64Array(weights.length);
    let running = 0;
    weights.forEach((w, k) => (this.cumulativeWeights[k] = running += w / total));

    dims.forEach((dim, j) => {
      const column = Float64Array.from(observations, (row) => row[j]!);
      if (dim.kind === 'categorical') this.logProbabilities[j] = categoricalKernels(column, dim.choices, options.priorWeight);
      else {
        const mu = new Float64Array(this.kernels);
        mu.set(column);
        mu[n] = 0.5;
        const sigma = options.bandwidth === 'scott' ? scottBandwidths(n, dims.length) : bandwidths(column, options.considerEndpoints);
        const logMass = new Float64Array(this.kernels);
        for (let k = 0; k < this.kernels; k++) {
          logMass[k] = logGaussMass(-mu[k]! / sigma[k]!, (1 - mu[k]!) / sigma[k]!) + (dim.kind === 'continuous' ? Math.log(sigma[k]!) : 0);
        }
        this.mus[j] = mu;
        this.sigmas[j] = sigma;
        this.logMasses[j] = logMass;
      }
    });
  }

  /** `count` points drawn from the mixture. */
  sample(rng: Rng, count: number): Points {
    const d = this.dims.length;
    const points: Points = { count, x: new Float64Array(count * d), upper: new Float64Array(count * d) };
    for (let c = 0; c < count; c++) {
      const k = this.component(rng.uniform());
      for (let j = 0; j < d; j++) {
        const dim = this.dims[j]!;
        const at = c * d + j;
        if (dim.kind === 'categorical') {
          points.x[at] = drawChoice(this.logProbabilities[j]!, k, dim.choices, rng.uniform());
          continue;
        }
        const mu = this.mus[j]![k]!;
        const sigma = this.sigmas[j]![k]!;
        const z = truncatedNormalQuantile(rng.uniform(), -mu / sigma, (1 - mu) / sigma);
        const u = Math.min(1, Math.max(0, mu + sigma * z));
        if (dim.kind === 'continuous') points.x[at] = u;
        else [points.x[at], points.upper[at]] = dim.cell(u);
      }
    }
    return points;
  }

  /** log of the mixture's density (probability, for discrete and categorical dimensions) at each point. */
  logPdf(points: Points): Float64Array {
    const d = this.dims.length;
    const K = this.kernels;
    const out = new Float64Array(points.count);
    const acc = new Float64Array(K);
    for (let c = 0; c < points.count; c++) {
      acc.set(this.logWeights);
      for (let j = 0; j < d; j++) {
        const dim = this.dims[j]!;
        const x = points.x[c * d + j]!;
        if (dim.kind === 'categorical') {
          const table = this.logProbabilities[j]!;
          for (let k = 0; k < K; k++) acc[k] = acc[k]! + table[k * dim.choices + x]!;
          continue;
        }
        const mu = this.mus[j]!;
        const sigma = this.sigmas[j]!;
        const logMass = this.logMasses[j]!;
        if (dim.kind === 'continuous') {
          // logMass holds log σ + log(mass in [0, 1]) for continuous dimensions: the density's normalizer.
          for (let k = 0; k < K; k++) acc[k] = acc[k]! + normalLogPdf((x - mu[k]!) / sigma[k]!) - logMass[k]!;
        } else {
          const upper = points.upper[c * d + j]!;
          for (let k = 0; k < K; k++) {
            const s = sigma[k]!;
            acc[k] = acc[k]! + logGaussMass((x - mu[k]!) / s, (upper - mu[k]!) / s) - logMass[k]!;
          }
        }
      }
      out[c] = logSumExp(acc);
    }
    return out;
  }

  private component(u: number): number {
    const cumulative = this.cumulativeWeights;
    for (let k = 0; k < cumulative.length - 1; k++) if (u < cumulative[k]!) return k;
    return cumulative.length - 1;
  }
}

/**
 * Bandwidths of the observation kernels (in observation order) and of the prior kernel (last, 1): each
 * observation's larger gap to its sorted neighbours, 0 and 1 acting as the outer neighbours.
 */
export function bandwidths(mus: Float64Array, considerEndpoints: boolean): Float64Array {
  const n = mus.length;
  const sigma = new Float64Array(n + 1);
  sigma[n] = 1;
  if (n === 0) return sigma;
  const order = Array.from(mus.keys()).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const sorted = [0, ...order.map((i) => mus[i]!), 1];
  const minSigma = 1 / Math.min(100, 1 + (n + 1));
  for (let r = 0; r < n; r++) {
    const left = sorted[r + 1]! - sorted[r]!;
    const right = sorted[r + 2]! - sorted[r + 1]!;
    let s = Math.max(left, right);
    // Without endpoints, the outermost observations look inward only (needs two observations).
    if (!considerEndpoints && n >= 2) {
      if (r === 0) s = right;
      else if (r === n - 1) s = left;
    }
    sigma[order[r]!] = Math.min(1, Math.max(minSigma, s));
  }
  return sigma;
}

/** The same bandwidth for every observation kernel, shrinking with n as Scott's rule in d dimensions; prior 1. */
export function scottBandwidths(n: number, d: number): Float64Array {
  const sigma = new Float64Array(n + 1).fill(Math.min(1, Math.max(1 / Math.min(100, n + 2), 0.2 * Math.max(n, 1) ** (-1 / (d + 4)))));
  sigma[n] = 1;
  return sigma;
}

/** Log-probabilities of each kernel over the choices, kernels × choices (the prior kernel last). */
function categoricalKernels(observed: Float64Array, choices: number, priorWeight: number): Float64Array {
  const n = observed.length;
  const K = n + 1;
  const table = new Float64Array(K * choices);
  if (n === 0) return table.fill(-Math.log(choices));
  for (let k = 0; k < K; k++) {
    const own = k < n ? observed[k]! : -1;
    const base = priorWeight / K;
    const total = base * choices + (own >= 0 ? 1 : 0);
    for (let i = 0; i < choices; i++) {
      const p = total > 0 ? (base + (i === own ? 1 : 0)) / total : 1 / choices;
      table[k * choices + i] = Math.log(p);
    }
  }
  return table;
}

function drawChoice(logTable: Float64Array, k: number, choices: number, u: number): number {
  let cumulative = 0;
  for (let i = 0; i < choices - 1; i++) {
    cumulative += Math.exp(logTable[k * choices + i]!);
    if (u < cumulative) return i;
  }
  return choices - 1;
}
