// When a campaign may stop searching on its own (W&B's metric.target, Katib's goal, Ray Tune's
// experiment plateau stopper): the objective reached a target, or the best value stopped improving.
// Pure: the campaign workflow asks it after trials finish; it reads the first objective only.
import { compareValues, rankFeasible, type Rankable } from './ranking';
import type { Direction } from './types';

export interface StopRule {
  /** Stop once a feasible COMPLETE trial's first objective is at least this good (>= to maximize, <= to minimize). */
  target?: number;
  /** Stop once the best value has improved by no more than `minDelta` over the last `trials` finished trials. */
  plateau?: { trials: number; minDelta: number };
}

const fmt = (v: number) => String(Number(v.toPrecision(6)));

/**
 * Why the search should stop now, or null. "Finished" means COMPLETE, PRUNED or FAIL; for the plateau the
 * last N finished trials are the N with the highest numbers (a fixed order, whatever order they ended in),
 * and it needs a best value from before those N to compare with.
 */
export function campaignStopReason(trials: readonly Rankable[], rule: StopRule, direction: Direction, metric: string): string | null {
  const best = rankFeasible(trials, direction)[0];
  if (rule.target !== undefined && best && compareValues(best.values![0]!, rule.target, direction) <= 0) {
    const sign = direction === 'maximize' ? '>=' : '<=';
    return `budget.stopWhen.target reached: trial ${best.number} has ${metric}=${fmt(best.values![0]!)} ${sign} ${fmt(rule.target)}`;
  }
  if (rule.plateau && best) {
    const { trials: window, minDelta } = rule.plateau;
    const finished = trials.filter((t) => t.state !== 'RUNNING').sort((a, b) => a.number - b.number);
    if (finished.length <= window) return null;
    const before = rankFeasible(finished.slice(0, finished.length - window), direction)[0];
    if (!before || !Number.isFinite(before.values![0]!) || !Number.isFinite(best.values![0]!)) return null;
    const gain = direction === 'maximize' ? best.values![0]! - before.values![0]! : before.values![0]! - best.values![0]!;
    if (gain <= minDelta) {
      return `budget.stopWhen.plateau: the best ${metric} (${fmt(best.values![0]!)}) improved by ${fmt(gain)} <= minDelta ${fmt(minDelta)} over the last ${window} finished trials`;
    }
  }
  return null;
}
