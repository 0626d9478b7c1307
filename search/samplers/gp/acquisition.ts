// Log expected improvement and its maximization over a mixed space.
//
// logEI follows "Unexpected Improvements to Expected Improvement for Bayesian Optimization" (Ament et
// al., 2023): log E[max(0, f - f*)] computed without the underflow that makes plain EI flat (and its
// gradient zero) far from the incumbent.
//
// The optimizer is Optuna's optimize_acqf_mixed: score a few thousand space-filling candidates (plus
// perturbations of the best observed point), start local searches from the best one, a roulette draw
// of others and the best observed point, and in each local search alternate L-BFGS on the continuous
// dimensions (preconditioned by the lengthscales) with a search over each discrete dimension's grid
// (every value when there are at most 16, else a pattern search) and each categorical's choices. Grid
// dimensions therefore only ever take grid values, so the model sees exactly what will be evaluated.
import { minimizeLbfgs } from '../../math/optimize';
import { normalCdf, normalLogCdf, normalLogPdf, normalPdf } from '../../math/stats';
import type { Rng } from '../../rng';
import type { GaussianProcess } from './model';

// ---- log expected improvement ---------------------------------------------------------------------

/** Below this z the asymptotic series is used (the log1p form has lost ~3 digits to cancellation there). */
const ASYMPTOTIC_Z = -30;

/**
 * log h(z) with h(z) = φ(z) + z·Φ(z) = E[max(0, X + z)] for a standard normal X: the log of EI in
 * units of σ at z = (μ - f*)/σ. Finite for every finite z.
 */
export function logStandardEi(z: number): number {
  if (z > -1) return Math.log(normalPdf(z) + z * normalCdf(z));
  const logPdf = normalLogPdf(z);
  if (z > ASYMPTOTIC_Z) {
    // h = φ·(1 + z·Φ/φ), with the Mills ratio Φ/φ from log Φ so nothing underflows.
    return logPdf + Math.log1p(z * Math.exp(normalLogCdf(z) - logPdf));
  }
  // h = φ/z² · (1 - 3/z² + 15/z⁴ - 105/z⁶ + ...), the asymptotic expansion of the same expression.
  const inverse = 1 / (z * z);
  let total = 1;
  let term = 1;
  for (let k = 1; k < 30; k++) {
    term *= -(2 * k + 1) * inverse;
    const next = total + term;
    if (next === total) break;
    total = next;
  }
  return logPdf + Math.log(inverse) + Math.log(total);
}

/** d/dz log h(z) = Φ(z)/h(z) (since h' = Φ). */
export function logStandardEiDerivative(z: number, logH = logStandardEi(z)): number {
  return Math.exp(normalLogCdf(z) - logH);
}

/** Added to the posterior variance before taking σ (Optuna's stabilizing noise). */
const STABILIZING_NOISE = 1e-12;

/** log EI for maximization: log E[max(0, f(x) - best)] under the GP posterior. */
export class LogExpectedImprovement {
  private readonly meanGrad: Float64Array;
  private readonly varianceGrad: Float64Array;

  constructor(
    readonly gp: GaussianProcess,
    readonly best: number,
  ) {
    this.meanGrad = new Float64Array(gp.d);
    this.varianceGrad = new Float64Array(gp.d);
  }

  value(point: ArrayLike<number>, offset = 0): number {
    const { mean, variance } = this.gp.predict(point, offset);
    return this.fromPosterior(mean, variance);
  }

  /** Values at `count` points stored row by row in `points`, written into `out`. */
  values(points: Float64Array, count: number, out: Float64Array): void {
    const variances = new Float64Array(count);
    this.gp.predictMany(points, count, out, variances);
    for (let c = 0; c < count; c++) out[c] = this.fromPosterior(out[c]!, variances[c]!);
  }

  private fromPosterior(mean: number, variance: number): number {
    const sigma = Math.sqrt(variance + STABILIZING_NOISE);
    return Math.log(sigma) + logStandardEi((mean - this.best) / sigma);
  }

  /** The value, with its gradient written into `grad` (0 in categorical dimensions). */
  valueWithGradient(point: ArrayLike<number>, grad: Float64Array): number {
    const { mean, variance } = this.gp.predictWithGradient(point, this.meanGrad, this.varianceGrad);
    const total = variance + STABILIZING_NOISE;
    const sigma = Math.sqrt(total);
    const z = (mean - this.best) / sigma;
    const logH = logStandardEi(z);
    const slope = logStandardEiDerivative(z, logH);
    for (let j = 0; j < grad.length; j++) {
      const dLogSigma = this.varianceGrad[j]! / (2 * total);
      grad[j] = dLogSigma + slope * (this.meanGrad[j]! / sigma - z * dLogSigma);
    }
    return Math.log(sigma) + logH;
  }
}

// ---- the search space as the optimizer sees it ------------------------------------------------------

