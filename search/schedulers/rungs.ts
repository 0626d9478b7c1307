// The rung engine behind sha, asha and hyperband (and bohb's scheduling). Rungs are the steps
// minResource·η^(rate + k), k = 0, 1, ..., below the maximum resource, where `rate` is the bracket's
// minimum early-stopping rate. A trial "reaches" a rung when it reports a step at or after it; its value
// there is the one at the first such step (the rung step itself when the driver follows nextMilestone).
//
// Two modes:
//   stopping  (Optuna's SuccessiveHalvingPruner, asynchronous): at each rung a trial continues when it is
//             in the top 1/η of the trials of its bracket that reached that rung so far (the first trial to
//             reach a rung always continues), else it is pruned;
//   promotion (the ASHA paper): a trial pauses at each rung; `promotions` resumes a paused trial when it
//             is in the top ⌊n/η⌋ of the n trials that reached its rung, highest rung first; a driver starts
//             new trials only when nothing can be promoted.
// Brackets (Hyperband): trials are spread over brackets by trial number in proportion to Hyperband's
// budgets, with a smooth weighted round-robin, so every prefix of trials follows the proportions closely
// (Optuna hashes the number instead); each bracket is an independent successive-halving instance.
// Several objectives (the context's `directions`): "top" means first in the campaign's ranking order of
// the vectors at the rung (non-dominated front, then crowding distance; see dominance.ts), in both modes.
import { AlgorithmConfigError } from '../errors';
import { OptionReader } from '../options';
import type { Direction, TrialView } from '../types';
import { hasNaN, paretoDirections, paretoOrder, vectorAt, type RungEntry } from './dominance';
import { findTrial } from './percentile';
import type { Scheduler, SchedulerContext } from './types';

export type RungMode = 'stopping' | 'promotion';

export interface RungSettings {
  mode: RungMode;
  minResource: number;
  /** From the options; else ctx.maxEpochs; else (hyperband only) the largest step a COMPLETE trial reported. */
  maxResource: number | undefined;
  reductionFactor: number;
  /** One bracket with this minimum early-stopping rate, or Hyperband's brackets. */
  brackets: { minEarlyStoppingRate: number } | 'hyperband';
}

/** Reads minResource, maxResource, reductionFactor (and mode when `modes` allows a choice). */
export function readRungOptions(reader: OptionReader, defaultMode: RungMode, modes: readonly RungMode[]): Omit<RungSettings, 'brackets'> {
  const mode = modes.length > 1 ? reader.choice('mode', modes, defaultMode) : defaultMode;
  const minResource = reader.integer('minResource', 1, { min: 1 });
  const maxResource = reader.integer('maxResource', 0, { min: 1 });
  const reductionFactor = reader.integer('reductionFactor', 3, { min: 2 });
  return { mode, minResource, maxResource: maxResource === 0 ? undefined : maxResource, reductionFactor };
}

interface Layout {
  /** Minimum early-stopping rate of each bracket. */
  rates: number[];
  /** Bracket of trial n is pattern[n % pattern.length]. */
  pattern: Int32Array;
  /** Rung steps of each bracket, ascending, all below the maximum resource. */
  rungs: number[][];
}

