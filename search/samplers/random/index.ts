// Random search: every active parameter uniform in its encoded [0, 1] range, so log parameters are
// log-uniform and every grid point (int, stepped float, categorical) is equally likely.
import { OptionReader } from '../../options';
import { buildParams, fromUnit } from '../../space';
import { samplerRng, type Sampler, type SamplerFactory } from '../types';

export const createRandomSampler: SamplerFactory = (options) => {
  new OptionReader('sampler "random"', options).done();
  return {
    name: 'random',
    sample(ctx) {
      const rng = samplerRng(ctx);
      return buildParams(ctx.space, ctx.fixed, (param) => fromUnit(param, rng.uniform()));
    },
  } satisfies Sampler;
};
