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
//   residual (false)    each block adds its input to its output (He et al., 2016): conv ... conv(+bn),
//                       add the shortcut, then the activation; a 1x1 convolution projects the shortcut
//                       when the widths differ
//   branches (none)     parallel convolutions with these kernel sizes (e.g. [3, 5, 7], inception-style)
//                       instead of one of kernelSize; each branch has the block's filters, concatenated
// Without residual and branches the model is the Sequential stack it always was (old checkpoints load).
import { InvalidConfigurationError } from '../errors';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { ACTIVATIONS, activationLayer, addActivated, applied, hyperReader, imageInput, readKernelSizes, seededKernels } from './common';
import type { ImageInput, ModelFamily } from './types';

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
    residual: read.boolean('residual', false),
    branches: readKernelSizes(hyper, 'branches'),
  };
}

type Options = ReturnType<typeof options>;

/** The residual and/or multi-branch network, with the functional API (a block's input is used twice). */
function buildGraph(tf: Tf, { inputShape, numClasses, seed }: ImageInput, o: Options): LayersModel {
  const kernel = seededKernels(tf, seed);
  const input = tf.input({ shape: inputShape });
  const conv = (x: SymbolicTensor, filters: number): SymbolicTensor => {
    const sizes = o.branches ?? [o.kernelSize];
    const outs = sizes.map((kernelSize) => applied(tf.layers.conv2d({ filters, kernelSize, padding: 'same', useBias: !o.batchNorm, kernelInitializer: kernel() }), x));
    const joined = outs.length > 1 ? applied(tf.layers.concatenate(), outs) : outs[0]!;
    return o.batchNorm ? applied(tf.layers.batchNormalization(), joined) : joined;
  };
  let x: SymbolicTensor = input;
  for (let block = 0; block < o.convBlocks; block++) {
    const blockInput = x;
    for (let i = 0; i < o.convsPerBlock; i++) {
      x = conv(x, o.filters * 2 ** block);
      if (!o.residual || i < o.convsPerBlock - 1) x = applied(activationLayer(tf, o.activation), x);
    }
    if (o.residual) {
      const width = x.shape.at(-1)!;
      const shortcut =
        blockInput.shape.at(-1) === width ? blockInput : applied(tf.layers.conv2d({ filters: width, kernelSize: 1, useBias: false, kernelInitializer: kernel() }), blockInput);
      x = applied(activationLayer(tf, o.activation), applied(tf.layers.add(), [x, shortcut]));
    }
    if (o.pooling === 'max') x = applied(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }), x);
    if (o.pooling === 'avg') x = applied(tf.layers.averagePooling2d({ poolSize: 2, strides: 2 }), x);
  }
  x = applied(tf.layers.flatten(), x);
  if (o.dropout > 0) x = applied(tf.layers.dropout({ rate: o.dropout }), x);
  if (o.denseUnits > 0) {
    x = applied(activationLayer(tf, o.activation), applied(tf.layers.dense({ units: o.denseUnits, kernelInitializer: kernel() }), x));
    if (o.dropout > 0) x = applied(tf.layers.dropout({ rate: o.dropout }), x);
  }
  const output = applied(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }), x);
  return tf.model({ inputs: input, outputs: output });
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
    residual: 'skip connection around each block, 1x1 projection when the width changes (default false)',
    branches: 'parallel convolution kernel sizes per layer, e.g. [3, 5, 7] or "3,5,7", concatenated (default: one convolution of kernelSize)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('cnn', input);
    const o = options(hyper);
    const { convBlocks, convsPerBlock, filters, kernelSize, batchNorm, pooling, activation, denseUnits, dropout } = o;
    if (pooling !== 'none' && Math.min(inputShape[0], inputShape[1]) < 2 ** convBlocks) {
      throw new InvalidConfigurationError(
        `model option or parameter "convBlocks": ${convBlocks} pooled blocks need images of at least ${2 ** convBlocks} pixels, these are ${inputShape[0]}x${inputShape[1]}`,
      );
    }
    if (o.residual || o.branches) return buildGraph(tf, imageInput('cnn', input), o);
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
