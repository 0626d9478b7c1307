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
  if (input.kind === 'sequence') return lstm;
  return input.inputShape[0] === 1 ? mlp : cnn;
}

export const auto: ModelFamily = {
  name: 'auto',
  description: 'cnn for images, lstm for token sequences, mlp for feature vectors',
  hyperparameters: hyperparameterUnion(),
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
