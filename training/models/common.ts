// Pieces shared by the model families: seeded initializers and the option vocabulary.
import type { Tf } from '../backend';
import { OptionReader } from '../options';
import { mixSeed } from '../rng';

export const ACTIVATIONS = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'swish', 'gelu', 'mish', 'relu6', 'softplus', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function hyperReader(hyper: Record<string, unknown>): OptionReader {
  return new OptionReader(hyper, (key) => `model option or parameter "${key}"`);
}

/** Glorot-uniform initializers with a distinct, reproducible seed for every layer. */
export function seededKernels(tf: Tf, seed: number): () => ReturnType<Tf['initializers']['glorotUniform']> {
  let layer = 0;
  return () => tf.initializers.glorotUniform({ seed: mixSeed(seed, layer++) });
}
