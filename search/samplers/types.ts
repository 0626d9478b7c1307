// The sampler interface: a sampler decides WHAT to try next. How long a trial runs is the scheduler's
// business (search/schedulers). A new sampler is one module in this folder, registered in index.ts,
// and the contract suite in tests/search runs it automatically.
import { createRng, type Rng } from '../rng';
import type { Space } from '../space';
import type { Params } from '../space-types';
import type { Direction, TrialView } from '../types';

export interface SampleContext {
  space: Space;
  /** Every trial so far, RUNNING ones included (so a sampler can steer away from them). */
  trials: readonly TrialView[];
  /** The study's root seed. */
  seed: number;
  /** The number of the trial being sampled. */
  trialNumber: number;
  /** 0 for the first proposal; the study asks again with 1, 2, ... when a proposal duplicates a trial. */
  attempt: number;
  directions: readonly Direction[];
  /** Values decided already (an enqueued partial configuration): the result must keep them. */
  fixed: Params;
}

export interface Sampler {
  readonly name: string;
  /**
   * A complete configuration of `ctx.space`. Pure: the same context gives the same configuration, so a
   * retried activity or a replayed workflow proposes the same trial. Use `samplerRng(ctx)` for randomness.
   */
  sample(ctx: SampleContext): Params;
}

/** Builds a sampler from its `options`; throws `AlgorithmConfigError` on bad or unknown options. */
export type SamplerFactory = (options?: Record<string, unknown>) => Sampler;

/** Keeps sampler draws apart from other streams derived from the same root seed (data splits, weight init). */
const SAMPLER_STREAM = 0x5a3d1e;

/** The random stream for one proposal: depends only on the seed, the trial number and the attempt. */
export function samplerRng(ctx: Pick<SampleContext, 'seed' | 'trialNumber' | 'attempt'>): Rng {
  return createRng(ctx.seed, SAMPLER_STREAM, ctx.trialNumber, ctx.attempt);
}
