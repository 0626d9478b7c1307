// transformer: a Transformer encoder for token sequences (embedding) or time series (a linear projection of
// each step's features to embeddingSize), plus sinusoidal positions,
// `blocks` encoder blocks (multi-head self-attention and a feed-forward layer, each with a residual add
// and layer normalization), pooled over the steps, then softmax (or one linear output per target for series).
//   embeddingSize (32)   model width d
//   heads (4)            attention heads; must divide embeddingSize
//   blocks (2)           encoder blocks
//   ffUnits (64)         feed-forward hidden width per block
//   dropout (0)          after attention, after the feed-forward layer and before the classifier
//   pooling (avg)        avg or max over the steps
//   maskPadding (true)   token sequences: no query attends to padding (id 0) and pooling skips it;
//                        false: padding is a token like any other (models built before masking). Series never mask.
import { InvalidConfigurationError } from '../errors';
import { mixSeed } from '../rng';
import { attentionLayers, encoderBlock, poolSteps, STEP_POOLS } from './attention';
import { applied, hyperReader, outputLayer, paddingMask, seededKernels, stepFeatures, stepsInput } from './common';
import type { ModelFamily } from './types';

/**
 * The options; `heads` must divide `embeddingSize`. Spec loading checks one searched value at a time, so
 * the pair is checked here only when both are given (always when building).
 */
function options(hyper: Record<string, unknown>, building = false) {
  const read = hyperReader(hyper);
  const o = {
    embeddingSize: read.integer('embeddingSize', 32, { min: 1, max: 4096 }),
    heads: read.integer('heads', 4, { min: 1, max: 64 }),
    blocks: read.integer('blocks', 2, { min: 1, max: 24 }),
    ffUnits: read.integer('ffUnits', 64, { min: 1, max: 65536 }),
    dropout: read.number('dropout', 0, { min: 0, max: 0.9 }),
    pooling: read.choice('pooling', STEP_POOLS, 'avg'),
    maskPadding: read.boolean('maskPadding', true),
  };
  if ((building || (read.has('heads') && read.has('embeddingSize'))) && o.embeddingSize % o.heads !== 0) {
    const problem = `must divide embeddingSize ${o.embeddingSize}, got ${o.heads}`;
    throw new InvalidConfigurationError(`model option or parameter "heads" ${problem}`, { key: 'heads', problem });
  }
  return o;
}

export const transformer: ModelFamily = {
  name: 'transformer',
  description: 'Transformer encoder for token sequences or time series: embedding, positions, self-attention blocks, pooling',
  hyperparameters: {
    embeddingSize: 'model width (default 32)',
    heads: 'attention heads, dividing embeddingSize (default 4)',
    blocks: 'encoder blocks (default 2)',
    ffUnits: 'feed-forward width in each block (default 64)',
    dropout: 'dropout in the blocks and before the classifier, 0..0.9 (default 0)',
    pooling: `pooling over the steps: ${STEP_POOLS.join(', ')} (default avg)`,
    maskPadding: 'token sequences: attention and pooling skip padding (id 0) (default true)',
  },
  validateOptions: (hyper) => options(hyper),
  build(tf, input, hyper) {
    const sequence = stepsInput('transformer', input);
    const { seed, inputShape } = sequence;
    const o = options(hyper, true);
    const kernel = seededKernels(tf, seed);
    const { PositionalEncoding } = attentionLayers(tf);
    const tokens = tf.input({ shape: inputShape });
    const features = stepFeatures(tf, sequence, o.embeddingSize, seed) ?? tf.layers.dense({ units: o.embeddingSize, kernelInitializer: kernel() });
    const mask = paddingMask(sequence, o.maskPadding, tokens);
    let x = applied(new PositionalEncoding({}), applied(features, tokens));
    for (let block = 0; block < o.blocks; block++) {
      x = encoderBlock(tf, x, { heads: o.heads, ffUnits: o.ffUnits, dropout: o.dropout, seed: mixSeed(seed, 4000 + block), kernel, tokens: mask });
    }
    x = poolSteps(tf, x, o.pooling, mask);
    if (o.dropout > 0) x = applied(tf.layers.dropout({ rate: o.dropout }), x);
    return tf.model({ inputs: tokens, outputs: applied(outputLayer(tf, sequence, kernel), x) });
  },
};
