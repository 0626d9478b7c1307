// lstm: a recurrent classifier for token sequences: embedding -> stacked (bi)LSTM -> softmax.
//   embeddingSize (64)      embedding width
//   units (64)              LSTM units per layer (per direction)
//   layers (1)              stacked LSTM layers; all but the last return full sequences
//   bidirectional (false)   run each layer forwards and backwards, outputs concatenated
//   dropout (0)             dropout on each LSTM layer's inputs and before the classifier
//   recurrentDropout (0)    dropout on the recurrent state (much slower: tfjs then steps one time step at a time)
// The vocabulary size and sequence length come from the data set.
import { mixSeed } from '../rng';
import { hyperReader, seededKernels, sequenceInput } from './common';
import type { ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    embeddingSize: read.integer('embeddingSize', 64, { min: 1, max: 4096 }),
    units: read.integer('units', 64, { min: 1, max: 4096 }),
    layers: read.integer('layers', 1, { min: 1, max: 8 }),
    bidirectional: read.boolean('bidirectional', false),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    recurrentDropout: read.number('recurrentDropout', 0, { min: 0, max: 0.9 }),
  };
}

export const lstm: ModelFamily = {
  name: 'lstm',
  description: 'embedding and stacked (bidirectional) LSTM layers for token sequences',
  hyperparameters: {
    embeddingSize: 'embedding width (default 64)',
    units: 'LSTM units per layer and direction (default 64)',
    layers: 'stacked LSTM layers (default 1)',
    bidirectional: 'bidirectional LSTM layers (default false)',
    dropout: 'dropout on LSTM inputs and before the classifier, 0..0.9 (default 0)',
    recurrentDropout: 'dropout on the recurrent state, 0..0.9 (default 0; slow)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const { inputShape, vocabularySize, numClasses, seed } = sequenceInput('lstm', input);
    const { embeddingSize, units, layers, bidirectional, dropout, recurrentDropout } = options(hyper);
    const kernel = seededKernels(tf, seed);

    const model = tf.sequential();
    model.add(
      tf.layers.embedding({
        inputDim: vocabularySize,
        outputDim: embeddingSize,
        inputLength: inputShape[0],
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: mixSeed(seed, 1000) }),
      }),
    );
    for (let i = 0; i < layers; i++) {
      const cell = tf.layers.lstm({
        units,
        returnSequences: i < layers - 1,
        dropout,
        recurrentDropout,
        // Keras's default gate activation. TF.js defaults to hardSigmoid: a different model from the
        // Keras one, and several more ops per gate and time step (scale, shift and clip forward; masks and a select backward).
        recurrentActivation: 'sigmoid',
        kernelInitializer: kernel(),
        recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: mixSeed(seed, 2000 + i) }),
      });
      model.add(bidirectional ? tf.layers.bidirectional({ layer: cell, mergeMode: 'concat' }) : cell);
    }
    if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
    model.add(tf.layers.dense({ units: numClasses, activation: 'softmax', kernelInitializer: kernel() }));
    return model;
  },
};
