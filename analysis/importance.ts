// Parameter importance by PED-ANOVA (Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently Quantifying
// Hyperparameter Importance in Arbitrary Subspaces", IJCAI 2023; Optuna's PedAnovaImportanceEvaluator).
//
// Why PED-ANOVA and not fANOVA (Optuna's default): fANOVA needs a random-forest surrogate and a
// variance decomposition over its trees, a lot of code whose result depends on the forest's randomness;
// PED-ANOVA has a closed form. For each parameter it compares the parameter's density among the top
// trials (the best `quantile` of them) with its density among all of them: the Pearson divergence
//   D(p) = Σ_x p_all(x) · (p_top(x) / p_all(x) − 1)²
// is, by the paper's Theorem, the local variance that parameter explains for the indicator "this trial
// is in the top quantile". A parameter whose good values are concentrated scores high, one whose top
// trials look like all trials scores near 0. Importances are the divergences normalized to sum to 1.
// There is no randomness at all, so the same trials always give the same numbers (no seed needed).
//
// Details (following Optuna's implementation, simplified where noted):
// - Each value is encoded in the space's unit coordinates (`toUnit`: log scale for log parameters, grid
//   cells for int and stepped floats, (i + 0.5)/n for a categorical) and binned: `steps` (50) bins for a
//   continuous parameter, one bin per grid point for a grid of at most `steps` points, one per choice for
//   a categorical.
// - Numeric densities are 1-D Parzen estimators over the bins with Scott's-rule bandwidth (at least
//   0.5/1.64 bins) plus a wide prior kernel of weight 1, each a discretized truncated normal (Optuna's
//   `_ScottParzenEstimator`). Categorical densities are the counts plus a prior of weight 1 spread evenly
//   (a simplification of Optuna's categorical kernels).
// - Conditional parameters: a parameter is judged on the trials where it is active, with its own top
//   quantile among them, i.e. "how much does it matter when it is used". It needs >= 2 such trials.
// - A parameter that took a single value (fixed, or never varied) scores exactly 0.
// - Only COMPLETE feasible trials with a finite first objective count; fewer than 2 gives [].
import { normalCdf } from '../search/math/stats';
import { rankFeasible } from '../search/ranking';
import { choiceIndex, toUnit, type Param, type Space } from '../search/space';
import type { Scalar } from '../search/space-types';
import type { Direction, TrialView } from '../search/types';

export interface ImportanceOptions {
  /** Fraction of the trials (where the parameter is active) that count as top; default 0.1 (Optuna's). */
  quantile?: number;
  /** Bins for a continuous parameter; default 50 (Optuna's). */
  steps?: number;
  /** At least this many top trials, whatever the quantile; default 2. */
  minTop?: number;
}

export interface ParamImportance {
  name: string;
  /** Share of the total, in [0, 1]; the list sums to 1 unless every parameter scored 0 (then all are 0). */
  importance: number;
  /** The unnormalized Pearson divergence. */
  divergence: number;
  /** Trials the parameter was judged on (finished, feasible, parameter active). */
  trials: number;
}

/**
 * Importance of every parameter of `space` (fixed ones included, at 0), most important first (ties in
 * space order), by PED-ANOVA on the COMPLETE feasible trials. Fewer than 2 such trials gives [].
 *
 * @example
 * const space = parseSpace({ x: { type: 'float', low: 0, high: 1 }, z: { type: 'float', low: 0, high: 1 } });
 * const rng = createRng(1);
 * const trials: TrialView[] = Array.from({ length: 100 }, (_, number) => {
 *   const x = rng.uniform();
 *   return { number, params: { x, z: rng.uniform() }, state: 'COMPLETE', values: [(x - 0.3) ** 2] };
 * });
 * importance(space, trials, 'minimize').map((p) => [p.name, p.importance.toFixed(2)]);
 * // → [['x', '0.99'], ['z', '0.01']] (z, unused, gets only sampling noise)
 */
