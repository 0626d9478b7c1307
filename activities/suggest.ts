// Asks the sampler for the next configurations. Samplers are pure functions of (space, trials, seed,
// trial number), so any worker gives the same answer and a retried activity proposes the same trials.
import { ApplicationFailure } from '@temporalio/activity';
import { createSampler, paramsKey, parseSpace, SpaceExhaustedError, suggest, type TrialView } from '../search';
import type { Params } from '../search/space-types';
import { isPacked, unpackTrials } from '../workflows/carry';
import { toSummary } from '../workflows/trials';
import type { SuggestInput } from './types';

export async function suggestTrials(input: SuggestInput): Promise<Params[]> {
  const { spec } = input;
  const space = parseSpace(spec.search.space);
  const sampler = createSampler(spec.search.sampler);
  const directions = spec.objective.map((o) => o.direction);
  // Suggestions made in this call count as running trials for the next one, so they never collide.
  const views = (list: SuggestInput['trials']): TrialView[] => (isPacked(list) ? unpackTrials(list).map(toSummary) : [...list]);
  // An extension's or fork's old trials come first as trials 0..k-1; the campaign's own are numbered from k.
  const warm = input.warmStart ? views(input.warmStart) : [];
  const trials: TrialView[] = [...warm, ...views(input.trials).map((t) => (warm.length ? { ...t, number: t.number + warm.length } : t))];
  const taken = new Set(trials.map((t) => paramsKey(t.params)));
  const out: Params[] = [];
  for (const [i, trialNumber] of input.numbers.entries()) {
    const fixed = input.fixed[i];
    let params: Params;
    try {
      params = suggest({ sampler, space, trials, seed: spec.seed, trialNumber, directions, taken, ...(fixed ? { fixed } : {}) });
    } catch (err) {
      if (err instanceof SpaceExhaustedError) throw ApplicationFailure.nonRetryable(err.message, 'SpaceExhaustedError');
      throw err;
    }
    out.push(params);
    trials.push({ number: trialNumber, params, state: 'RUNNING' });
    taken.add(paramsKey(params));
  }
  return out;
}