export interface SearchDimension {
  kind: 'continuous' | 'discrete' | 'categorical';
  /** Grid points (discrete) or choices (categorical); 0 for continuous. */
  size: number;
  /** Model coordinate of grid point / choice k: a unit value for discrete, k itself for categorical. */
  coordinate(k: number): number;
  /** The grid point / choice a unit value u in [0, 1] falls on (and, for discrete, the inverse of `coordinate`). */
  index(u: number): number;
  /** A coordinate the proposal must keep (an enqueued value), or null. */
  fixed: number | null;
}

export interface AcquisitionOptimizerOptions {
  /** Space-filling candidates scored before the local searches (Optuna: 2048). */
  nCandidates: number;
  /** Local searches (Optuna: 10). */
  nLocalSearch: number;
  /** Lengthscale per dimension: continuous steps are taken in x / lengthscale, where the problem is well conditioned. */
  lengthscales: Float64Array;
  rng: Rng;
}

export interface ScoredPoint {
  x: Float64Array;
  value: number;
}

/** Exhaustive search over a grid with at most this many points (Optuna's MAX_INT_EXHAUSTIVE_SEARCH_PARAMS). */
const EXHAUSTIVE_LIMIT = 16;
const MAX_ROUNDS = 10;
/** Share of the candidates drawn around the best observed points. */
const LOCAL_SHARE = 0.125;
/** Standard deviation (in unit coordinates) of the jitter around the best observed points. */
const LOCAL_SPREAD = 0.05;

/**
 * The points ranked by logEI, best first: the local-search optima followed by the scored candidates.
 * `anchors` are observed points to exploit (best first): local searches start from the first, and the
 * candidate set includes perturbations of all of them.
 */
export function maximizeAcquisition(
  acquisition: LogExpectedImprovement,
  dims: readonly SearchDimension[],
  anchors: readonly Float64Array[],
  options: AcquisitionOptimizerOptions,
): ScoredPoint[] {
  const d = dims.length;
  const { rng } = options;
  const nLocal = anchors.length > 0 ? Math.floor(options.nCandidates * LOCAL_SHARE) : 0;
  const count = options.nCandidates + nLocal;
  const candidates = new Float64Array(count * d);
  latinHypercube(candidates, options.nCandidates, dims, rng);
  for (let c = options.nCandidates; c < count; c++) {
    const anchor = anchors[(c - options.nCandidates) % anchors.length]!;
    perturb(anchor, candidates, c * d, dims, rng);
  }
  const scores = new Float64Array(count);
  acquisition.values(candidates, count, scores);
  let bestIndex = 0;
  for (let c = 0; c < count; c++) {
    if (Number.isNaN(scores[c])) scores[c] = -Infinity;
    if (scores[c]! > scores[bestIndex]!) bestIndex = c;
  }

  // Starts: the best candidate, a roulette draw (probability ∝ EI) among the others, the best observed point.
  const starts: Float64Array[] = [candidates.slice(bestIndex * d, bestIndex * d + d)];
  const anchorStarts = anchors.length > 0 ? 1 : 0;
  const wanted = Math.max(0, options.nLocalSearch - 1 - anchorStarts);
  const weights = new Float64Array(count);
  let totalWeight = 0;
  for (let c = 0; c < count; c++) {
    weights[c] = c === bestIndex ? 0 : Math.exp(scores[c]! - scores[bestIndex]!);
    totalWeight += weights[c]!;
  }
  for (let s = 0; s < wanted && totalWeight > 0; s++) {
    let target = rng.uniform() * totalWeight;
    let chosen = -1;
    for (let c = 0; c < count; c++) {
      if (weights[c] === 0) continue;
      chosen = c;
      target -= weights[c]!;
      if (target <= 0) break;
    }
    if (chosen < 0) break;
    totalWeight -= weights[chosen]!;
    weights[chosen] = 0;
    starts.push(candidates.slice(chosen * d, chosen * d + d));
  }
  if (anchorStarts > 0) starts.push(Float64Array.from(anchors[0]!));

  const search = new LocalSearch(acquisition, dims, options.lengthscales);
  const optima = starts.map((start) => search.run(start));
  optima.sort((a, b) => b.value - a.value);
  const ranked: ScoredPoint[] = [...optima];
  const order = Array.from({ length: count }, (_, c) => c).sort((a, b) => scores[b]! - scores[a]!);
  for (const c of order) ranked.push({ x: candidates.slice(c * d, c * d + d), value: scores[c]! });
  return ranked;
}

/** A stratified (Latin hypercube) sample: each dimension's [0, 1) is cut into `count` strata, each used once. */
function latinHypercube(out: Float64Array, count: number, dims: readonly SearchDimension[], rng: Rng): void {
  const d = dims.length;
  const strata = new Int32Array(count);
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < count; c++) strata[c] = c;
    for (let c = count - 1; c > 0; c--) {
      const swap = rng.int(0, c);
      const held = strata[c]!;
      strata[c] = strata[swap]!;
      strata[swap] = held;
    }
    for (let c = 0; c < count; c++) out[c * d + j] = toCoordinate(dims[j]!, (strata[c]! + rng.uniform()) / count);
  }
}

/** The coordinate a unit value maps to: itself for continuous, the grid point's or choice's coordinate otherwise. */
function toCoordinate(dim: SearchDimension, u: number): number {
  if (dim.fixed !== null) return dim.fixed;
  if (dim.kind === 'continuous') return u;
  return dim.coordinate(dim.index(u));
}

