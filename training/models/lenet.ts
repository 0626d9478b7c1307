// lenet: LeNet-5 (LeCun et al., 1998) in its common modern form: conv 6@5x5 (same padding) -> 2x2
// average pooling -> conv 16@5x5 -> 2x2 average pooling -> dense 120 -> dense 84 -> softmax.
//   activation (relu)  the 1998 original used tanh, which learns several times slower here
//   dropout (0)        dropout rate before each dense layer
import { InvalidConfigurationError } from '../errors';
import { ACTIVATIONS, addActivated, hyperReader, imageInput, seededKernels } from './common';
import type { ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return { activation: read.choice('activation', ACTIVATIONS, 'relu'), dropout: read.number('dropout', 0, { min: 0, max: 0.9 }) };
}

export const lenet: ModelFamily = {
  name: 'lenet',
  description: 'LeNet-5: two 5x5 conv + average-pool stages, dense 120 and 84',
  hyperparameters: {
    activation: `activation: ${ACTIVATIONS.join(', ')} (default relu; tanh as in 1998)`,
    dropout: 'dropout rate before each dense layer, 0..0.9 (default 0)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('lenet', input);
    const { activation, dropout } = options(hyper);
    // same-padded conv and pool halve to h/2; the valid 5x5 conv needs h/2 >= 5, the second pool >= 2.
    if (Math.min(inputShape[0], inputShape[1]) < 12) {
      throw new InvalidConfigurationError(`model "lenet" needs images of at least 12x12 pixels, these are ${inputShape[0]}x${inputShape[1]}`);
    }
    const kernel = seededKernels(tf, seed);

    const model = tf.sequential();
    addActivated(tf, model, (activation) => tf.layers.conv2d({ inputShape, filters: 6, kernelSize: 5, padding: 'same', activation, kernelInitializer: kernel() }), activation);
    model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
    addActivated(tf, model, (activation) => tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation, kernelInitializer: kernel() }), activation);
    model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
    model.add(tf.layers.flatten());
    for (const units of [120, 84]) {
      if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
      addActivated(tf, model, (activation) => tf.layers.dense({ units, activation, kernelInitializer: kernel() }), activation);
    }
    model.add(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }));
    return model;
  },
};
