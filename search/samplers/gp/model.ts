// The Gaussian process behind the `gp` sampler: a Matérn 5/2 kernel with one lengthscale per dimension
// (ARD) times a signal variance, plus observation noise. Categorical dimensions hold a choice index and
// contribute a Hamming distance (0 for the same choice, 1 otherwise), as in Optuna's GPSampler.
// Hyperparameters are the maximum a posteriori estimate under Optuna's priors, found by L-BFGS on the
// log marginal likelihood with analytic gradients.
import { cholesky, choleskyInverse, choleskyLogDet, choleskySolve, dotAt, solveLower } from '../../math/linalg';
import { minimizeLbfgs } from '../../math/optimize';

export interface KernelParams {
  /** 1 / lengthscale², one per dimension. */
  inverseSquaredLengthscales: Float64Array;
  /** Signal variance: k(x, x). */
  scale: number;
  /** Observation noise variance. */
  noise: number;
}

export interface TrainingData {
  /** n × d row-major inputs: continuous and discrete dimensions in [0, 1], categorical ones a choice index. */
  x: Float64Array;
  y: Float64Array;
  n: number;
  d: number;
  isCategorical: Uint8Array;
}

/** Optuna's floor on the noise variance (its DEFAULT_MINIMUM_NOISE_VAR): keeps the kernel matrix invertible. */
export const MINIMUM_NOISE = 1e-6;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT5 = Math.sqrt(5);
/** Points per block in `predictMany`. */
const PREDICT_BLOCK = 64;

/** Matérn 5/2 as a function of the scaled squared distance D: (1 + √(5D) + 5D/3)·exp(-√(5D)). */
export function matern52(squaredDistance: number): number {
  const r = SQRT5 * Math.sqrt(squaredDistance);
  return (1 + r + (5 / 3) * squaredDistance) * Math.exp(-r);
}

/** d matern52 / dD = -5/6·(1 + √(5D))·exp(-√(5D)): finite at D = 0, unlike the derivative in the distance. */
export function matern52Derivative(squaredDistance: number): number {
  const r = SQRT5 * Math.sqrt(squaredDistance);
  return (-5 / 6) * (1 + r) * Math.exp(-r);
}

/** D(a, b) = Σ_k η_k·d_k², with d_k = a_k - b_k, or [a_k ≠ b_k] for a categorical dimension. */
function scaledSquaredDistance(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, eta: Float64Array, isCategorical: Uint8Array): number {
  let sum = 0;
  for (let k = 0; k < eta.length; k++) {
    const diff = a[aOffset + k]! - b[bOffset + k]!;
    sum += eta[k]! * (isCategorical[k] ? (diff !== 0 ? 1 : 0) : diff * diff);
  }
  return sum;
}

// ---- hyperparameter fitting ----------------------------------------------------------------------

export interface FitOptions {
  /** Fix the noise at MINIMUM_NOISE instead of fitting it. */
  deterministic: boolean;
}

/**
 * Log prior of the hyperparameters (Optuna's default_log_prior, constants dropped): a hand-made prior
 * -(0.1/η + 0.1·η) on each inverse squared lengthscale η (it keeps lengthscales away from 0 and from
 * infinity), Gamma(2, 1) on the signal variance and Gamma(1.1, 30) on the noise variance (which puts
 * the noise near a few thousandths of the standardized output variance unless the data insist).
 */
export function logPrior(eta: Float64Array, scale: number, noise: number): number {
  let value = 0;
  for (let k = 0; k < eta.length; k++) value -= 0.1 / eta[k]! + 0.1 * eta[k]!;
  return value + (Math.log(scale) - scale) + (0.1 * Math.log(noise) - 30 * noise);
}

/** Raw (optimized) parameters: log η_1..d, log scale, and (unless deterministic) log(noise - MINIMUM_NOISE). */
function unpack(raw: Float64Array, d: number, deterministic: boolean): KernelParams {
  const eta = new Float64Array(d);
  for (let k = 0; k < d; k++) eta[k] = Math.exp(raw[k]!);
  return { inverseSquaredLengthscales: eta, scale: Math.exp(raw[d]!), noise: deterministic ? MINIMUM_NOISE : Math.exp(raw[d + 1]!) + MINIMUM_NOISE };
}

