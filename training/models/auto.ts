// auto: picks the family from the data: cnn for images, lstm for token sequences, and mlp for feature
// vectors (1 x d x 1 "images", where convolutions make no sense). `resolve` names the choice so callers
// can log it. A setting that only the families not chosen read is an error, not silently ignored.
import { InvalidConfigurationError } from '../errors';
import { cnn } from './cnn';
import { lstm } from './lstm';
import { mlp } from './mlp';
import type { ModelFamily, ModelInput } from './types';

const CANDIDATES = [cnn, lstm, mlp];

function hyperparameterUnion(): Record<string, string> {
  const union: Record<string, string> = {};
  for (const family of CANDIDATES) {
    for (const [key, text] of Object.entries(family.hyperparameters)) {
      union[key] = union[key] ? `${union[key]}; ${family.name}: ${text}` : `${family.name}: ${text}`;
    }
  }
  return union;
}

export function chooseFamily(input: ModelInput): ModelFamily {
  if (input.kind !== 'image') return lstm; // token sequences and time series
  return input.inputShape[0] === 1 ? mlp : cnn;
}

/**
 * Without the data the chosen family is unknown: a value is refused only when every candidate that
 * reads the key refuses it (e.g. `layers: 0` suits mlp though not lstm).
 */
function validateOptions(hyper: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(hyper)) {
    const errors: unknown[] = [];
    const readers = CANDIDATES.filter((family) => key in family.hyperparameters);
    for (const family of readers) {
      try {
        family.validateOptions({ [key]: value });
      } catch (error) {
        errors.push(error);
      }
    }
    if (readers.length > 0 && errors.length === readers.length) throw errors[0];
  }
}

export const auto: ModelFamily = {
  name: 'auto',
  description: 'cnn for images, lstm for token sequences, mlp for feature vectors',
  hyperparameters: hyperparameterUnion(),
  validateOptions,
  resolve: chooseFamily,
  build(tf, input, hyper) {
    const family = chooseFamily(input);
    const others = CANDIDATES.filter((f) => f !== family).flatMap((f) => Object.keys(f.hyperparameters));
    const unused = Object.keys(hyper).filter((key) => others.includes(key) && !(key in family.hyperparameters));
    if (unused.length > 0) {
      throw new InvalidConfigurationError(
        `model "auto" chose ${family.name} for this ${input.kind} data, which does not use ${unused.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return family.build(tf, input, hyper);
  },
};
