// The sampler registry: one entry per algorithm, by the name a spec uses (`search.sampler`).
// A sampler lives in `search/samplers/<name>/` (`index.ts` exports its factory; helpers sit beside it)
// and is added here; tests/search/sampler-contract.test.ts then runs it through the common checks.
import { AlgorithmConfigError } from '../errors';
import type { AlgorithmConfig } from '../types';
import { createBohbSampler } from './bohb';
import { createCmaEsSampler } from './cmaes';
import { createGpSampler } from './gp';
import { createGridSampler } from './grid';
import { createNsga2Sampler } from './nsga2';
import { createRandomSampler } from './random';
import { createSobolSampler } from './sobol';
import { createTpeSampler } from './tpe';
import type { Sampler, SamplerFactory } from './types';

export const samplers: Readonly<Record<string, SamplerFactory>> = {
  random: createRandomSampler,
  cmaes: createCmaEsSampler,
  gp: createGpSampler,
  nsga2: createNsga2Sampler,
  bohb: createBohbSampler,
  grid: createGridSampler,
  sobol: createSobolSampler,
  tpe: createTpeSampler,
};

export function createSampler(config: AlgorithmConfig): Sampler {
  const factory = Object.hasOwn(samplers, config.type) ? samplers[config.type] : undefined;
  if (factory === undefined) {
    throw new AlgorithmConfigError('type', `unknown sampler "${config.type}" (known samplers: ${Object.keys(samplers).join(', ')})`);
  }
  return factory(config.options);
}

export type { SampleContext, Sampler, SamplerFactory } from './types';
export { samplerRng } from './types';