/**
 * The negative log posterior of the hyperparameters (negative log marginal likelihood minus log prior)
 * as a function of the raw parameters, with its gradient. With W = α·αᵀ - K⁻¹ and α = K⁻¹y, the
 * likelihood's gradient is ½·tr(W·∂K/∂θ) for each parameter θ.
 */
export function negativeLogPosterior(data: TrainingData, deterministic: boolean): (raw: Float64Array, grad: Float64Array) => number {
  const { n, d, x, y, isCategorical } = data;
  const pairs = (n * (n - 1)) / 2;
  // Per pair (i > j) and dimension: the unscaled squared distance, computed once.
  const pairDistances = new Float64Array(pairs * d);
  for (let i = 0, p = 0; i < n; i++) {
    for (let j = 0; j < i; j++, p++) {
      for (let k = 0; k < d; k++) {
        const diff = x[i * d + k]! - x[j * d + k]!;
        pairDistances[p * d + k] = isCategorical[k] ? (diff !== 0 ? 1 : 0) : diff * diff;
      }
    }
  }
  const kernel = new Float64Array(n * n);
  const factor = new Float64Array(n * n);
  const inverse = new Float64Array(n * n);
  const inverseScratch = new Float64Array(n * n);
  const alpha = new Float64Array(n);
  const pairMatern = new Float64Array(pairs);
  const pairDerivative = new Float64Array(pairs);

  return (raw, grad) => {
    const { inverseSquaredLengthscales: eta, scale, noise } = unpack(raw, d, deterministic);
    for (let i = 0, p = 0; i < n; i++) {
      kernel[i * n + i] = scale + noise;
      for (let j = 0; j < i; j++, p++) {
        let distance = 0;
        for (let k = 0; k < d; k++) distance += eta[k]! * pairDistances[p * d + k]!;
        const r = SQRT5 * Math.sqrt(distance);
        const e = Math.exp(-r);
        const m = (1 + r + (5 / 3) * distance) * e;
        pairMatern[p] = m;
        pairDerivative[p] = (-5 / 6) * (1 + r) * e;
        kernel[i * n + j] = scale * m;
      }
    }
    if (cholesky(kernel, n, factor) === null) return Infinity;
    choleskySolve(factor, n, y, alpha);
    let quadratic = 0;
    for (let i = 0; i < n; i++) quadratic += y[i]! * alpha[i]!;
    const logLikelihood = -0.5 * quadratic - 0.5 * choleskyLogDet(factor, n) - 0.5 * n * LOG_2PI;
    choleskyInverse(factor, n, inverse, inverseScratch);

    grad.fill(0);
    let traceW = 0;
    for (let i = 0; i < n; i++) traceW += alpha[i]! * alpha[i]! - inverse[i * n + i]!;
    let scaleGrad = 0.5 * scale * traceW;
    for (let i = 0, p = 0; i < n; i++) {
      for (let j = 0; j < i; j++, p++) {
        const w = alpha[i]! * alpha[j]! - inverse[i * n + j]!;
        scaleGrad += w * scale * pairMatern[p]!; // the pair (i, j) and (j, i): ½·2
        const common = w * scale * pairDerivative[p]!;
        for (let k = 0; k < d; k++) grad[k] = grad[k]! + common * pairDistances[p * d + k]!;
      }
    }
    // Into gradients of the loss in the raw (log) parameters, prior included.
    for (let k = 0; k < d; k++) {
      const e = eta[k]!;
      grad[k] = -(grad[k]! * e + (0.1 / e - 0.1 * e));
    }
    grad[d] = -(scaleGrad + (1 - scale));
    if (!deterministic) {
      const excess = noise - MINIMUM_NOISE; // = exp(raw noise)
      grad[d + 1] = -(0.5 * excess * traceW + (0.1 / noise - 30) * excess);
    }
    return -(logLikelihood + logPrior(eta, scale, noise));
  };
}

/** Where the fit starts: Optuna's default (all ones). */
const DEFAULT_START = { logEta: 0, logScale: 0, logNoise: 0 };
/** The restart when the default start explains the data as mostly noise (a common poor local optimum). */
const SHORT_LENGTHSCALE_START = { logEta: Math.log(20), logScale: 0, logNoise: Math.log(1e-3) };
const MOSTLY_NOISE = 0.1;

/**
 * The MAP hyperparameters for the data. Samplers are pure, so there is no previous fit to warm-start
 * from (Optuna reuses the last one): the fit starts from Optuna's default, and when that ends with the
 * noise above a tenth of the signal variance, once more from short lengthscales and little noise,
 * keeping the better of the two. Optuna's gtol (1e-2) is enough for a surrogate and keeps this fast.
 */
