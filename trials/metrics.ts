// A trial's objective and constraint values, read from the metrics of its last epoch.
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
