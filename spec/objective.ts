// What an objective's value is, given an epoch's metrics: the metric itself, or for a health-aware
// objective (`health: true` or a weight) the metric blended with `health_score`. Pure: the campaign
// workflow, the activities and the CLI all compute it the same way (docs/model-health.md).
import type { Direction, ExperimentSpec, Objective } from './types';

/** Weight of health_score in a health-aware objective written as `health: true`. */
export const DEFAULT_HEALTH_WEIGHT = 0.3;
export const HEALTH_METRIC = 'health_score';

/**
 * The aggregate health metrics every training epoch records (training/health.ts computes them; per-layer
 * names vary with the model). Here, beside `health_score`, so training and the report share one list.
 */
export const HEALTH_METRICS = [
  'dead_unit_fraction',
  'grad_norm_min',
  'grad_norm_max',
  'vanishing_gradient_layers',
  'exploding_gradient_layers',
  'loss_cv',
  'param_efficiency',
  HEALTH_METRIC,
] as const;

/** The metrics a regression epoch records beside `loss`/`val_loss`: here too, so training, the catalog and the report share one list. */
export const REGRESSION_METRICS = ['mse', 'mae', 'r2', 'val_mse', 'val_mae', 'val_r2'] as const;

/** An objective as written in the spec. */
export interface ObjectiveInput {
  metric: string;
  direction: Direction;
  /** true: health-aware with DEFAULT_HEALTH_WEIGHT; a number in (0, 1): with that weight. */
  health?: boolean | number;
  /** Which epoch's value is the trial's: the last one (default) or the best one. */
  aggregate?: 'last' | 'best';
}

export function normalizeObjective(input: ObjectiveInput): Objective {
  const objective: Objective = { metric: input.metric, direction: input.direction };
  const weight = input.health === true ? DEFAULT_HEALTH_WEIGHT : typeof input.health === 'number' ? input.health : 0;
  if (weight > 0) objective.healthWeight = weight;
  if (input.aggregate === 'best') objective.aggregate = 'best';
  return objective;
}

/**
 * The metric blended with health_score by `weight`: maximized metrics gain `weight * health`,
 * minimized ones pay `weight * (1 - health)`, so better health always ranks better.
 */
export function healthAwareValue(value: number, health: number, weight: number, direction: Direction): number {
  return (1 - weight) * value + weight * (direction === 'maximize' ? health : 1 - health);
}

/** The metrics an objective's value is computed from: its metric, and health_score when health-aware. */
export function objectiveMetrics(objective: Objective): string[] {
  return objective.healthWeight ? [objective.metric, HEALTH_METRIC] : [objective.metric];
}

/** Whether the spec ranks or constrains trials by `metric` (a costly metric is then measured every epoch). */
export function specReadsMetric(spec: ExperimentSpec, metric: string): boolean {
  return spec.objective.some((o) => objectiveMetrics(o).includes(metric)) || (spec.search.constraints ?? []).some((c) => c.metric === metric);
}

/** The objective's value; throws naming what is missing when the metrics lack it. */
export function objectiveValue(objective: Objective, metrics: Record<string, number>): number {
  const needed = objectiveMetrics(objective);
  const missing = needed.filter((name) => metrics[name] === undefined);
  if (missing.length > 0) {
    const known = Object.keys(metrics).sort().join(', ');
    throw new Error(`objective metric "${missing.join('", "')}" was not recorded (recorded: ${known})`);
  }
  const value = metrics[objective.metric]!;
  return objective.healthWeight ? healthAwareValue(value, metrics[HEALTH_METRIC]!, objective.healthWeight, objective.direction) : value;
}

/** How tables and MLflow name the objective: `val_accuracy`, or `health_aware_val_accuracy`. */
export function objectiveLabel(objective: Objective): string {
  return objective.healthWeight ? `health_aware_${objective.metric}` : objective.metric;
}