/** A point near `anchor`: continuous coordinates jittered, grid coordinates moved one step or re-drawn now and then. */
function perturb(anchor: Float64Array, out: Float64Array, offset: number, dims: readonly SearchDimension[], rng: Rng): void {
  const flip = 1 / Math.max(dims.length, 2);
  for (let j = 0; j < dims.length; j++) {
    const dim = dims[j]!;
    let value = anchor[j]!;
    if (dim.fixed !== null) value = dim.fixed;
    else if (dim.kind === 'continuous') value = Math.min(Math.max(value + LOCAL_SPREAD * rng.normal(), 0), 1);
    else if (rng.uniform() < flip) {
      if (dim.kind === 'categorical') value = rng.int(0, dim.size - 1);
      else value = dim.coordinate(Math.min(Math.max(dim.index(value) + (rng.uniform() < 0.5 ? -1 : 1), 0), dim.size - 1));
    }
    out[offset + j] = value;
  }
}

/** Optuna's local_search_mixed: coordinate-wise improvement until a full round changes nothing. */
class LocalSearch {
  private readonly continuous: number[];
  private readonly gridDims: number[];
  private readonly grad: Float64Array;

  constructor(
    private readonly acquisition: LogExpectedImprovement,
    private readonly dims: readonly SearchDimension[],
    private readonly lengthscales: Float64Array,
  ) {
    this.continuous = dims.flatMap((dim, j) => (dim.kind === 'continuous' && dim.fixed === null ? [j] : []));
    this.gridDims = dims.flatMap((dim, j) => (dim.kind !== 'continuous' && dim.fixed === null && dim.size > 1 ? [j] : []));
    this.grad = new Float64Array(dims.length);
  }

  run(start: Float64Array): ScoredPoint {
    const x = Float64Array.from(start);
    let value = this.acquisition.value(x);
    const CONTINUOUS = -1;
    let lastChanged: number | null = null;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (lastChanged === CONTINUOUS) break;
      if (this.continuous.length > 0) {
        const improved = this.continuousStep(x, value);
        if (improved > value) {
          value = improved;
          lastChanged = CONTINUOUS;
        }
      }
      let converged = false;
      for (const j of this.gridDims) {
        if (lastChanged === j) {
          converged = true;
          break;
        }
        const improved = this.gridStep(x, value, j);
        if (improved > value) {
          value = improved;
          lastChanged = j;
        }
      }
      if (converged || lastChanged === null) break;
    }
    return { x, value };
  }

  /** L-BFGS over the continuous coordinates in z = x / lengthscale; updates x when it improves. */
  private continuousStep(x: Float64Array, value: number): number {
    const indices = this.continuous;
    const m = indices.length;
    const scales = Float64Array.from(indices, (j) => this.lengthscales[j]!);
    const point = Float64Array.from(x);
    const z0 = Float64Array.from(indices, (j, i) => x[j]! / scales[i]!);
    const upper = Float64Array.from(scales, (s) => 1 / s);
    const result = minimizeLbfgs(
      (z, grad) => {
        for (let i = 0; i < m; i++) point[indices[i]!] = Math.min(Math.max(z[i]! * scales[i]!, 0), 1);
        const f = this.acquisition.valueWithGradient(point, this.grad);
        for (let i = 0; i < m; i++) grad[i] = -this.grad[indices[i]!]! * scales[i]!;
        return Number.isFinite(f) ? -f : Infinity;
      },
      z0,
      { lower: new Float64Array(m), upper, pgtol: 1e-2, maxIterations: 100 },
    );
    const improved = -result.f;
    if (!(improved > value) || result.iterations === 0) return value;
    for (let i = 0; i < m; i++) x[indices[i]!] = Math.min(Math.max(result.x[i]! * scales[i]!, 0), 1);
    return improved;
  }

  /** The best value of one grid or categorical coordinate with the others held; updates x when it improves. */
  private gridStep(x: Float64Array, value: number, j: number): number {
    const dim = this.dims[j]!;
    const original = x[j]!;
    const current = dim.kind === 'categorical' ? original : dim.index(original);
    let bestK = current;
    let bestValue = value;
    const tryIndex = (k: number): void => {
      if (k === current || k < 0 || k >= dim.size) return;
      x[j] = dim.coordinate(k);
      const v = this.acquisition.value(x);
      if (v > bestValue) {
        bestValue = v;
        bestK = k;
      }
    };
    if (dim.kind === 'categorical' || dim.size <= EXHAUSTIVE_LIMIT) {
      for (let k = 0; k < dim.size; k++) tryIndex(k);
    } else {
      // Pattern search on the grid index: steps of ±1, ±2, ±4, ... from the best index so far.
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const centre = bestK;
        for (let step = 1; step < dim.size; step *= 2) {
          tryIndex(centre - step);
          tryIndex(centre + step);
        }
        if (bestK === centre) break;
      }
    }
    x[j] = bestK === current ? original : dim.coordinate(bestK);
    return bestValue;
  }
}
