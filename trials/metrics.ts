// A trial's objective and constraint values, read from the metrics of its last epoch.
import type { ExperimentSpec } from '../spec/types';
import { TIE_BREAK_METRIC } from '../search/ranking';
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