export function createRungScheduler(name: string, settings: RungSettings): Scheduler {
  const { mode, minResource, reductionFactor: eta } = settings;
  if (settings.maxResource !== undefined && settings.maxResource <= minResource) {
    throw new AlgorithmConfigError('options.maxResource', `scheduler "${name}": option "maxResource" (${settings.maxResource}) must exceed "minResource" (${minResource})`);
  }
  const layouts = new Map<number, Layout>();

  /** The maximum resource for this context: Infinity when unbounded (single bracket), undefined when unknown yet (hyperband). */
  const maxResourceOf = (ctx: SchedulerContext): number | undefined => {
    const known = settings.maxResource ?? ctx.maxEpochs;
    if (known !== undefined) return known;
    if (settings.brackets !== 'hyperband') return Infinity;
    let largest: number | undefined;
    for (const t of ctx.trials) {
      if (t.state !== 'COMPLETE') continue;
      for (const s of Object.keys(t.intermediate ?? {})) largest = Math.max(largest ?? 0, Number(s));
    }
    return largest !== undefined && largest > minResource ? largest : undefined;
  };

  const layoutOf = (maxResource: number): Layout => {
    let layout = layouts.get(maxResource);
    if (layout === undefined) {
      layout = buildLayout(settings, maxResource);
      layouts.set(maxResource, layout);
    }
    return layout;
  };

  const bracketOfNumber = (layout: Layout, trialNumber: number) => layout.pattern[trialNumber % layout.pattern.length]!;

  /** Rung steps of trial `trialNumber`'s bracket; undefined while the maximum resource is unknown. */
  const rungsOf = (ctx: SchedulerContext, trialNumber: number): number[] | undefined => {
    const maxResource = maxResourceOf(ctx);
    if (maxResource === undefined) return undefined;
    const layout = layoutOf(maxResource);
    return layout.rungs[bracketOfNumber(layout, trialNumber)]!;
  };

  const scheduler: Scheduler = {
    name,

    decide(ctx, trialNumber, step) {
      const trial = findTrial(ctx, trialNumber, name);
      const value = trial.intermediate?.[step];
      if (value !== undefined && Number.isNaN(value)) return 'prune'; // diverged: no rung will take it
      const directions = paretoDirections(ctx);
      const vector = directions === null ? undefined : vectorAt(trial, step, directions.length);
      if (vector !== undefined && hasNaN(vector)) return 'prune';
      const rungs = rungsOf(ctx, trialNumber);
      // At the maximum resource the trial is done: nothing left to save by stopping it.
      if (rungs === undefined || value === undefined || step >= maxResourceOf(ctx)!) return 'continue';
      const steps = sortedSteps(trial);
      // The rungs this report enters: each is judged once, at the first report at or after it.
      const entered = rungs.filter((rung) => rung <= step && firstStepAtOrAfter(steps, rung) === step);
      if (entered.length === 0) return 'continue';
      if (mode === 'promotion') return 'pause';

      const maxResource = maxResourceOf(ctx)!;
      const layout = layoutOf(maxResource);
      const bracket = bracketOfNumber(layout, trialNumber);
      const sign = ctx.direction === 'minimize' ? 1 : -1;
      for (const rung of entered) {
        if (directions !== null) {
          if (vector !== undefined && !inTopByPareto(ctx.trials, trialNumber, vector, rung, directions, eta, (n) => bracketOfNumber(layout, n) === bracket)) return 'prune';
          continue;
        }
        const competitors = [sign * value];
        for (const other of ctx.trials) {
          if (other.number === trialNumber || bracketOfNumber(layout, other.number) !== bracket) continue;
          const v = rungValue(other, rung);
          if (v !== undefined && !Number.isNaN(v)) competitors.push(sign * v);
        }
        competitors.sort((a, b) => a - b);
        // Optuna's rule: the trial must be at least as good as the ⌊n/η⌋-th best (the best when n < η).
        const cutoff = competitors[Math.max(0, Math.floor(competitors.length / eta) - 1)]!;
        if (sign * value > cutoff) return 'prune';
      }
      return 'continue';
    },

    nextMilestone(ctx, trialNumber, epochsDone) {
      const rungs = rungsOf(ctx, trialNumber);
      const next = rungs?.find((rung) => rung > epochsDone);
      if (next !== undefined) return next;
      const maxResource = maxResourceOf(ctx);
      return maxResource !== undefined && Number.isFinite(maxResource) ? maxResource : (ctx.maxEpochs ?? Infinity);
    },

    bracketOf(ctx, trialNumber) {
      const maxResource = maxResourceOf(ctx);
      return maxResource === undefined ? undefined : bracketOfNumber(layoutOf(maxResource), trialNumber);
    },
  };

  if (mode === 'promotion') {
    scheduler.promotions = (ctx, freeSlots) => {
      if (freeSlots <= 0) return [];
      const maxResource = maxResourceOf(ctx);
      if (maxResource === undefined) return [];
      const layout = layoutOf(maxResource);
      const bracketOf = (n: number) => bracketOfNumber(layout, n);
      const directions = paretoDirections(ctx);
      const chosen = directions === null ? promotable(ctx.trials, ctx.direction, layout, bracketOf, eta) : promotableByPareto(ctx.trials, directions, layout, bracketOf, eta);
      return chosen.slice(0, freeSlots);
    };
    scheduler.stoppingVariant = () => createRungScheduler(name, { ...settings, mode: 'stopping' });
  }
  return scheduler;
}

