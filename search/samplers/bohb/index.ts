// BOHB's model (Falkner et al., 2018): a TPE-style density ratio l(x)/g(x) fitted on ONE budget: the
// largest step (epoch) at which at least minPointsInModel + 2 trials reported a value, and enough that
// the good and the bad group each get more points than there are dimensions (HpBandSter), counting every
// trial's intermediate values (running, paused and pruned ones too), so the model learns from the cheap
// low-budget results that Hyperband produces in bulk. Pair it with the `hyperband` (or `bohb`) scheduler.
//
//   good / bad: the best topNPercent (15) of the observations at that budget / the rest (each at least
//   minPointsInModel, default d + 1); each side is a product-kernel KDE in the encoded [0, 1] space
//   (Gaussian for numbers, Aitchison–Aitken for categoricals) with the normal-reference bandwidth
//   (1.06·σ·n^(-1/(4+d)), at least minBandwidth). A proposal is the best l/g of numSamples candidates
//   drawn around good points with bandwidths widened by bandwidthFactor; randomFraction of proposals, and
//   every proposal before a budget has enough points, are uniformly random.
// Conditional parameters (with `when`) are not modelled (the KDE needs a fixed dimension): they are drawn
// uniformly when active, as the random sampler would.
import { OptionReader } from '../../options';
import { buildParams, fromUnit, toUnit, type CategoricalParam, type Param } from '../../space';
import type { Rng } from '../../rng';
import type { TrialView } from '../../types';
import { samplerRng, type Sampler, type SamplerFactory } from '../types';

const FLOOR = 1e-32;

export const createBohbSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "bohb"', options);
  const minPointsOption = reader.integer('minPointsInModel', 0, { min: 1 });
  const topNPercent = reader.number('topNPercent', 15, { min: 1, max: 99 });
  const numSamples = reader.integer('numSamples', 64, { min: 1 });
  const randomFraction = reader.number('randomFraction', 1 / 3, { min: 0, max: 1 });
  const bandwidthFactor = reader.number('bandwidthFactor', 3, { min: 0, max: 100 });
  const minBandwidth = reader.number('minBandwidth', 1e-3, { min: 0, max: 1 });
  reader.done();

  return {
    name: 'bohb',
    sample(ctx) {
      const rng = samplerRng(ctx);
      const random = (param: Param) => fromUnit(param, rng.uniform());
      const modelled = ctx.space.params.filter((p) => p.when === null && p.type !== 'fixed' && !Object.hasOwn(ctx.fixed, p.name));
      const minPoints = minPointsOption || modelled.length + 1;
      if (modelled.length === 0 || rng.uniform() < randomFraction) return buildParams(ctx.space, ctx.fixed, random);

      const sign = ctx.directions[0] === 'maximize' ? -1 : 1;
      const sizes = (n: number) => {
        const nGood = Math.max(minPoints, Math.floor((topNPercent * n) / 100));
        return { nGood, nBad: Math.max(minPoints, Math.floor(((100 - topNPercent) * n) / 100)) };
      };
      // As HpBandSter: a budget's model needs more points than dimensions on BOTH sides, else the KDEs
      // are degenerate (a good/bad split of 3/2 points in 2-D says next to nothing) and a lower budget serves.
      const d = modelled.length;
      const fits = (n: number) => {
        const { nGood, nBad } = sizes(n);
        return n >= minPoints + 2 && Math.min(nGood, n) > d && Math.min(nBad, n - nGood) > d;
      };
      const observations = largestBudget(ctx.trials, fits);
      if (observations === null) return buildParams(ctx.space, ctx.fixed, random);
      observations.sort((a, b) => sign * a.value - sign * b.value || a.trial.number - b.trial.number);
      const { nGood, nBad } = sizes(observations.length);
      const encode = (t: TrialView) => modelled.map((p) => toUnit(p, t.params[p.name]!));
      const good = new Kde(observations.slice(0, nGood).map((o) => encode(o.trial)), modelled, minBandwidth);
      const bad = new Kde(observations.slice(nGood, nGood + nBad).map((o) => encode(o.trial)), modelled, minBandwidth);
      if (good.size === 0 || bad.size === 0) return buildParams(ctx.space, ctx.fixed, random);

      let best: number[] | null = null;
      let bestScore = -Infinity;
      for (let i = 0; i < numSamples; i++) {
        const candidate = good.sampleAround(rng, bandwidthFactor);
        const score = Math.max(FLOOR, good.pdf(candidate)) / Math.max(FLOOR, bad.pdf(candidate));
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
      const chosen = new Map(modelled.map((p, i) => [p.name, best![i]!]));
      return buildParams(ctx.space, ctx.fixed, (param) => {
        const u = chosen.get(param.name);
        return u === undefined ? random(param) : fromUnit(param, u);
      });
    },
  } satisfies Sampler;
};

