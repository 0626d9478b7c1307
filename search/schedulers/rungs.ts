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
import { AlgorithmConfigError } from '../errors';
import { OptionReader } from '../options';
import type { Direction, TrialView } from '../types';
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
      return promotable(ctx.trials, ctx.direction, layout, (n) => bracketOfNumber(layout, n), eta).slice(0, freeSlots);
    };
    scheduler.stoppingVariant = () => createRungScheduler(name, { ...settings, mode: 'stopping' });
  }
  return scheduler;
}

/** Paused trials in the top ⌊n/η⌋ of their current rung, highest rung first, then best value, then number. */
function promotable(trials: readonly TrialView[], direction: Direction, layout: Layout, bracketOf: (n: number) => number, eta: number): number[] {
  const sign = direction === 'minimize' ? 1 : -1;
  // Rung members per bracket and rung: [sign-adjusted value, trial number]. FAIL trials cannot be resumed and do not rank.
  const members = layout.rungs.map((rungs) => rungs.map(() => [] as [number, number][]));
  const paused: { number: number; bracket: number; rung: number; value: number }[] = [];
  for (const t of trials) {
    if (t.state === 'FAIL') continue;
    const bracket = bracketOf(t.number);
    const rungs = layout.rungs[bracket]!;
    const steps = sortedSteps(t);
    const last = steps.at(-1);
    let top = -1;
    for (let k = 0; k < rungs.length; k++) {
      const at = firstStepAtOrAfter(steps, rungs[k]!);
      if (at === undefined) break;
      const v = t.intermediate![at]!;
      if (Number.isNaN(v)) break;
      members[bracket]![k]!.push([sign * v, t.number]);
      top = k;
    }
    // A paused trial waits at its highest rung (its last report falls on or after it).
    if (t.paused === true && t.state === 'RUNNING' && top >= 0 && last !== undefined) {
      paused.push({ number: t.number, bracket, rung: top, value: sign * t.intermediate![firstStepAtOrAfter(steps, rungs[top]!)!]! });
    }
  }
  const chosen = paused.filter(({ number, bracket, rung }) => {
    const ranked = members[bracket]![rung]!.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const quota = Math.floor(ranked.length / eta);
    for (let i = 0; i < quota; i++) if (ranked[i]![1] === number) return true;
    return false;
  });
  chosen.sort((a, b) => layout.rungs[b.bracket]![b.rung]! - layout.rungs[a.bracket]![a.rung]! || a.value - b.value || a.number - b.number);
  return chosen.map((c) => c.number);
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
  const exact = trial.intermediate?.[rung];
  if (exact !== undefined) return exact;
  let at: number | undefined;
  for (const key of Object.keys(trial.intermediate ?? {})) {
    const s = Number(key);
    if (s >= rung && (at === undefined || s < at)) at = s;
  }
  return at === undefined ? undefined : trial.intermediate![at];
}

/** Reads the options every rung scheduler shares and checks them. */
export function rungScheduler(name: string, options: Record<string, unknown> | undefined, defaultMode: RungMode, modes: readonly RungMode[], hyperband: boolean): Scheduler {
  const reader = new OptionReader(`scheduler "${name}"`, options);
  const common = readRungOptions(reader, defaultMode, modes);
  const brackets = hyperband ? ('hyperband' as const) : { minEarlyStoppingRate: reader.integer('minEarlyStoppingRate', 0, { min: 0 }) };
  reader.done();
  return createRungScheduler(name, { ...common, brackets });
}