export function fitKernelParams(data: TrainingData, options: FitOptions): KernelParams {
  const { d } = data;
  const size = options.deterministic ? d + 1 : d + 2;
  const lower = new Float64Array(size).fill(-12);
  const upper = new Float64Array(size).fill(12);
  if (!options.deterministic) {
    lower[d + 1] = -30;
    upper[d + 1] = 3;
  }
  const objective = negativeLogPosterior(data, options.deterministic);
  const fit = (start: typeof DEFAULT_START) => {
    const x0 = new Float64Array(size).fill(start.logEta);
    x0[d] = start.logScale;
    if (!options.deterministic) x0[d + 1] = start.logNoise;
    return minimizeLbfgs(objective, x0, { lower, upper, pgtol: 1e-2, maxIterations: 200 });
  };
  let best = fit(DEFAULT_START);
  const first = unpack(best.x, d, options.deterministic);
  if (!Number.isFinite(best.f) || first.noise > MOSTLY_NOISE * first.scale) {
    const second = fit(SHORT_LENGTHSCALE_START);
    if (Number.isFinite(second.f) && !(second.f >= best.f)) best = second;
  }
  return Number.isFinite(best.f) ? unpack(best.x, d, options.deterministic) : unpack(new Float64Array(size), d, options.deterministic);
}

// ---- the posterior -------------------------------------------------------------------------------

/** The GP conditioned on (x, y) with fixed kernel parameters: posterior mean and variance, with gradients. */
export class GaussianProcess {
  readonly n: number;
  readonly d: number;
  private readonly x: Float64Array;
  private readonly factor: Float64Array;
  private readonly alpha: Float64Array;
  private inverse: Float64Array | null = null;
  private readonly eta: Float64Array;
  private readonly isCategorical: Uint8Array;
  /** Scratch: the kernel vector k(x, X), L⁻¹k or K⁻¹k, and m'(D_i). */
  private readonly k: Float64Array;
  private readonly solved: Float64Array;
  private readonly derivative: Float64Array;
  private blockBuffer: Float64Array | null = null;