/** Observations at the largest step where the number of trials that reported a (non-NaN) value `fits`; null if none. */
function largestBudget(trials: readonly TrialView[], fits: (n: number) => boolean): { trial: TrialView; value: number }[] | null {
  const counts = new Map<number, number>();
  for (const t of trials) {
    for (const [step, value] of Object.entries(t.intermediate ?? {})) {
      if (!Number.isNaN(value)) counts.set(Number(step), (counts.get(Number(step)) ?? 0) + 1);
    }
  }
  let budget = -Infinity;
  for (const [step, count] of counts) if (fits(count) && step > budget) budget = step;
  if (budget === -Infinity) return null;
  const observations: { trial: TrialView; value: number }[] = [];
  for (const t of trials) {
    const value = t.intermediate?.[budget];
    if (value !== undefined && !Number.isNaN(value)) observations.push({ trial: t, value });
  }
  return observations;
}

/** A product-kernel density over encoded points, with per-dimension normal-reference bandwidths. */
class Kde {
  readonly size: number;
  private readonly bandwidths: Float64Array;

  constructor(
    private readonly points: number[][],
    private readonly params: readonly Param[],
    minBandwidth: number,
  ) {
    this.size = points.length;
    const d = params.length;
    this.bandwidths = new Float64Array(d);
    const n = points.length;
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (const p of points) mean += p[j]!;
      mean /= Math.max(1, n);
      let variance = 0;
      for (const p of points) variance += (p[j]! - mean) ** 2;
      const sd = n > 1 ? Math.sqrt(variance / (n - 1)) : 0;
      const bw = Math.max(minBandwidth, 1.06 * sd * n ** (-1 / (4 + d)));
      this.bandwidths[j] = params[j]!.type === 'categorical' ? Math.min(bw, 1) : bw;
    }
  }

  pdf(x: readonly number[]): number {
    let sum = 0;
    for (const point of this.points) {
      let k = 1;
      for (let j = 0; j < x.length; j++) {
        const bw = this.bandwidths[j]!;
        const param = this.params[j]!;
        if (param.type === 'categorical') {
          const choices = (param as CategoricalParam).choices.length;
          const same = Math.floor(x[j]! * choices) === Math.floor(point[j]! * choices);
          k *= same ? 1 - bw : bw / Math.max(1, choices - 1);
        } else {
          const z = (x[j]! - point[j]!) / bw;
          k *= Math.exp(-0.5 * z * z) / (bw * Math.sqrt(2 * Math.PI));
        }
      }
      sum += k;
    }
    return sum / this.points.length;
  }

  /** A point near a random datum: truncated normal in [0, 1] per number, the datum's choice or (w.p. bw) a uniform one per categorical. */
  sampleAround(rng: Rng, bandwidthFactor: number): number[] {
    const datum = this.points[rng.int(0, this.points.length - 1)]!;
    return datum.map((centre, j) => {
      const bw = this.bandwidths[j]!;
      if (this.params[j]!.type === 'categorical') return rng.uniform() < bw ? rng.uniform() : centre;
      const sd = bandwidthFactor * bw;
      for (let attempt = 0; attempt < 32; attempt++) {
        const u = centre + sd * rng.normal();
        if (u >= 0 && u <= 1) return u;
      }
      return Math.min(1, Math.max(0, centre));
    });
  }
}