/** The trials at each rung of each bracket, and the paused trials with their rung; `keyAt` reads a trial's key at a step (undefined: NaN, it stops there). */
function rungMembers<K>(trials: readonly TrialView[], layout: Layout, bracketOf: (n: number) => number, keyAt: (t: TrialView, step: number) => K | undefined) {
  // Rung members per bracket and rung: [key, trial number]. FAIL trials cannot be resumed and do not rank.
  const members = layout.rungs.map((rungs) => rungs.map(() => [] as [K, number][]));
  const paused: { number: number; bracket: number; rung: number; value: K }[] = [];
  for (const t of trials) {
    if (t.state === 'FAIL') continue;
    const bracket = bracketOf(t.number);
    const rungs = layout.rungs[bracket]!;
    const steps = sortedSteps(t);
    let top = -1;
    let topKey: K | undefined;
    for (let k = 0; k < rungs.length; k++) {
      const at = firstStepAtOrAfter(steps, rungs[k]!);
      if (at === undefined) break;
      const key = keyAt(t, at);
      if (key === undefined) break;
      members[bracket]![k]!.push([key, t.number]);
      top = k;
      topKey = key;
    }
    // A paused trial waits at its highest rung (its last report falls on or after it).
    if (t.paused === true && t.state === 'RUNNING' && top >= 0) paused.push({ number: t.number, bracket, rung: top, value: topKey! });
  }
  return { members, paused };
}

/** Paused trials in the top ⌊n/η⌋ of their current rung, highest rung first, then best value, then number. */
function promotable(trials: readonly TrialView[], direction: Direction, layout: Layout, bracketOf: (n: number) => number, eta: number): number[] {
  const sign = direction === 'minimize' ? 1 : -1;
  const { members, paused } = rungMembers(trials, layout, bracketOf, (t, at) => {
    const v = t.intermediate![at]!;
    return Number.isNaN(v) ? undefined : sign * v;
  });
  const chosen = paused.filter(({ number, bracket, rung }) => {
    const ranked = members[bracket]![rung]!.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const quota = Math.floor(ranked.length / eta);
    for (let i = 0; i < quota; i++) if (ranked[i]![1] === number) return true;
    return false;
  });
  chosen.sort((a, b) => layout.rungs[b.bracket]![b.rung]! - layout.rungs[a.bracket]![a.rung]! || a.value - b.value || a.number - b.number);
  return chosen.map((c) => c.number);
}

/**
 * Several objectives: paused trials in the top ⌊n/η⌋ of their rung's Pareto order (dominance.ts),
 * highest rung first, then the better place in that order, then the lower number.
 */
function promotableByPareto(trials: readonly TrialView[], directions: readonly Direction[], layout: Layout, bracketOf: (n: number) => number, eta: number): number[] {
  const { members, paused } = rungMembers(trials, layout, bracketOf, (t, at) => {
    const v = vectorAt(t, at, directions.length);
    return v === undefined || hasNaN(v) ? undefined : v;
  });
  const places = new Map<string, Map<number, number>>(); // "bracket/rung" → trial number → place in the order
  const placeOf = (bracket: number, rung: number, number: number): number => {
    const key = `${bracket}/${rung}`;
    let place = places.get(key);
    if (place === undefined) {
      const order = paretoOrder(members[bracket]![rung]!.map(([values, n]) => ({ number: n, values })), directions);
      place = new Map(order.map((n, i) => [n, i]));
      places.set(key, place);
    }
    return place.get(number)!;
  };
  const chosen = paused
    .map((p) => ({ ...p, place: placeOf(p.bracket, p.rung, p.number) }))
    .filter((p) => p.place < Math.floor(members[p.bracket]![p.rung]!.length / eta));
  chosen.sort((a, b) => layout.rungs[b.bracket]![b.rung]! - layout.rungs[a.bracket]![a.rung]! || a.place - b.place || a.number - b.number);
  return chosen.map((c) => c.number);
}

