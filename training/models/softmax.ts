// softmax: multinomial logistic regression on the flattened input (a linear layer and a softmax).
//   l1 (0), l2 (0)   elastic-net penalty on the weights
import { hyperReader, imageInput } from './common';
import type { ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return { l1: read.number('l1', 0, { min: 0 }), l2: read.number('l2', 0, { min: 0 }) };
}

export const softmax: ModelFamily = {
  name: 'softmax',
  description: 'multinomial logistic regression on the flattened input',
  hyperparameters: {
    l1: 'L1 penalty on the weights (default 0)',
    l2: 'L2 penalty on the weights (default 0)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('softmax', input);
    const { l1, l2 } = options(hyper);
    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape }));
    model.add(
      tf.layers.dense({
        units: numClasses,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        ...(l1 > 0 || l2 > 0 ? { kernelRegularizer: tf.regularizers.l1l2({ l1, l2 }) } : {}),
      }),
    );
    return model;
  },
};
