import { describe, expect, it } from 'vitest';
import { SpaceExhaustedError, StudyError } from '../../search/errors';
import { createSampler } from '../../search/samplers';
import type { Sampler } from '../../search/samplers/types';
import { paramsKey, parseSpace } from '../../search/space';
import type { Params } from '../../search/space-types';
import { suggest, type SuggestRequest } from '../../search/suggest';
import type { TrialView } from '../../search/types';

const space = parseSpace({
  a: { type: 'categorical', choices: ['x', 'y'] },
  n: { type: 'int', low: 1, high: 3 },
});
const everything: Params[] = ['x', 'y'].flatMap((a) => [1, 2, 3].map((n) => ({ a, n })));
const tried = (configs: Params[]): TrialView[] => configs.map((params, number) => ({ number, params, state: 'COMPLETE', values: [number] }));

function request(trials: TrialView[], extra: Partial<SuggestRequest> = {}): SuggestRequest {
  return { sampler: createSampler({ type: 'random' }), space, trials, seed: 1, trialNumber: trials.length, directions: ['minimize'], ...extra };
}

describe('suggest', () => {
  it('returns the one configuration left, whatever the sampler drew', () => {
    const last = everything[4]!;
    const params = suggest(request(tried(everything.filter((p) => p !== last))));
    expect(params).toEqual(last);
  });

  it('says the space is exhausted when nothing is left', () => {
    expect(() => suggest(request(tried(everything)))).toThrow(SpaceExhaustedError);
    expect(() => suggest(request(tried(everything)))).toThrow('the search space is exhausted: all 6 configurations have been tried (trial 6 has nothing new to try)');
  });

  it('honors enqueued values over novelty', () => {
    const trials = tried(everything);
    expect(suggest(request(trials, { fixed: { a: 'y', n: 2 } }))).toEqual({ a: 'y', n: 2 });
    expect(suggest(request(trials, { fixed: { a: 'y' } }))).toMatchObject({ a: 'y' });
    // Not exhausted for this prefix: a new completion is found.
    expect(suggest(request(tried(everything.slice(0, 3)), { fixed: { a: 'x' } }))).toMatchObject({ a: 'x' });
    expect(() => suggest(request(tried(everything.slice(0, 3)), { fixed: { a: 'x' } }))).not.toThrow();
  });

  it('reports a sampler that breaks its contract', () => {
    const broken: Sampler = { name: 'broken', sample: () => ({ a: 'z', n: 1 }) };
    expect(() => suggest(request([], { sampler: broken }))).toThrow(/sampler "broken" proposed a configuration outside the space: "z" is not a choice of "a"/);
    const stubborn: Sampler = { name: 'stubborn', sample: () => ({ a: 'x', n: 1 }) };
    const continuous = parseSpace({ a: { type: 'categorical', choices: ['x'] }, n: { type: 'float', low: 0, high: 2 } });
    expect(() => suggest({ ...request(tried([{ a: 'x', n: 1 }]), { sampler: stubborn }), space: continuous })).toThrow(StudyError);
    expect(() => suggest({ ...request(tried([{ a: 'x', n: 1 }]), { sampler: stubborn }), space: continuous })).toThrow(
      /sampler "stubborn" proposed only configurations already tried in 16 attempts/,
    );
  });

  it('uses the taken set it is given, so a batch of suggestions never collides', () => {
    const taken = new Set<string>();
    const trials: TrialView[] = [];
    for (let number = 0; number < 6; number++) {
      const params = suggest(request(trials, { trialNumber: number, taken }));
      trials.push({ number, params, state: 'RUNNING' });
      taken.add(paramsKey(params));
    }
    expect(taken.size).toBe(6);
  });
});
