// Pieces shared by the model families: seeded initializers, the option vocabulary and input checks.
import type { Tf } from '../backend';
import type { OptionReader } from '../../search/options';
import { InvalidConfigurationError, settingsReader } from '../errors';
import { mixSeed } from '../rng';
import type { ImageInput, ModelInput, SequenceInput } from './types';

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'gelu', 'mish', 'relu6', 'softplus', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

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
