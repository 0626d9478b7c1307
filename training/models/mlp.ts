// mlp: a multilayer perceptron over the flattened image.
//   units (128)        width of every hidden layer
//   layers (2)         number of hidden layers (0 = multinomial logistic regression)
//   activation (relu)  hidden activation
//   dropout (0)        dropout rate after each hidden layer
//   batchNorm (false)  batch normalization before each hidden activation
//   residual (false)   each hidden layer adds its input: x + dropout(act(bn(dense(x)))); the first layer's
//                      input (the flattened pixels) is projected to `units` by a linear dense layer
// Without residual the model is the Sequential stack it always was (old checkpoints load).
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { ACTIVATIONS, activationLayer, applied, hyperReader, imageInput, seededKernels } from './common';
import type { ImageInput, ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    units: read.integer('units', 128, { min: 1, max: 65536 }),
    layers: read.integer('layers', 2, { min: 0, max: 64 }),
    activation: read.choice('activation', ACTIVATIONS, 'relu'),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    batchNorm: read.boolean('batchNorm', false),
    residual: read.boolean('residual', false),
  };
}

function buildResidual(tf: Tf, { inputShape, numClasses, seed }: ImageInput, o: ReturnType<typeof options>): LayersModel {
  const kernel = seededKernels(tf, seed);
  const input = tf.input({ shape: inputShape });
  let x: SymbolicTensor = applied(tf.layers.flatten(), input);
  for (let i = 0; i < o.layers; i++) {
    const shortcut = x.shape.at(-1) === o.units ? x : applied(tf.layers.dense({ units: o.units, useBias: false, kernelInitializer: kernel() }), x);
    let y = applied(tf.layers.dense({ units: o.units, kernelInitializer: kernel(), useBias: !o.batchNorm }), x);
    if (o.batchNorm) y = applied(tf.layers.batchNormalization(), y);
    y = applied(activationLayer(tf, o.activation), y);
    if (o.dropout > 0) y = applied(tf.layers.dropout({ rate: o.dropout }), y);
    x = applied(tf.layers.add(), [shortcut, y]);
  }
  const output = applied(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }), x);
  return tf.model({ inputs: input, outputs: output });
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
    residual: 'skip connection around each hidden layer, the first projected to units (default false)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, numClasses, seed } = imageInput('mlp', input);
    const o = options(hyper);
    if (o.residual) return buildResidual(tf, imageInput('mlp', input), o);
    const { units, layers, activation, dropout, batchNorm } = o;
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
