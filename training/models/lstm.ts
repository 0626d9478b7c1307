// lstm: a recurrent model for token sequences (embedding -> stacked (bi)LSTM -> softmax) or float time
// series [steps, features] (stacked (bi)LSTM -> one linear output per target: regression).
//   embeddingSize (64)      embedding width
//   units (64)              LSTM units per layer (per direction)
//   layers (1)              stacked LSTM layers; all but the last return full sequences
//   bidirectional (false)   run each layer forwards and backwards, outputs concatenated
//   dropout (0)             dropout on each LSTM layer's inputs and before the classifier
//   recurrentDropout (0)    dropout on the recurrent state (much slower: tfjs then steps one time step at a time)
//   attention (false)       multi-head self-attention over the last layer's outputs at every step, added to
//                           them and layer-normalized, then averaged over the steps (instead of the last output)
//   attentionHeads (4)      heads; the LSTM width (units, x2 when bidirectional) must be a multiple
//   maskPadding (true)      with attention on token sequences: no step attends to padding (id 0) and the
//                           average skips it (the LSTM itself still reads the padding); false: no mask
// The vocabulary size and sequence length come from the data set; embeddingSize is unused for time series.
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { InvalidConfigurationError } from '../errors';
import { mixSeed } from '../rng';
import { poolSteps, selfAttention } from './attention';
import { applied, hyperReader, outputLayer, paddingMask, seededKernels, stepFeatures, stepsInput } from './common';
import type { ModelFamily, SequenceInput, SeriesInput } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    embeddingSize: read.integer('embeddingSize', 64, { min: 1, max: 4096 }),
    units: read.integer('units', 64, { min: 1, max: 4096 }),
    layers: read.integer('layers', 1, { min: 1, max: 8 }),
    bidirectional: read.boolean('bidirectional', false),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    recurrentDropout: read.number('recurrentDropout', 0, { min: 0, max: 0.9 }),
    attention: read.boolean('attention', false),
    attentionHeads: read.integer('attentionHeads', 4, { min: 1, max: 64 }),
    maskPadding: read.boolean('maskPadding', true),
  };
}

type Options = ReturnType<typeof options>;

/** One (bidirectional) LSTM layer, seeded as the family always has. */
function lstmLayer(tf: Tf, o: Options, i: number, returnSequences: boolean, kernel: ReturnType<typeof seededKernels>, seed: number) {
  const cell = tf.layers.lstm({
    units: o.units,
    returnSequences,
    dropout: o.dropout,
    recurrentDropout: o.recurrentDropout,
    // Keras's default gate activation. TF.js defaults to hardSigmoid: a different model from the
    // Keras one, and several more ops per gate and time step (scale, shift and clip forward; masks and a select backward).
    recurrentActivation: 'sigmoid',
    kernelInitializer: kernel(),
    recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: mixSeed(seed, 2000 + i) }),
  });
  return o.bidirectional ? tf.layers.bidirectional({ layer: cell, mergeMode: 'concat' }) : cell;
}

/** The stacked LSTM with self-attention over the last layer's sequence (functional API: a residual add). */
function buildAttention(tf: Tf, input: SequenceInput | SeriesInput, o: Options): LayersModel {
  const { inputShape, seed } = input;
  const width = o.units * (o.bidirectional ? 2 : 1);
  if (width % o.attentionHeads !== 0) {
    const problem = `must divide the LSTM width ${width} (units${o.bidirectional ? ' x 2 directions' : ''}), got ${o.attentionHeads}`;
    throw new InvalidConfigurationError(`model option or parameter "attentionHeads" ${problem}`, { key: 'attentionHeads', problem });
  }
  const kernel = seededKernels(tf, seed);
  const tokens = tf.input({ shape: inputShape });
  const features = stepFeatures(tf, input, o.embeddingSize, seed);
  let x: SymbolicTensor = features ? applied(features, tokens) : tokens;
  for (let i = 0; i < o.layers; i++) x = applied(lstmLayer(tf, o, i, true, kernel, seed), x);
  const mask = paddingMask(input, o.maskPadding, tokens);
  const attended = selfAttention(tf, x, { heads: o.attentionHeads, seed: mixSeed(seed, 3000), tokens: mask });
  x = poolSteps(tf, applied(tf.layers.layerNormalization(), applied(tf.layers.add(), [x, attended])), 'avg', mask);
  if (o.dropout > 0) x = applied(tf.layers.dropout({ rate: o.dropout }), x);
  return tf.model({ inputs: tokens, outputs: applied(outputLayer(tf, input, kernel), x) });
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
    attention: 'multi-head self-attention over the last LSTM layer\'s outputs, then average pooling (default false)',
    attentionHeads: 'attention heads, dividing the LSTM width (default 4)',
    maskPadding: 'with attention on token sequences: attention and its average skip padding (id 0) (default true)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const sequence = stepsInput('lstm', input);
    const o = options(hyper);
    if (o.attention) return buildAttention(tf, sequence, o);
    const { seed } = sequence;
    const kernel = seededKernels(tf, seed);

    const model = tf.sequential();
    model.add(stepFeatures(tf, sequence, o.embeddingSize, seed) ?? tf.layers.inputLayer({ inputShape: sequence.inputShape }));
    for (let i = 0; i < o.layers; i++) model.add(lstmLayer(tf, o, i, i < o.layers - 1, kernel, seed));
    if (o.dropout > 0) model.add(tf.layers.dropout({ rate: o.dropout }));
    model.add(outputLayer(tf, sequence, kernel));
    return model;
  },
};
