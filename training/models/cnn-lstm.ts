// cnn-lstm: two views of one sequence, fused. Both branches read the same embedded token sequence (or the
// same float time series, as it is):
// - a convolutional branch: `convLayers` 1-D convolutions (kernelSize, filters, relu, same padding): local
//   n-gram features at every step;
// - a recurrent branch: an LSTM (units) over the whole sequence, its last output.
// `fusion` joins them before the output layer (softmax, or linear for time series):
//   concat     the convolution's features max-pooled over the steps, concatenated with the LSTM output
//   attention  the LSTM output attends over the convolution's steps (softmax of a learned bilinear score);
//              the weighted sum of the features, concatenated with the LSTM output
//   gated      both projected to `fusionUnits`, mixed by a learned sigmoid gate per unit:
//              g * conv + (1 - g) * lstm, with g from both (max-pooled conv features and LSTM output)
// Options: embeddingSize (64, token sequences only), filters (64), kernelSize (3), convLayers (1), units (64), fusion (concat),
// fusionUnits (64, gated only), dropout (0, before the classifier), maskPadding (true: the attention fusion
// gives padding steps (id 0) of token sequences no weight; false: no mask).
import type { SymbolicTensor } from '@tensorflow/tfjs';
import { mixSeed } from '../rng';
import { attentionLayers, FUSIONS } from './attention';
import { applied, hyperReader, outputLayer, paddingMask, seededKernels, stepFeatures, stepsInput } from './common';
import type { ModelFamily } from './types';

function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  return {
    embeddingSize: read.integer('embeddingSize', 64, { min: 1, max: 4096 }),
    filters: read.integer('filters', 64, { min: 1, max: 4096 }),
    kernelSize: read.integer('kernelSize', 3, { min: 1, max: 15 }),
    convLayers: read.integer('convLayers', 1, { min: 1, max: 8 }),
    units: read.integer('units', 64, { min: 1, max: 4096 }),
    fusion: read.choice('fusion', FUSIONS, 'concat'),
    fusionUnits: read.integer('fusionUnits', 64, { min: 1, max: 65536 }),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    maskPadding: read.boolean('maskPadding', true),
  };
}

export const cnnLstm: ModelFamily = {
  name: 'cnn-lstm',
  description: 'convolutional and LSTM branches over the same token sequence or time series, fused by concat, attention or a gate',
  hyperparameters: {
    embeddingSize: 'embedding width (default 64)',
    filters: 'filters of each 1-D convolution (default 64)',
    kernelSize: 'convolution kernel size in steps (default 3)',
    convLayers: 'stacked convolutions in the convolutional branch (default 1)',
    units: 'LSTM units (default 64)',
    fusion: `how the branches join: ${FUSIONS.join(', ')} (default concat)`,
    fusionUnits: 'output width of the gated fusion (default 64)',
    dropout: 'dropout before the classifier, 0..0.9 (default 0)',
    maskPadding: 'token sequences: the attention fusion skips padding (id 0) (default true)',
  },
  validateOptions: options,
  build(tf, input, hyper) {
    const sequence = stepsInput('cnn-lstm', input);
    const { seed, inputShape } = sequence;
    const o = options(hyper);
    const kernel = seededKernels(tf, seed);
    const tokens = tf.input({ shape: inputShape });
    const features = stepFeatures(tf, sequence, o.embeddingSize, seed);
    const embedded = features ? applied(features, tokens) : tokens;
    let conv: SymbolicTensor = embedded;
    for (let i = 0; i < o.convLayers; i++) {
      conv = applied(tf.layers.conv1d({ filters: o.filters, kernelSize: o.kernelSize, padding: 'same', activation: 'relu', kernelInitializer: kernel() }), conv);
    }
    const recurrent = applied(
      tf.layers.lstm({ units: o.units, recurrentActivation: 'sigmoid', kernelInitializer: kernel(), recurrentInitializer: tf.initializers.orthogonal({ gain: 1, seed: mixSeed(seed, 2000) }) }),
      embedded,
    );
    const pooled = () => applied(tf.layers.globalMaxPooling1d(), conv);
    const { Fusion } = attentionLayers(tf);
    const mask = o.fusion === 'attention' ? paddingMask(sequence, o.maskPadding, tokens) : null;
    let x =
      o.fusion === 'concat'
        ? applied(tf.layers.concatenate(), [pooled(), recurrent])
        : applied(new Fusion({ mode: o.fusion, units: o.fusionUnits, seed: mixSeed(seed, 5000), maskPadding: Boolean(mask) }), [o.fusion === 'gated' ? pooled() : conv, recurrent, ...(mask ? [mask] : [])]);
    if (o.dropout > 0) x = applied(tf.layers.dropout({ rate: o.dropout }), x);
    return tf.model({ inputs: tokens, outputs: applied(outputLayer(tf, sequence, kernel), x) });
  },
};
