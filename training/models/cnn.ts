// cnn: a configurable convolutional network.
//   convBlocks (2)      blocks of [conv (+ batch norm) + activation] x convsPerBlock, then pooling
//   convsPerBlock (1)   convolutions per block
//   filters (16)        filters of the first block; each further block doubles them
//   kernelSize (3)      square convolution kernel
//   batchNorm (false)   batch normalization after each convolution
//   pooling (max)       max, avg or none (2x2, stride 2, after each block)
//   activation (relu)
//   denseUnits (64)     width of the dense layer before the classifier (0 = none)
//   dropout (0)         dropout rate before the classifier (and after the dense layer)
import { InvalidConfigurationError } from '../errors';
import { ACTIVATIONS, activationLayer, addActivated, hyperReader, imageInput, seededKernels } from './common';
import type { ModelFamily } from './types';

const POOLING = ['max', 'avg', 'none'] as const;

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    convBlocks: read.integer('convBlocks', 2, { min: 1, max: 8 }),
    convsPerBlock: read.integer('convsPerBlock', 1, { min: 1, max: 8 }),
    filters: read.integer('filters', 16, { min: 1, max: 4096 }),
    kernelSize: read.integer('kernelSize', 3, { min: 1, max: 15 }),
    batchNorm: read.boolean('batchNorm', false),
    pooling: read.choice('pooling', POOLING, 'max'),
    activation: read.choice('activation', ACTIVATIONS, 'relu'),
    denseUnits: read.integer('denseUnits', 64, { min: 0, max: 65536 }),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
  };
}

export const cnn: ModelFamily = {
  name: 'cnn',
  description: 'convolutional network: conv blocks with optional batch norm and pooling, then a dense head',
  hyperparameters: {
    convBlocks: 'number of conv blocks (default 2)',
    convsPerBlock: 'convolutions per block (default 1)',
    filters: 'filters in the first block, doubled per block (default 16)',
    kernelSize: 'convolution kernel size (default 3)',
    batchNorm: 'batch normalization after each convolution (default false)',
    pooling: `pooling after each block: ${POOLING.join(', ')} (default max)`,
    activation: `activation: ${ACTIVATIONS.join(', ')} (default relu)`,
    denseUnits: 'dense layer width before the classifier, 0 for none (default 64)',
    dropout: 'dropout rate in the head, 0..0.9 (default 0)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('cnn', input);
    const { convBlocks, convsPerBlock, filters, kernelSize, batchNorm, pooling, activation, denseUnits, dropout } = options(hyper);
    if (pooling !== 'none' && Math.min(inputShape[0], inputShape[1]) < 2 ** convBlocks) {
      throw new InvalidConfigurationError(
        `model option or parameter "convBlocks": ${convBlocks} pooled blocks need images of at least ${2 ** convBlocks} pixels, these are ${inputShape[0]}x${inputShape[1]}`,
      );
    }
    const kernel = seededKernels(tf, seed);

    const model = tf.sequential();
    model.add(tf.layers.inputLayer({ inputShape }));
    for (let block = 0; block < convBlocks; block++) {
      for (let i = 0; i < convsPerBlock; i++) {
        model.add(
          tf.layers.conv2d({ filters: filters * 2 ** block, kernelSize, padding: 'same', useBias: !batchNorm, kernelInitializer: kernel() }),
        );
        if (batchNorm) model.add(tf.layers.batchNormalization());
        model.add(activationLayer(tf, activation));
      }
      if (pooling === 'max') model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
      if (pooling === 'avg') model.add(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }));
    }
    model.add(tf.layers.flatten());
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    if (denseUnits > 0) {
      addActivated(tf, model, (activation) => tf.layers.dense({ units: denseUnits, activation, kernelInitializer: kernel() }), activation);
      if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    }
    model.add(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }));
    return model;
  },
};
