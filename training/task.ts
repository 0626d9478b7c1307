// What a data set asks the model to do: classification (images, token sequences: softmax, cross-entropy,
// accuracy) or regression (time series: linear outputs, regressionLoss, mse/mae/r2). Segments,
// evaluation and the health probe read the loss and the metric names from here.
import type { Tf } from './backend';
import type { TrialConfig } from './config';
import type { Dataset, Split } from './datasets';
import { regressionLoss, trainingLoss, type LossKind } from './loss';
import type { ModelLoss } from './models';

export type Task = 'classification' | 'regression';

export function taskOf(dataset: Pick<Dataset, 'kind'>): Task {
  return dataset.kind === 'series' ? 'regression' : 'classification';
}

/** The metrics compiled into the model, as tfjs names them in its logs (`accuracy` is logged as `acc`). */
export const TASK_METRICS: Record<Task, readonly string[]> = { classification: ['accuracy'], regression: ['mse', 'mae'] };

export { REGRESSION_METRICS } from '../spec/objective';

export function taskLoss(tf: Tf, config: TrialConfig, task: Task): ModelLoss {
  return task === 'regression' ? regressionLoss(tf, config.regressionLoss) : trainingLoss(tf, config.family, config.hyper, config.labelSmoothing);
}

/** The kind of loss `taskLoss` compiles, known without building it (a family's own: it has `loss`). */
export function taskLossKind(config: TrialConfig, task: Task): LossKind {
  if (task === 'regression') return { kind: config.regressionLoss };
  if (config.family.loss) return config.family.lossKind?.(config.hyper) ?? { kind: 'custom' };
  return { kind: 'cross-entropy', labelSmoothing: config.labelSmoothing };
}

/** Variance of a split's targets over all examples and targets (the r2 denominator); NaN when empty. */
export function targetVariance(split: Split): number {
  const n = split.y.length;
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += split.y[i]!;
  mean /= n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (split.y[i]! - mean) ** 2;
  return sum / n;
}

/**
 * Named metrics from the values a compiled model reports after its loss (fit logs or evaluate), with
 * `prefix` (`''`, `val_`, `test_`); regression adds r2 = 1 - mse / variance of the targets.
 */
export function namedMetrics(task: Task, values: readonly number[], prefix: string, variance: number): Record<string, number> {
  const names = TASK_METRICS[task];
  const out: Record<string, number> = Object.fromEntries(names.map((name, i) => [`${prefix}${name}`, values[i]!]));
  if (task === 'regression') out[`${prefix}r2`] = 1 - out[`${prefix}mse`]! / variance;
  return out;
}

/** The accuracy-like value in [0, 1] the health score's parameter efficiency reads: accuracy, or r2 floored at 0. */
export function qualityOf(task: Task, metrics: Record<string, number>): number {
  if (task === 'classification') return metrics.val_accuracy ?? metrics.accuracy!;
  return Math.max(0, metrics.val_r2 ?? metrics.r2 ?? 0);
}
