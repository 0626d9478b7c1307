// One proposal, with the guarantee the study gives: never a configuration that was already tried.
// The sampler is asked again on the next sub-stream (attempt 1, 2, ...) when it repeats a trial; a finite
// space that is nearly used up is then enumerated and an unused configuration drawn, and one that is
// used up is reported as exhausted. Enqueued values are an explicit request and win over novelty: a
// complete enqueued configuration is returned as it is, and a partial one whose completions were all
// tried repeats one. Usable on its own (the campaign's suggest activity) or by the study.
import { SpaceExhaustedError, StudyError } from './errors';
import { samplerRng, type Sampler } from './samplers/types';
import { enumerateParams, explainParams, paramsKey, type Space } from './space';
import type { Params } from './space-types';
import type { Direction, TrialView } from './types';

/** Fresh draws before falling back to enumeration: 16 misses in a row mean the space is nearly used up. */
export const MAX_ATTEMPTS = 16;
/** Finite spaces up to this many configurations are enumerated when the sampler keeps repeating itself. */
export const ENUMERATION_LIMIT = 100_000;

export interface SuggestRequest {
  sampler: Sampler;
  space: Space;
  /** Every trial so far, RUNNING ones included. */
  trials: readonly TrialView[];
  seed: number;
  trialNumber: number;
  directions: readonly Direction[];
  /** An enqueued (possibly partial) configuration: these values are kept. */
  fixed?: Params;
  /** `paramsKey` of every configuration tried so far; built from `trials` when absent. Pass it to suggest several trials in a row. */
  taken?: ReadonlySet<string>;
}

/** A new configuration for `trialNumber`; throws `SpaceExhaustedError` when there is none left. */
export function suggest(request: SuggestRequest): Params {
  const { sampler, space, seed, trialNumber } = request;
  const fixed = request.fixed ?? {};
  const enqueued = Object.keys(fixed).length > 0;
  if (enqueued && explainParams(space, fixed) === null) return { ...fixed };
  const taken = request.taken ?? new Set(request.trials.map((t) => paramsKey(t.params)));
  let first: Params | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const params = sampler.sample({ space, trials: request.trials, seed, trialNumber, attempt, directions: request.directions, fixed });
    checkProposal(sampler, space, fixed, params);
    if (!taken.has(paramsKey(params))) return params;
    first ??= params;
  }
  const enumeration = enumerateParams(space, fixed, ENUMERATION_LIMIT);
  if (enumeration.kind === 'all') {
    const unused = enumeration.configurations.filter((params) => !taken.has(paramsKey(params)));
    if (unused.length > 0) return samplerRng({ seed, trialNumber, attempt: MAX_ATTEMPTS }).choice(unused);
    if (enqueued) return first!;
    throw new SpaceExhaustedError(
      `the search space is exhausted: all ${enumeration.configurations.length} configurations have been tried (trial ${trialNumber} has nothing new to try)`,
    );
  }
  if (enqueued) return first!;
  const size = enumeration.kind === 'too-many' ? ` (the space has more than ${enumeration.limit} configurations)` : '';
  throw new StudyError(`sampler "${sampler.name}" proposed only configurations already tried in ${MAX_ATTEMPTS} attempts for trial ${trialNumber}${size}`);
}

/** A sampler that breaks its contract is a bug: say which sampler and what is wrong. */
function checkProposal(sampler: Sampler, space: Space, fixed: Params, params: Params): void {
  const problem = explainParams(space, params);
  if (problem !== null) throw new StudyError(`sampler "${sampler.name}" proposed a configuration outside the space: ${problem}`);
  for (const [name, value] of Object.entries(fixed)) {
    if (params[name] !== undefined && params[name] !== value) {
      throw new StudyError(`sampler "${sampler.name}" changed the enqueued value of "${name}" (${JSON.stringify(value)} -> ${JSON.stringify(params[name])})`);
    }
  }
}
