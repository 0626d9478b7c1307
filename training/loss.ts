// The training loss of a trial: the family's own loss (SVM hinge losses), else categorical
// cross-entropy, with label smoothing when `labelSmoothing` > 0 (Szegedy et al., 2016; Keras'
// `label_smoothing`): targets y become y * (1 - s) + s / classes, so the reported loss, val_loss and
// test_loss are the smoothed cross-entropy.
import type { Tensor } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { OptionReader } from '../search/options';
import { InvalidConfigurationError, settingsReader } from './errors';
import type { ModelFamily, ModelLoss } from './models';

export const REGRESSION_LOSSES = ['mse', 'mae', 'huber'] as const;
export type RegressionLoss = (typeof REGRESSION_LOSSES)[number];
/** Huber's delta: quadratic within it of the target, linear beyond (both engines use it). */
export const HUBER_DELTA = 1;

/**
 * Which loss a trial trains with, as the graph engine needs to know it: the cross-entropy (with its
 * smoothing), a regression loss, the SVM families' one-vs-rest (squared) hinge, or a family's own
 * (`custom`, trained eagerly).
 */
export type LossKind = { kind: 'cross-entropy'; labelSmoothing: number } | { kind: RegressionLoss } | { kind: 'hinge'; squared: boolean } | { kind: 'custom' };

/** Losses over one output per class, scored by categorical accuracy. */
export function classifies(loss: LossKind): boolean {
  return loss.kind === 'cross-entropy' || loss.kind === 'hinge';
}

export const LOSS_HYPERPARAMETERS: Record<string, string> = {
  labelSmoothing: 'cross-entropy label smoothing, 0 <= s < 1 (default 0)',
  regressionLoss: `loss on time-series (regression) data: ${REGRESSION_LOSSES.join(', ')} (default mse; huber with delta 1)`,
};

export function readRegressionLoss(read: OptionReader): RegressionLoss {
  return read.choice('regressionLoss', REGRESSION_LOSSES, 'mse');
}

/** A regression loss per example, averaged over the targets. */
export function regressionLoss(tf: Tf, loss: RegressionLoss): (yTrue: Tensor, yPred: Tensor) => Tensor {
  if (loss === 'mse') return (yTrue, yPred) => tf.metrics.meanSquaredError(yTrue, yPred);
  if (loss === 'mae') return (yTrue, yPred) => tf.metrics.meanAbsoluteError(yTrue, yPred);
  return (yTrue, yPred) =>
    tf.tidy(() => {
      // Huber: quadratic within HUBER_DELTA of the target, linear beyond, as Keras' Huber loss.
      const error = tf.abs(tf.sub(yPred, yTrue));
      const quadratic = tf.minimum(error, HUBER_DELTA);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(HUBER_DELTA, tf.sub(error, quadratic))), -1);
    });
}

/** `labelSmoothing` from the merged settings; families with their own loss refuse a non-zero value. */
export function resolveLabelSmoothing(merged: Record<string, unknown>, family: ModelFamily): number {
  return readLabelSmoothing(settingsReader(merged, (key) => `training setting or parameter "${key}"`), family);
}

export function readLabelSmoothing(read: OptionReader, family: ModelFamily): number {
  const smoothing = read.number('labelSmoothing', 0, { min: 0, max: 0.999999 });
  if (smoothing > 0 && family.loss) {
    const problem = `applies to cross-entropy, but model "${family.name}" trains with its own loss (got ${smoothing})`;
    throw new InvalidConfigurationError(`training setting or parameter "labelSmoothing" ${problem}`, { key: 'labelSmoothing', problem });
  }
  return smoothing;
}

/** Categorical cross-entropy per example against smoothed one-hot targets. */
export function smoothedCrossEntropy(tf: Tf, smoothing: number): (yTrue: Tensor, yPred: Tensor) => Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const classes = yTrue.shape[yTrue.shape.length - 1]!;
      return tf.metrics.categoricalCrossentropy(tf.add(tf.mul(yTrue, 1 - smoothing), smoothing / classes), yPred);
    });
}

/** What the model compiles with: a tfjs loss name or a per-example loss function. */
export function trainingLoss(tf: Tf, family: ModelFamily, hyper: Record<string, unknown>, labelSmoothing: number): ModelLoss {
  const own = family.loss?.(tf, hyper);
  if (own !== undefined) return own;
  return labelSmoothing > 0 ? smoothedCrossEntropy(tf, labelSmoothing) : 'categoricalCrossentropy';
}
