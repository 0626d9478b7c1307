// Pieces shared by the model families: seeded initializers, the option vocabulary and input checks.
import type { Sequential } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import type { OptionReader } from '../../search/options';
import { InvalidConfigurationError, settingsReader } from '../errors';
import { mixSeed } from '../rng';
import type { ImageInput, ModelInput, SequenceInput } from './types';

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
    throw new InvalidConfigurationError(`model "${family}" needs token sequences, but the data set holds images or features (use cnn, mlp or auto)`);
  }
  return input;
}
