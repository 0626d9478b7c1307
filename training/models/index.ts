// The model registry: one module per family, registered in MODELS.
import { InvalidConfigurationError } from '../errors';
import { cnn } from './cnn';
import { lenet } from './lenet';
import { mlp } from './mlp';
import type { ModelFamily } from './types';

export const MODELS: Readonly<Record<string, ModelFamily>> = {
  [mlp.name]: mlp,
  [cnn.name]: cnn,
  [lenet.name]: lenet,
};

export function modelFamily(name: string): ModelFamily {
  const family = MODELS[name];
  if (!family) throw new InvalidConfigurationError(`model.family: unknown model family "${name}" (known: ${Object.keys(MODELS).join(', ')})`);
  return family;
}

export type { ModelFamily, ModelInput } from './types';
