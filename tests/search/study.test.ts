import { describe, expect, it } from 'vitest';
import { AlgorithmConfigError, SpaceError, StudyError } from '../../search/errors';
import { createStudy, studyFromJSON, type StudyJSON } from '../../search/study';
import type { SearchSpace } from '../../search/space-types';

const space: SearchSpace = {
  lr: { type: 'float', low: 1e-4, high: 0.1, log: true },
  optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
  momentum: { type: 'float', low: 0, high: 0.99, step: 0.01, when: { optimizer: 'sgd' } },
  units: { type: 'int', low: 16, high: 256, step: 16 },
  batchSize: 32,
};

describe('study: ask and tell', () => {
  it('numbers trials from 0, records results and finds the best trial by Pareto rank, then the first objective', () => {
    const study = createStudy({ space, directions: ['maximize', 'minimize'], sampler: { type: 'random', seed: 1 } });
    const asked = [study.ask(), study.ask(), study.ask(), study.ask()];
    expect(asked.map((t) => t.number)).toEqual([0, 1, 2, 3]);
    study.tell(0, [0.8, 3]);
    study.tell(1, [0.9, 5]);
    study.tell(2, [0.9, 1]); // ties with 1 on the first objective and dominates it on the second
    study.tell(3, { state: 'PRUNED' });
    expect(study.bestTrial?.number).toBe(2);
    expect(study.trials.map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE', 'PRUNED']);
    expect(study.trials[1]).toMatchObject({ params: asked[1]!.params, values: [0.9, 5] });
  });

  it('has no best trial until one completes; minimize by default', () => {
    const study = createStudy({ space });
    expect(study.directions).toEqual(['minimize']);
    const { number } = study.ask();
    expect(study.bestTrial).toBeUndefined();
    study.tell(number, { state: 'FAIL' });
    expect(study.bestTrial).toBeUndefined();
    const second = study.ask();
    study.tell(second.number, 2);
    const third = study.ask();
    study.tell(third.number, 1);
    expect(study.bestTrial?.number).toBe(third.number);
  });

  it('marks a NaN or infinite objective as a failed trial', () => {
    const study = createStudy({ space });
    study.ask();
    study.ask();
    study.tell(0, Number.NaN);
    study.tell(1, Number.POSITIVE_INFINITY);
    expect(study.trials.map((t) => t.state)).toEqual(['FAIL', 'FAIL']);
    expect(study.trials[0]!.values).toBeUndefined();
  });

  it('refuses to tell a finished or unknown trial, or the wrong number of values', () => {
    const study = createStudy({ space, direction: 'maximize' });
    expect(() => study.tell(0, 1)).toThrow(/cannot tell trial 0: unknown trial \(no trial was asked yet\)/);
    study.ask();
    study.tell(0, 1);
    expect(() => study.tell(0, 2)).toThrow(/cannot tell trial 0: it is already finished \(COMPLETE\)/);
    expect(() => study.tell(7, 2)).toThrow(/unknown trial \(trials are numbered 0 to 0\)/);
    study.ask();
    expect(() => study.tell(1, [1, 2])).toThrow(/expected 1 value\(s\), one per direction \(got 2\)/);
    expect(() => study.tell(1, { state: 'COMPLETE' } as never)).toThrow(/state must be "FAIL" or "PRUNED"/);
    expect(() => study.tell(1, 'good' as never)).toThrow(StudyError);
    expect(study.trials[1]!.state).toBe('RUNNING'); // nothing changed by the refused calls
  });

  it('validates its configuration with errors that name the field', () => {
    expect(() => createStudy({ space: { lr: { type: 'float', low: 1, high: 0.1 } } })).toThrow(SpaceError);
    expect(() => createStudy({ space, direction: 'minimize', directions: ['maximize'] })).toThrow(/either direction or directions/);
    expect(() => createStudy({ space, direction: 'up' as never })).toThrow(/direction must be "minimize" or "maximize" \(got "up"\)/);
    expect(() => createStudy({ space, directions: [] })).toThrow(/non-empty/);
    expect(() => createStudy({ space, sampler: { type: 'random', seed: -3 } })).toThrow(/sampler.seed must be a non-negative integer/);
    expect(() => createStudy({ space, sampler: { type: 'bayes' } })).toThrow(AlgorithmConfigError);
    expect(() => createStudy({ space, scheduler: { type: 'median', options: { warmup: 1 } } })).toThrow(/unknown option "warmup"/);
  });
});

describe('study: intermediate values and pruning', () => {
  it('reports values and asks the scheduler at the last reported step', () => {
    const study = createStudy({ space, scheduler: { type: 'median', options: { nStartupTrials: 2 } } });
    // Two completed trials with curves 1.0, 0.8 and 0.6, 0.4: medians 0.8 (step 1) and 0.6 (step 2).
    for (const curve of [[1.0, 0.8], [0.6, 0.4]]) {
      const { number } = study.ask();
      curve.forEach((value, i) => study.report(number, i + 1, value));
      study.tell(number, curve[1]!);
    }
    const { number } = study.ask();
    expect(study.shouldPrune(number)).toBe(false); // nothing reported yet
    study.report(number, 1, 0.7);
    expect(study.shouldPrune(number)).toBe(false);
    study.report(number, 2, 0.75); // best so far 0.7 > 0.6
    expect(study.shouldPrune(number)).toBe(true);
    study.tell(number, { state: 'PRUNED' });
    expect(study.trials[number]).toMatchObject({ state: 'PRUNED', intermediate: { 1: 0.7, 2: 0.75 } });
  });

  it('rejects bad reports', () => {
    const study = createStudy({ space });
    const { number } = study.ask();
    study.report(number, 1, 0.5);
    study.report(number, 1, 0.5); // a retried report of the same value is harmless
    expect(() => study.report(number, 1, 0.6)).toThrow(/step 1 already has value 0.5 \(got 0.6\)/);
    expect(() => study.report(number, -1, 0.6)).toThrow(/step must be a non-negative integer/);
    expect(() => study.report(number, 2, Number.NaN)).toThrow(/finite number.*FAIL/);
    study.tell(number, 0.5);
    expect(() => study.report(number, 2, 0.4)).toThrow(/already finished/);
    expect(() => study.shouldPrune(number)).toThrow(/already finished/);
  });
});

describe('study: enqueue', () => {
  it('asks enqueued configurations first, in order, then samples', () => {
    const study = createStudy({ space, sampler: { type: 'random', seed: 3 } });
    const full = { lr: 0.01, optimizer: 'sgd', momentum: 0.9, units: 64, batchSize: 32 };
    study.enqueue(full);
    study.enqueue({ optimizer: 'adam' });
    study.enqueue(full); // a repeat the user asked for is honored
    expect(study.ask().params).toEqual(full);
    const second = study.ask().params;
    expect(second).toMatchObject({ optimizer: 'adam', batchSize: 32 });
    expect(second).not.toHaveProperty('momentum');
    expect(study.ask().params).toEqual(full);
    expect(study.ask().params).not.toEqual(full);
  });

  it('rejects configurations outside the space, naming the parameter', () => {
    const study = createStudy({ space });
    expect(() => study.enqueue({ lr: 5 })).toThrow(/enqueue: "lr" takes a number in \[0.0001, 0.1\] \(got 5\)/);
    expect(() => study.enqueue({ learningRate: 0.01 })).toThrow(/unknown parameter "learningRate"/);
    expect(() => study.enqueue({ optimizer: 'adam', momentum: 0.5 })).toThrow(/"momentum" is inactive/);
    expect(() => study.enqueue({ units: 20 })).toThrow(/grid/);
  });
});

describe('study: toJSON', () => {
  it('is compact plain JSON and restores to the same state', () => {
    const study = createStudy({ space, sampler: { type: 'random', seed: 5 }, scheduler: { type: 'none' } });
    const a = study.ask();
    study.report(a.number, 1, 0.3);
    study.tell(a.number, 0.3);
    study.ask();
    study.enqueue({ optimizer: 'sgd' });
    const json = study.toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(Object.keys(json.trials[1]!).sort()).toEqual(['number', 'params', 'state']); // no empty fields
    expect(json.queue).toEqual([{ optimizer: 'sgd' }]);
    // Each trial costs about its params, state, values and intermediate values, nothing more.
    const grow = createStudy({ space });
    const size = () => JSON.stringify(grow.toJSON()).length;
    const empty = size();
    for (let i = 0; i < 100; i++) {
      const { number } = grow.ask();
      grow.report(number, 1, 0.5);
      grow.tell(number, 0.25);
    }
    expect((size() - empty) / 100).toBeLessThan(200);

    const restored = createStudy.fromJSON(JSON.parse(JSON.stringify(json)) as StudyJSON);
    expect(restored.toJSON()).toEqual(json);
    expect(restored.trials[0]!.intermediate![1]).toBe(0.3);
    // Both continue identically: the enqueued configuration, then the same proposals.
    const next = [study.ask(), study.ask(), study.ask()];
    expect([restored.ask(), restored.ask(), restored.ask()]).toEqual(next);
    expect(next[0]!.params.optimizer).toBe('sgd');
    // The restored study knows its finished trials.
    expect(() => restored.tell(0, 1)).toThrow(/already finished/);
  });

  it('refuses JSON that is not a saved study', () => {
    expect(() => studyFromJSON({} as StudyJSON)).toThrow(/format "tuneflow.study\/1"/);
    const json = createStudy({ space }).toJSON();
    json.trials.push({ number: 3, params: {}, state: 'RUNNING' });
    expect(() => studyFromJSON(json)).toThrow(/trial at position 0 has number 3/);
  });
});

// Ask time is a speed target: bench/samplers.ts measures it per sampler (ms per ask, wall and CPU), not a timed test.
