// The (μ/μ_w, λ)-CMA-ES state and its update, after Hansen's tutorial ("The CMA Evolution Strategy: A
// Tutorial", 2016) with positive recombination weights, plus the stopping tests the `cmaes` library (used
// by Optuna's CmaEsSampler) applies before an IPOP restart. Pure numerics on Float64Array, no randomness:
// the sampler supplies the standard-normal draws, so the state is a pure function of the told generations.
import { symmetricEigen } from '../../math/eigen';

export interface CmaParameters {
  readonly n: number;
  readonly lambda: number;
  readonly mu: number;
  /** Recombination weights of the μ best, summing to 1. */
  readonly weights: Float64Array;
  readonly muEff: number;
  readonly cSigma: number;
  readonly dSigma: number;
  readonly cc: number;
  readonly c1: number;
  readonly cMu: number;
  /** E‖N(0, I)‖. */
  readonly chiN: number;
  /** Generations of best/worst values `tolfun` looks back over. */
  readonly funHistoryLength: number;
}

export interface CmaState {
  readonly params: CmaParameters;
  mean: Float64Array;
  sigma: number;
  /** Covariance C, row-major n×n. */
  cov: Float64Array;
  pSigma: Float64Array;
  pc: Float64Array;
  /** C = B·diag(D²)·Bᵀ: B row-major with eigenvectors as columns, D the square roots of the eigenvalues. */
  B: Float64Array;
  D: Float64Array;
  /** Generations told so far. */
  generation: number;
  readonly sigma0: number;
  /** Best and worst finite values of recent generations (newest last), for the `tolfun` test. */
  funHistory: number[];
}

const EPS = 1e-8;
const TOLFUN = 1e-12;
const TOLX_FACTOR = 1e-12;
const TOLXUP = 1e4;
const TOL_CONDITION = 1e14;

export function cmaParameters(n: number, lambda: number): CmaParameters {
  const mu = Math.floor(lambda / 2);
  const raw = Float64Array.from({ length: mu }, (_, i) => Math.log((lambda + 1) / 2) - Math.log(i + 1));
  const sum = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / sum);
  const muEff = 1 / weights.reduce((a, w) => a + w * w, 0);
  const cSigma = (muEff + 2) / (n + muEff + 5);
  const dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (n + 1)) - 1) + cSigma;
  const cc = (4 + muEff / n) / (n + 4 + (2 * muEff) / n);
  const c1 = 2 / ((n + 1.3) ** 2 + muEff);
  const cMu = Math.min(1 - c1, (2 * (muEff - 2 + 1 / muEff)) / ((n + 2) ** 2 + muEff));
  const chiN = Math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  const funHistoryLength = 10 + Math.ceil((30 * n) / lambda);
  return { n, lambda, mu, weights, muEff, cSigma, dSigma, cc, c1, cMu, chiN, funHistoryLength };
}

export function initialState(mean: Float64Array, sigma0: number, lambda: number): CmaState {
  const n = mean.length;
  const identity = (): Float64Array => {
    const m = new Float64Array(n * n);
    for (let i = 0; i < n; i++) m[i * n + i] = 1;
    return m;
  };
  return {
    params: cmaParameters(n, lambda),
    mean: Float64Array.from(mean),
    sigma: sigma0,
    cov: identity(),
    pSigma: new Float64Array(n),
    pc: new Float64Array(n),
    B: identity(),
    D: new Float64Array(n).fill(1),
    generation: 0,
    sigma0,
    funHistory: [],
  };
}

/** x = m + σ·B·D·z for a standard-normal vector z (written into `out`). */
export function samplePoint(state: CmaState, z: Float64Array, out: Float64Array): Float64Array {
  const { n } = state.params;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += state.B[i * n + j]! * state.D[j]! * z[j]!;
    out[i] = state.mean[i]! + state.sigma * s;
  }
  return out;
}

/**
 * One generation's update. `ranked` holds the generation's λ points best first (the caller ranks them:
 * feasible by value, then infeasible by violation, then failed); `values` their objective values (finite
 * ones feed the `tolfun` history).
 */