export function importance(space: Space, trials: readonly TrialView[], direction: Direction, options: ImportanceOptions = {}): ParamImportance[] {
  const quantile = options.quantile ?? 0.1;
  const steps = options.steps ?? 50;
  const minTop = options.minTop ?? 2;
  if (!(quantile > 0 && quantile <= 1)) throw new Error(`importance: quantile must be in (0, 1] (got ${quantile})`);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`importance: steps must be an integer >= 2 (got ${steps})`);
  if (!Number.isInteger(minTop) || minTop < 1) throw new Error(`importance: minTop must be an integer >= 1 (got ${minTop})`);

  // The one ranking (feasible COMPLETE trials, best first), without the non-finite values it ranks last.
  const ranked = rankFeasible(trials, direction).filter((t) => Number.isFinite(t.values![0]));
  if (ranked.length < 2) return [];

  const scored = space.params.map((param) => {
    // Best first, only the trials where the parameter is active and holds a value of the space.
    const judged: { bin: number; value: number; raw: Scalar }[] = [];
    const bins = binCount(param, steps);
    for (const t of ranked) {
      const raw = t.params[param.name];
      if (raw === undefined) continue;
      const bin = binOf(param, raw, bins);
      if (bin !== null) judged.push({ bin, value: t.values![0]!, raw });
    }
    const varied = new Set(judged.map((j) => JSON.stringify(j.raw))).size > 1;
    let divergence = 0;
    if (param.type !== 'fixed' && varied && judged.length >= 2) {
      let nTop = Math.min(judged.length, Math.max(minTop, Math.ceil(quantile * judged.length)));
      // Ties with the cut-off value are all top, so the result does not depend on trial numbers.
      while (nTop < judged.length && judged[nTop]!.value === judged[nTop - 1]!.value) nTop++;
      const all = new Float64Array(bins);
      const top = new Float64Array(bins);
      judged.forEach((j, i) => {
        all[j.bin]!++;
        if (i < nTop) top[j.bin]!++;
      });
      const density = param.type === 'categorical' ? categoricalDensity : scottDensity;
      divergence = pearsonDivergence(density(top), density(all));
    }
    return { name: param.name, divergence, trials: judged.length };
  });

  const total = scored.reduce((s, p) => s + p.divergence, 0);
  return scored
    .map((p) => ({ name: p.name, importance: total > 0 ? p.divergence / total : 0, divergence: p.divergence, trials: p.trials }))
    .map((p, order) => ({ p, order }))
    .sort((a, b) => b.p.importance - a.p.importance || a.order - b.order)
    .map(({ p }) => p);
}

function binCount(param: Param, steps: number): number {
  if (param.type === 'fixed') return 1;
  if (param.type === 'categorical') return param.choices.length;
  return param.points !== null && param.points <= steps ? param.points : steps;
}

/** The bin of a value, null for a value the space does not hold (an old trial after the space changed). */
function binOf(param: Param, value: Scalar, bins: number): number | null {
  if (param.type === 'fixed') return 0;
  if (param.type === 'categorical') {
    const index = choiceIndex(param, value);
    return index < 0 ? null : index;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const u = toUnit(param, value);
  return Math.min(Math.floor(u * bins), bins - 1);
}

/** Counts plus a prior of total weight 1 spread evenly, normalized. */
function categoricalDensity(counts: Float64Array): Float64Array {
  const n = counts.reduce((s, c) => s + c, 0);
  const k = counts.length;
  return counts.map((c) => (c + 1 / k) / (n + 1));
}

/**
 * A Parzen estimator over bins 0..B-1 with Scott's-rule bandwidth and a prior kernel (centre (B-1)/2,
 * width B, weight 1), each kernel a normal truncated to [-0.5, B-0.5] and integrated over each bin.
 */
function scottDensity(counts: Float64Array): Float64Array {
  const bins = counts.length;
  const n = counts.reduce((s, c) => s + c, 0);
  const mus: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < bins; i++) {
    if (counts[i]! > 0) {
      mus.push(i);
      weights.push(counts[i]!);
    }
  }
  const mean = mus.reduce((s, m, i) => s + m * weights[i]!, 0) / n;
  const std = Math.sqrt(mus.reduce((s, m, i) => s + (m - mean) ** 2 * weights[i]!, 0) / Math.max(1, n - 1));
  // Interquartile range of the binned values (numpy searchsorted left for q25, right for q75).
  const cumulative: number[] = [];
  weights.reduce((s, w) => (cumulative.push(s + w), s + w), 0);
  const q25 = cumulative.findIndex((c) => c >= Math.floor(n / 4));
  let q75 = cumulative.findIndex((c) => c > Math.floor((n * 3) / 4));
  if (q75 < 0) q75 = mus.length - 1;
  const iqr = mus[Math.min(mus.length - 1, q75)]! - mus[Math.max(0, q25)]!;
  const scott = 1.059 * Math.min(iqr / 1.34, std) * n ** -0.2;
  const sigma = Math.max(scott, 0.5 / 1.64);

  const kernels = mus.map((mu, i) => ({ mu, sigma, weight: weights[i]! }));
  kernels.push({ mu: (bins - 1) / 2, sigma: bins, weight: 1 });
  const density = new Float64Array(bins);
  for (const { mu, sigma: s, weight } of kernels) {
    const lo = normalCdf((-0.5 - mu) / s);
    const mass = normalCdf((bins - 0.5 - mu) / s) - lo;
    let previous = lo;
    for (let g = 0; g < bins; g++) {
      const next = normalCdf((g + 0.5 - mu) / s);
      density[g]! += (weight * (next - previous)) / mass;
      previous = next;
    }
  }
  const total = density.reduce((s, d) => s + d, 0);
  return density.map((d) => d / total);
}

/** Σ p_all · (p_top / p_all − 1)², with Optuna's 1e-12 floor against empty bins. */
function pearsonDivergence(top: Float64Array, all: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < all.length; i++) {
    const a = all[i]! + 1e-12;
    const t = top[i]! + 1e-12;
    sum += a * (t / a - 1) ** 2;
  }
  return sum;
}