  constructor(
    data: TrainingData,
    readonly params: KernelParams,
  ) {
    const { n, d, x } = data;
    this.n = n;
    this.d = d;
    this.x = x;
    this.eta = params.inverseSquaredLengthscales;
    this.isCategorical = data.isCategorical;
    const kernel = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      kernel[i * n + i] = params.scale + params.noise;
      for (let j = 0; j < i; j++) {
        const value = params.scale * matern52(scaledSquaredDistance(x, i * d, x, j * d, this.eta, this.isCategorical));
        kernel[i * n + j] = value;
        kernel[j * n + i] = value;
      }
    }
    const factored = cholesky(kernel, n);
    if (factored === null) throw new Error('gp: the kernel matrix is not positive definite even with jitter (non-finite inputs?)');
    this.factor = factored.factor;
    this.alpha = choleskySolve(this.factor, n, data.y);
    this.k = new Float64Array(n);
    this.solved = new Float64Array(n);
    this.derivative = new Float64Array(n);
  }

  /** Posterior mean and variance (variance clamped at 0) at the point stored at `point[offset..offset+d)`. */
  predict(point: ArrayLike<number>, offset = 0): { mean: number; variance: number } {
    const { n, d, k } = this;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      k[i] = this.params.scale * matern52(scaledSquaredDistance(point, offset, this.x, i * d, this.eta, this.isCategorical));
      mean += k[i]! * this.alpha[i]!;
    }
    // var = s - kᵀK⁻¹k = s - |L⁻¹k|²: one triangular solve, half the work of the quadratic form.
    solveLower(this.factor, n, k, this.solved);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += this.solved[i]! * this.solved[i]!;
    return { mean, variance: Math.max(this.params.scale - explained, 0) };
  }

  /**
   * Posterior means and variances of `count` points stored row by row in `points`, in blocks: the
   * triangular solve then runs over a block of kernel vectors at once, with no dependency chain in its
   * inner loop, which is several times faster than one point at a time.
   */
  predictMany(points: Float64Array, count: number, means: Float64Array, variances: Float64Array): void {
    const { n, d, eta, isCategorical } = this;
    const x = this.x;
    const factor = this.factor;
    const alpha = this.alpha;
    const scale = this.params.scale;
    const block = PREDICT_BLOCK;
    const kt = (this.blockBuffer ??= new Float64Array(n * block));
    for (let start = 0; start < count; start += block) {
      const size = Math.min(block, count - start);
      for (let c = 0; c < size; c++) {
        means[start + c] = 0;
        variances[start + c] = 0;
      }
      for (let i = 0; i < n; i++) {
        const row = i * block;
        const a = alpha[i]!;
        for (let c = 0; c < size; c++) {
          const value = scale * matern52(scaledSquaredDistance(points, (start + c) * d, x, i * d, eta, isCategorical));
          kt[row + c] = value;
          means[start + c] = means[start + c]! + value * a;
        }
      }
      // Forward substitution L·V = K*ᵀ, column block at a time; |V column|² is the explained variance.
      for (let i = 0; i < n; i++) {
        const row = i * block;
        const rowL = i * n;
        // Four rows k per pass over the block: each entry is loaded and stored once per four updates
        // instead of once per update. The subtractions stay in k order, so the result is bit for bit
        // that of one k at a time.
        let k = 0;
        for (; k + 3 < i; k += 4) {
          const l0 = factor[rowL + k]!;
          const l1 = factor[rowL + k + 1]!;
          const l2 = factor[rowL + k + 2]!;
          const l3 = factor[rowL + k + 3]!;
          const r0 = k * block;
          const r1 = r0 + block;
          const r2 = r1 + block;
          const r3 = r2 + block;
          for (let c = 0; c < size; c++) kt[row + c] = kt[row + c]! - l0 * kt[r0 + c]! - l1 * kt[r1 + c]! - l2 * kt[r2 + c]! - l3 * kt[r3 + c]!;
        }
        for (; k < i; k++) {
          const lik = factor[rowL + k]!;
          const rowK = k * block;
          for (let c = 0; c < size; c++) kt[row + c] = kt[row + c]! - lik * kt[rowK + c]!;
        }
        const inverseDiagonal = 1 / factor[rowL + i]!;
        for (let c = 0; c < size; c++) {
          const v = kt[row + c]! * inverseDiagonal;
          kt[row + c] = v;
          variances[start + c] = variances[start + c]! + v * v;
        }
      }
      for (let c = 0; c < size; c++) variances[start + c] = Math.max(scale - variances[start + c]!, 0);
    }
  }

  /**
   * Posterior mean and variance at `point` with their gradients in every non-categorical dimension
   * (categorical entries of the gradients are 0).
   */
  predictWithGradient(point: ArrayLike<number>, meanGrad: Float64Array, varianceGrad: Float64Array): { mean: number; variance: number } {
    const { n, d, k, derivative, eta, isCategorical } = this;
    const inverse = (this.inverse ??= choleskyInverse(this.factor, n));
    const scale = this.params.scale;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const distance = scaledSquaredDistance(point, 0, this.x, i * d, eta, isCategorical);
      k[i] = scale * matern52(distance);
      derivative[i] = scale * matern52Derivative(distance);
      mean += k[i]! * this.alpha[i]!;
    }
    // w = K⁻¹k; var = s - k·w; ∂var = -2 Σ_i w_i ∂k_i, ∂mean = Σ_i α_i ∂k_i.
    const w = this.solved;
    let explained = 0;
    for (let i = 0; i < n; i++) {
      const sum = dotAt(inverse, i * n, k, 0, n);
      w[i] = sum;
      explained += sum * k[i]!;
    }
    meanGrad.fill(0);
    varianceGrad.fill(0);
    for (let i = 0; i < n; i++) {
      const a = this.alpha[i]!;
      const b = -2 * w[i]!;
      const row = i * d;
      for (let j = 0; j < d; j++) {
        if (isCategorical[j]) continue;
        // ∂k_i/∂x_j = s·m'(D)·2η_j(x_j - X_ij)
        const dk = derivative[i]! * 2 * eta[j]! * (point[j]! - this.x[row + j]!);
        meanGrad[j] = meanGrad[j]! + a * dk;
        varianceGrad[j] = varianceGrad[j]! + b * dk;
      }
    }
    const variance = scale - explained;
    if (variance <= 0) {
      varianceGrad.fill(0);
      return { mean, variance: 0 };
    }
    return { mean, variance };
  }
}