export function tellGeneration(state: CmaState, ranked: readonly Float64Array[], values: readonly number[]): void {
  const { n, mu, weights, muEff, cSigma, dSigma, cc, c1, cMu, chiN } = state.params;
  const { mean, sigma, B, D } = state;
  state.generation++;

  // y_i = (x_i − m)/σ; y_w their weighted mean over the μ best.
  const ys = ranked.slice(0, mu).map((x) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = (x[i]! - mean[i]!) / sigma;
    return y;
  });
  const yw = new Float64Array(n);
  ys.forEach((y, k) => {
    for (let i = 0; i < n; i++) yw[i]! += weights[k]! * y[i]!;
  });
  for (let i = 0; i < n; i++) mean[i]! += sigma * yw[i]!;

  // C^{-1/2}·y_w = B·D⁻¹·Bᵀ·y_w
  const bty = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += B[i * n + j]! * yw[i]!;
    bty[j] = s / D[j]!;
  }
  const sigmaFactor = Math.sqrt(cSigma * (2 - cSigma) * muEff);
  let pSigmaNorm2 = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += B[i * n + j]! * bty[j]!;
    state.pSigma[i] = (1 - cSigma) * state.pSigma[i]! + sigmaFactor * s;
    pSigmaNorm2 += state.pSigma[i]! ** 2;
  }
  const pSigmaNorm = Math.sqrt(pSigmaNorm2);
  const hSigma = pSigmaNorm / Math.sqrt(1 - (1 - cSigma) ** (2 * state.generation)) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
  const ccFactor = Math.sqrt(cc * (2 - cc) * muEff);
  for (let i = 0; i < n; i++) state.pc[i] = (1 - cc) * state.pc[i]! + hSigma * ccFactor * yw[i]!;

  const delta = (1 - hSigma) * cc * (2 - cc);
  const keep = 1 + c1 * delta - c1 - cMu;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let rankMu = 0;
      for (let k = 0; k < ys.length; k++) rankMu += weights[k]! * ys[k]![i]! * ys[k]![j]!;
      const c = keep * state.cov[i * n + j]! + c1 * state.pc[i]! * state.pc[j]! + cMu * rankMu;
      state.cov[i * n + j] = c;
      state.cov[j * n + i] = c;
    }
  }
  state.sigma = Math.min(sigma * Math.exp((cSigma / dSigma) * (pSigmaNorm / chiN - 1)), 1e32);

  const eigen = symmetricEigen(state.cov, n);
  for (let j = 0; j < n; j++) D[j] = Math.sqrt(Math.max(eigen.values[j]!, EPS));
  B.set(eigen.vectors);

  const finite = values.filter(Number.isFinite);
  if (finite.length > 0) {
    state.funHistory.push(Math.min(...finite), Math.max(...finite));
    if (state.funHistory.length > 2 * state.params.funHistoryLength) state.funHistory.splice(0, 2);
  }
}

/** Why the run should restart (the `cmaes` library's tests), or null to go on. */
export function stopReason(state: CmaState): string | null {
  const { n, funHistoryLength } = state.params;
  const { mean, sigma, D, B, cov } = state;
  if (state.generation > funHistoryLength && state.funHistory.length >= 2 * funHistoryLength) {
    if (Math.max(...state.funHistory) - Math.min(...state.funHistory) < TOLFUN) return 'tolfun';
  }
  const tolx = TOLX_FACTOR * state.sigma0;
  let allSmall = true;
  for (let i = 0; i < n && allSmall; i++) {
    if (!(sigma * Math.sqrt(cov[i * n + i]!) < tolx && sigma * Math.abs(state.pc[i]!) < tolx)) allSmall = false;
  }
  if (allSmall) return 'tolx';
  const maxD = Math.max(...D);
  const minD = Math.min(...D);
  if (sigma * maxD > TOLXUP) return 'tolxup';
  const axis = state.generation % n;
  let noEffectAxis = true;
  for (let i = 0; i < n && noEffectAxis; i++) {
    if (mean[i]! !== mean[i]! + 0.1 * sigma * D[axis]! * B[i * n + axis]!) noEffectAxis = false;
  }
  if (noEffectAxis) return 'noeffectaxis';
  for (let i = 0; i < n; i++) {
    if (mean[i]! === mean[i]! + 0.2 * sigma * Math.sqrt(cov[i * n + i]!)) return 'noeffectcoord';
  }
  if ((maxD * maxD) / (minD * minD) > TOL_CONDITION) return 'tolconditioncov';
  return null;
}
