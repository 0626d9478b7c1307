// svm-linear: a linear multiclass SVM, one-vs-rest: one linear score per class, trained with the
// (squared) hinge loss against +1 for the true class and -1 for the others, plus an elastic-net
// penalty on the weights. Predictions are the class with the highest score.
//   loss (squared_hinge)   squared_hinge (smooth, Keras' default for SVMs) or hinge
//   l1 (0), l2 (0.0001)    elastic-net penalty on the weights (l2 plays the role of 1/C)
import type { LayersModel, Sequential } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { hyperReader, imageInput } from './common';
import type { ModelFamily, ModelLoss } from './types';
import type { LossKind } from '../loss';

export const SVM_LOSSES = ['squared_hinge', 'hinge'] as const;

/** Hyperparameters of the SVM head, shared by the linear and the RBF SVM. */
export const SVM_HEAD_HYPERPARAMETERS: Record<string, string> = {
  loss: `${SVM_LOSSES.join(' or ')} over one-vs-rest scores (default squared_hinge)`,
  l1: 'L1 penalty on the SVM weights (default 0)',
  l2: 'L2 penalty on the SVM weights (default 0.0001)',
};

/** One-vs-rest (squared) hinge loss: targets are one-hot, scores unbounded; one value per example. */
export function svmLoss(tf: Tf, hyper: Record<string, unknown>): ModelLoss {
  const kind = svmHeadOptions(hyper).loss;
  return (yTrue, yPred) => {
    const signs = tf.sub(tf.mul(yTrue, 2), 1);
    const margins = tf.relu(tf.sub(1, tf.mul(signs, yPred)));
    return tf.mean(kind === 'hinge' ? margins : tf.square(margins), -1);
  };
}

/** `svmLoss` as the graph engine knows it. */
export function svmLossKind(hyper: Record<string, unknown>): LossKind {
  return { kind: 'hinge', squared: svmHeadOptions(hyper).loss === 'squared_hinge' };
}

/** The SVM head's settings: the loss, and the elastic-net penalty. */
export function svmHeadOptions(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return { loss: read.choice('loss', SVM_LOSSES, 'squared_hinge'), l1: read.number('l1', 0, { min: 0 }), l2: read.number('l2', 0.0001, { min: 0 }) };
}

/** Adds the linear score layer (one output per class, no activation) with its elastic-net penalty. */
export function addSvmHead(tf: Tf, model: Sequential, hyper: Record<string, unknown>, numClasses: number, seed: number): LayersModel {
  const { l1, l2 } = svmHeadOptions(hyper); // the loss is validated here too, so a bad value fails when the model is built
  model.add(
    tf.layers.dense({
      units: numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      ...(l1 > 0 || l2 > 0 ? { kernelRegularizer: tf.regularizers.l1l2({ l1, l2 }) } : {}),
    }),
  );
  return model;
}

export const svmLinear: ModelFamily = {
  name: 'svm-linear',
  description: 'linear one-vs-rest SVM (hinge or squared hinge loss) with an elastic-net penalty',
  hyperparameters: SVM_HEAD_HYPERPARAMETERS,
  validateOptions: svmHeadOptions,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('svm-linear', input);
    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape }));
    return addSvmHead(tf, model, hyper, numClasses, seed);
  },
  loss: svmLoss,
  lossKind: svmLossKind,
};
