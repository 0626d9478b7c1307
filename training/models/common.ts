// Pieces shared by the model families: seeded initializers, the option vocabulary and input checks.
import type { Sequential, SymbolicTensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import type { OptionReader } from '../../search/options';
import { InvalidConfigurationError, settingsReader } from '../errors';
import { mixSeed } from '../rng';
import type { ImageInput, ModelInput, SequenceInput, SeriesInput } from './types';

type Layer = InstanceType<Tf['layers']['Layer']>;

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'gelu', 'mish', 'relu6', 'leaky_relu', 'softplus', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
/** The activations tfjs knows by name; leaky_relu is a layer of its own there (LeakyReLU). */
export type NamedActivation = Exclude<Activation, 'leaky_relu'>;

/**
 * The negative slope of `leaky_relu`: Keras 3's `activation="leaky_relu"` (keras.activations.leaky_relu,
 * like tf.nn.leaky_relu) uses 0.2; the LeakyReLU layers of Keras and tfjs default to 0.3.
 */
export const LEAKY_RELU_ALPHA = 0.2;

/** A layer that applies `activation`. */
export function activationLayer(tf: Tf, activation: Activation): Layer {
  return activation === 'leaky_relu' ? tf.layers.leakyReLU({ alpha: LEAKY_RELU_ALPHA }) : tf.layers.activation({ activation });
}

/**
 * Adds the layer `make` builds with `activation` inline, as the families always have (checkpoints keep
 * that structure); for leaky_relu, which tfjs cannot name inline, the layer is linear and a LeakyReLU follows.
 */
export function addActivated(tf: Tf, model: Sequential, make: (activation: NamedActivation) => Layer, activation: Activation): void {
  if (activation !== 'leaky_relu') return model.add(make(activation));
  model.add(make('linear'));
  model.add(activationLayer(tf, activation));
}

export function hyperReader(hyper: Record<string, unknown>): OptionReader {
  return settingsReader(hyper, (key) => `model option or parameter "${key}"`);
}

/** Glorot-uniform initializers with a distinct, reproducible seed for every layer. */
export function seededKernels(tf: Tf, seed: number): () => ReturnType<Tf['initializers']['glorotUniform']> {
  let layer = 0;
  return () => tf.initializers.glorotUniform({ seed: mixSeed(seed, layer++) });
}

/** The input of a family that works on images (or feature vectors); token sequences are refused by name. */
export function imageInput(family: string, input: ModelInput): ImageInput {
  if (input.kind !== 'image') {
    throw new InvalidConfigurationError(`model "${family}" needs image or feature data, but the data set holds token sequences (use lstm or auto)`);
  }
  return input;
}

export function sequenceInput(family: string, input: ModelInput): SequenceInput {
  if (input.kind !== 'sequence') {
    throw new InvalidConfigurationError(`model "${family}" needs token sequences, but the data set holds ${input.kind === 'series' ? 'time series' : 'images or features'} (use ${input.kind === 'series' ? 'lstm, transformer, cnn-lstm' : 'cnn, mlp'} or auto)`);
  }
  return input;
}

/** The input of a family that reads token sequences or float time series. */
export function stepsInput(family: string, input: ModelInput): SequenceInput | SeriesInput {
  if (input.kind === 'image') {
    throw new InvalidConfigurationError(`model "${family}" needs token sequences or time series, but the data set holds images or features (use cnn, mlp or auto)`);
  }
  return input;
}

/** [steps, width] per example: token ids embedded, or a time series as it is (null: nothing to apply). */
export function stepFeatures(tf: Tf, input: SequenceInput | SeriesInput, embeddingSize: number, seed: number): Layer | null {
  return input.kind === 'sequence' ? tokenEmbedding(tf, input, embeddingSize, seed) : null;
}

/**
 * The last layer: softmax over the classes, or for time series a linear layer of one unit per target
 * (regression; the loss is regressionLoss).
 */
export function outputLayer(tf: Tf, input: ModelInput, kernel: ReturnType<typeof seededKernels>): Layer {
  return tf.layers.dense({ units: input.numClasses, activation: input.kind === 'series' ? 'linear' : 'softmax', kernelInitializer: kernel() });
}

/**
 * A list of odd kernel sizes (parallel convolution branches): a YAML list [3, 5, 7] or a string "3,5,7",
 * the form a search space's `choice` can tune. Undefined when the key is not set.
 */
export function readKernelSizes(hyper: Record<string, unknown>, key: string): number[] | undefined {
  if (!hyperReader(hyper).has(key)) return undefined;
  const value = hyper[key];
  const list = typeof value === 'string' ? value.split(/[\s,]+/).filter(Boolean).map(Number) : typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.length > 8 || list.some((k) => !Number.isInteger(k) || k < 1 || k > 15 || k % 2 === 0)) {
    const problem = `must be a list of 1 to 8 odd kernel sizes in 1..15 like [3, 5, 7] or "3,5,7", got ${JSON.stringify(value)}`;
    throw new InvalidConfigurationError(`model option or parameter "${key}" ${problem}`, { key, problem });
  }
  return list as number[];
}

/** Token ids [maxLength] to embeddings [maxLength, size], seeded like the lstm family's. */
export function tokenEmbedding(tf: Tf, input: SequenceInput, size: number, seed: number): Layer {
  return tf.layers.embedding({
    inputDim: input.vocabularySize,
    outputDim: size,
    inputLength: input.inputShape[0],
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: mixSeed(seed, 1000) }),
  });
}

/**
 * The token ids that attention and pooling mask padding (id 0) with: the model's input when it holds
 * token sequences and the family's `maskPadding` is on; null for time series (floats: nothing is padding).
 */
export function paddingMask(input: SequenceInput | SeriesInput, maskPadding: boolean, tokens: SymbolicTensor): SymbolicTensor | null {
  return input.kind === 'sequence' && maskPadding ? tokens : null;
}

/** Applies a layer in the functional API (for models whose layers take several inputs or feed several). */
export function applied(layer: Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}
