// A trial's objective and constraint values, read from the metrics of its last epoch, or with
// `aggregate: best` on the first objective from the epoch that objective's value comes from.
import type { ExperimentSpec } from '../spec/types';
import { compareValues, TIE_BREAK_METRIC } from '../search/ranking';
import { objectiveValue } from '../spec/objective';

export function objectiveValues(spec: ExperimentSpec, metrics: Record<string, number>): number[] {
  return spec.objective.map((o) => objectiveValue(o, metrics));
}

/** metric - max for each of the spec's constraints (Optuna's convention: <= 0 is feasible); undefined when it has none. */
export function constraintValues(spec: ExperimentSpec, metrics: Record<string, number>): number[] | undefined {
  const constraints = spec.search.constraints ?? [];
  if (constraints.length === 0) return undefined;
  return constraints.map(({ metric, max }) => {
    const v = metrics[metric];
    if (v === undefined) {
      throw new Error(`constraint metric "${metric}" was not recorded (recorded: ${Object.keys(metrics).sort().join(', ')})`);
    }
    return v - max;
  });
}

/** The value that settles ties between trials (search/ranking.ts compareTies): the epoch's val_loss, when recorded and finite. */
export function tieBreakValue(metrics: Record<string, number>): number | undefined {
  const v = metrics[TIE_BREAK_METRIC];
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * A finished trial's objective values: its last epoch's (`values`), except for an objective with
 * `aggregate: best`, which takes the best finite value any epoch of `history` had (epoch → one value per
 * objective) in its direction, the earliest such epoch on ties.
 */
export function trialValues(spec: ExperimentSpec, values: readonly number[], history: Record<number, readonly number[]>): number[] {
  const epochs = Object.keys(history).map(Number).sort((a, b) => a - b);
  return values.map((last, k) => {
    const objective = spec.objective[k];
    if (objective?.aggregate !== 'best') return last;
    let best = last;
    for (const epoch of epochs) {
      const v = history[epoch]![k];
      if (v !== undefined && Number.isFinite(v) && compareValues(v, best, objective.direction) < 0) best = v;
    }
    return best;
  });
}

/**
 * The epoch whose metrics a finished trial's constraints and tie-break read: with `aggregate: best` on the
 * first objective, the epoch its value comes from (the earliest epoch of `history` with the best finite
 * first-objective value, as trialValues picks it); otherwise undefined, meaning the last epoch. Other
 * objectives' `aggregate` does not move it: a trial has one set of constraint values and one tie key.
 */
export function valueEpoch(spec: ExperimentSpec, history: Record<number, readonly number[]>): number | undefined {
  const objective = spec.objective[0];
  if (objective?.aggregate !== 'best') return undefined;
  let best: number | undefined;
  let at: number | undefined;
  for (const epoch of Object.keys(history).map(Number).sort((a, b) => a - b)) {
    const v = history[epoch]![0];
    if (v !== undefined && Number.isFinite(v) && (best === undefined || compareValues(v, best, objective.direction) < 0)) [best, at] = [v, epoch];
  }
  return at;
}

/** Per-epoch objective values from per-epoch metrics; an epoch without every objective metric is left out. */
export function epochValues(spec: ExperimentSpec, byEpoch: ReadonlyMap<number, Record<string, number>>): Record<number, number[]> {
  const history: Record<number, number[]> = {};
  for (const [epoch, metrics] of byEpoch) {
    try {
      history[epoch] = objectiveValues(spec, metrics);
    } catch {
      // not an intermediate value
    }
  }
  return history;
}

/** Metrics a finished trial's outcome reads per epoch besides the objectives': the tie key and the constraints'. */
export function outcomeMetrics(spec: ExperimentSpec): string[] {
  return [TIE_BREAK_METRIC, ...(spec.search.constraints ?? []).map((c) => c.metric)];
}

/**
 * A finished trial's values, constraints and tie key from its last metrics and its per-epoch metrics
 * (epoch → metric → value; with `aggregate: best` they need the objectives' metrics and outcomeMetrics):
 * values by trialValues, constraints and tie key from valueEpoch's epoch, or the last epoch's metrics.
 * Throws like objectiveValues / constraintValues when a metric is missing.
 */
export function trialOutcome(
  spec: ExperimentSpec,
  last: Record<string, number>,
  byEpoch: ReadonlyMap<number, Record<string, number>>,
): { values: number[]; constraints?: number[]; tieBreak?: number } {
  const history = epochValues(spec, byEpoch);
  const values = trialValues(spec, objectiveValues(spec, last), history);
  const epoch = valueEpoch(spec, history);
  const source = (epoch !== undefined ? byEpoch.get(epoch) : undefined) ?? last;
  const constraints = constraintValues(spec, source);
  const tieBreak = tieBreakValue(source);
  return { values, ...(constraints ? { constraints } : {}), ...(tieBreak !== undefined ? { tieBreak } : {}) };
}