/**
 * Several objectives, stopping mode: whether the trial, with `vector` at `rung`, is in the top
 * max(1, ⌊n/η⌋) of the Pareto order of the n trials of its bracket (`sameBracket`) that reached the rung.
 */
function inTopByPareto(
  trials: readonly TrialView[],
  trialNumber: number,
  vector: readonly number[],
  rung: number,
  directions: readonly Direction[],
  eta: number,
  sameBracket: (n: number) => boolean,
): boolean {
  const entries: RungEntry[] = [{ number: trialNumber, values: vector }];
  for (const other of trials) {
    if (other.number === trialNumber || !sameBracket(other.number)) continue;
    const v = rungEntry(other.intermediateValues, rung);
    if (v !== undefined && v.length === directions.length && !hasNaN(v)) entries.push({ number: other.number, values: v });
  }
  const place = paretoOrder(entries, directions).indexOf(trialNumber);
  return place < Math.max(1, Math.floor(entries.length / eta));
}

function buildLayout(settings: RungSettings, maxResource: number): Layout {
  const { minResource, reductionFactor: eta } = settings;
  const rungsFor = (rate: number) => {
    const rungs: number[] = [];
    // Integer arithmetic: no log rounding at exact powers of η.
    for (let step = minResource * eta ** rate; step < maxResource; step *= eta) rungs.push(step);
    return rungs;
  };
  if (settings.brackets !== 'hyperband') {
    const rate = settings.brackets.minEarlyStoppingRate;
    return { rates: [rate], pattern: Int32Array.of(0), rungs: [rungsFor(rate)] };
  }
  // Hyperband: s_max + 1 brackets, s_max = ⌊log_η(R / r)⌋; bracket b stops early from rung rate b and gets
  // a share ⌈B·η^s / (s + 1)⌉ of the trials, s = s_max − b (Optuna's proportions).
  let count = 1;
  while (minResource * eta ** count <= maxResource) count++;
  const rates = Array.from({ length: count }, (_, b) => b);
  const weights = rates.map((b) => Math.ceil((count * eta ** (count - 1 - b)) / (count - b)));
  return { rates, pattern: smoothWeightedRoundRobin(weights), rungs: rates.map(rungsFor) };
}

/** One period of the smooth weighted round-robin over `weights`: each index appears weight times, evenly spread. */
export function smoothWeightedRoundRobin(weights: readonly number[]): Int32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = new Float64Array(weights.length);
  const pattern = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    let pick = 0;
    for (let b = 0; b < weights.length; b++) {
      current[b]! += weights[b]!;
      if (current[b]! > current[pick]!) pick = b;
    }
    current[pick]! -= total;
    pattern[i] = pick;
  }
  return pattern;
}

function sortedSteps(trial: TrialView): number[] {
  return Object.keys(trial.intermediate ?? {})
    .map(Number)
    .sort((a, b) => a - b);
}

function firstStepAtOrAfter(steps: readonly number[], rung: number): number | undefined {
  for (const s of steps) if (s >= rung) return s;
  return undefined;
}

/** A trial's value at a rung: at its first report at or after the rung step. */
function rungValue(trial: TrialView, rung: number): number | undefined {
  return rungEntry(trial.intermediate, rung);
}

/** The report at the first step at or after `rung` in a step → report record. */
function rungEntry<T>(reports: Record<number, T> | undefined, rung: number): T | undefined {
  const exact = reports?.[rung];
  if (exact !== undefined) return exact;
  let at: number | undefined;
  for (const key of Object.keys(reports ?? {})) {
    const s = Number(key);
    if (s >= rung && (at === undefined || s < at)) at = s;
  }
  return at === undefined ? undefined : reports![at];
}

/** Reads the options every rung scheduler shares and checks them. */
export function rungScheduler(name: string, options: Record<string, unknown> | undefined, defaultMode: RungMode, modes: readonly RungMode[], hyperband: boolean): Scheduler {
  const reader = new OptionReader(`scheduler "${name}"`, options);
  const common = readRungOptions(reader, defaultMode, modes);
  const brackets = hyperband ? ('hyperband' as const) : { minEarlyStoppingRate: reader.integer('minEarlyStoppingRate', 0, { min: 0 }) };
  reader.done();
  return createRungScheduler(name, { ...common, brackets });
}
