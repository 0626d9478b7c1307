// mlp: a multilayer perceptron over the flattened image.
//   units (128)        width of every hidden layer
//   layers (2)         number of hidden layers (0 = multinomial logistic regression)
//   activation (relu)  hidden activation
//   dropout (0)        dropout rate after each hidden layer
//   batchNorm (false)  batch normalization before each hidden activation
import { ACTIVATIONS, activationLayer, hyperReader, imageInput, seededKernels } from './common';
import type { ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    units: read.integer('units', 128, { min: 1, max: 65536 }),
    layers: read.integer('layers', 2, { min: 0, max: 64 }),
    activation: read.choice('activation', ACTIVATIONS, 'relu'),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    batchNorm: read.boolean('batchNorm', false),
  };
}

export const mlp: ModelFamily = {
  name: 'mlp',
  description: 'multilayer perceptron on flattened pixels',
  hyperparameters: {
    units: 'hidden layer width (default 128)',
    layers: 'hidden layers, 0 for a linear classifier (default 2)',
    activation: `hidden activation: ${ACTIVATIONS.join(', ')} (default relu)`,
    dropout: 'dropout rate after each hidden layer, 0..0.9 (default 0)',
    batchNorm: 'batch normalization in each hidden layer (default false)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('mlp', input);
    const { units, layers, activation, dropout, batchNorm } = options(hyper);
    const kernel = seededKernels(tf, seed);

    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape }));
    for (let i = 0; i < layers; i++) {
      model.add(tf.layers.dense({ units, kernelInitializer: kernel(), useBias: !batchNorm }));
      if (batchNorm) model.add(tf.layers.batchNormalization());
      model.add(activationLayer(tf, activation));
      if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    }
    model.add(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }));
    return model;
  },
};
