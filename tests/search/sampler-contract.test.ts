// Every registered sampler runs through the same contract: a new sampler gets these checks by being
// added to the registry.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlgorithmConfigError, SpaceExhaustedError } from '../../search/errors';
import { createSampler, samplers } from '../../search/samplers';
import type { SampleContext } from '../../search/samplers/types';
import { explainParams, paramsKey, parseSpace } from '../../search/space';
import type { SearchSpace } from '../../search/space-types';
import { createStudy, studyFromJSON, type Study, type StudyJSON } from '../../search/study';
import type { TrialView } from '../../search/types';
import { randomSpace } from './helpers';

const conditional: SearchSpace = {
  optimizer: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
  momentum: { type: 'float', low: 0, high: 0.99, when: { optimizer: ['sgd', 'rmsprop'] } },
  nesterov: { type: 'categorical', choices: [true, false], when: { optimizer: 'sgd' } },
  lr: { type: 'float', low: 1e-5, high: 1, log: true },
  units: { type: 'int', low: 16, high: 512, log: true },
  dropout: { type: 'float', low: 0, high: 0.5, step: 0.05 },
  batch: 64,
};

/** Runs `count` trials, finishing them in a fixed pattern that covers every end state. */
function runTrials(study: Study, count: number): void {
  for (let i = 0; i < count; i++) {
    const { number, params } = study.ask();
    const value = paramsKey(params).length % 17; // any deterministic objective
    study.report(number, 1, value + 1);
    if (number % 5 === 3) study.tell(number, { state: 'FAIL' });
    else if (number % 5 === 4) study.tell(number, { state: 'PRUNED' });
    else if (number % 7 !== 6) study.tell(number, value); // the rest stay RUNNING
  }
}

for (const type of Object.keys(samplers)) {
  describe(`sampler contract: ${type}`, () => {
    const study = (space: SearchSpace, seed: number) => createStudy({ space, sampler: { type, seed } });

    it('proposes configurations inside the space (random spaces and seeds)', () => {
      for (let seed = 0; seed < 120; seed++) {
        const raw = randomSpace(seed);
        const space = parseSpace(raw);
        const s = study(raw, seed);
        for (let i = 0; i < 15; i++) {
          let asked;
          try {
            asked = s.ask();
          } catch (err) {
            // A small finite space may run out; that is the only acceptable failure.
            expect(err).toBeInstanceOf(SpaceExhaustedError);
            break;
          }
          expect(explainParams(space, asked.params), `seed ${seed}: ${JSON.stringify(asked.params)}`).toBeNull();
          s.tell(asked.number, i % 3);
        }
      }
    });

    it('is pure: the same context gives the same configuration', () => {
      const sampler = createSampler({ type });
      const space = parseSpace(conditional);
      const trials: TrialView[] = [{ number: 0, params: { optimizer: 'adam', lr: 0.1, units: 32, dropout: 0.1, batch: 64 }, state: 'COMPLETE', values: [1] }];
      const ctx: SampleContext = { space, trials, seed: 3, trialNumber: 1, attempt: 0, directions: ['minimize'], fixed: {} };
      const snapshot = JSON.stringify(ctx.trials);
      const first = sampler.sample(ctx);
      expect(createSampler({ type }).sample(ctx)).toEqual(first);
      expect(sampler.sample(ctx)).toEqual(first);
      expect(JSON.stringify(ctx.trials)).toBe(snapshot);
      // Another attempt is another draw.
      expect(sampler.sample({ ...ctx, attempt: 1 })).not.toEqual(first);
    });

    it('is deterministic under a seed and differs across seeds', () => {
      const a = study(conditional, 7);
      const b = study(conditional, 7);
      const c = study(conditional, 8);
      runTrials(a, 30);
      runTrials(b, 30);
      runTrials(c, 30);
      expect(b.trials).toEqual(a.trials);
      expect(c.trials.map((t) => t.params)).not.toEqual(a.trials.map((t) => t.params));
    });

    it('continues the same stream after a restart from toJSON', () => {
      const original = study(conditional, 21);
      runTrials(original, 12);
      const saved = JSON.parse(JSON.stringify(original.toJSON())) as StudyJSON;
      const restored = studyFromJSON(saved);
      runTrials(original, 25);
      runTrials(restored, 25);
      expect(restored.trials).toEqual(original.trials);
    });

    it('never repeats a configuration while trials are running, and says when a finite space is used up', () => {
      const small: SearchSpace = {
        a: { type: 'categorical', choices: ['x', 'y'] },
        n: { type: 'int', low: 1, high: 3 },
        m: { type: 'int', low: 0, high: 1, when: { a: 'x' } },
      }; // x: 3 × 2 = 6, y: 3 → 9 configurations
      const s = study(small, 1);
      const keys = Array.from({ length: 9 }, () => paramsKey(s.ask().params));
      expect(new Set(keys).size).toBe(9);
      expect(() => s.ask()).toThrow(SpaceExhaustedError);
      expect(() => s.ask()).toThrow(/all 9 configurations have been tried/);
    });

    it('finds the last unused configurations of a nearly used-up space', () => {
      const grid: SearchSpace = { a: { type: 'int', low: 0, high: 9 }, b: { type: 'categorical', choices: [1, 2, 3, 4] } };
      const s = study(grid, 4);
      const keys = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const { number, params } = s.ask();
        keys.add(paramsKey(params));
        s.tell(number, i);
      }
      expect(keys.size).toBe(40);
    });

    it('honors conditions: dependants appear exactly when their condition holds', () => {
      const s = study(conditional, 2);
      runTrials(s, 60);
      const seen = new Set<string>();
      for (const { params } of s.trials) {
        seen.add(String(params.optimizer));
        expect('momentum' in params).toBe(params.optimizer !== 'adam');
        expect('nesterov' in params).toBe(params.optimizer === 'sgd');
      }
      expect(seen).toEqual(new Set(['sgd', 'adam', 'rmsprop']));
    });

    it('handles FAIL and PRUNED trials in the history', () => {
      const s = study(conditional, 5);
      runTrials(s, 20);
      const states = new Set(s.trials.map((t) => t.state));
      expect(states).toEqual(new Set(['COMPLETE', 'FAIL', 'PRUNED', 'RUNNING']));
      const { params } = s.ask();
      expect(explainParams(s.space, params)).toBeNull();
    });

    it('keeps enqueued values and fills in the rest', () => {
      const s = study(conditional, 9);
      s.enqueue({ optimizer: 'sgd', lr: 0.01 });
      const { params } = s.ask();
      expect(params).toMatchObject({ optimizer: 'sgd', lr: 0.01, batch: 64 });
      expect(explainParams(s.space, params)).toBeNull();
    });

    it('rejects unknown options', () => {
      expect(() => createSampler({ type, options: { definitelyNotAnOption: 1 } })).toThrow(AlgorithmConfigError);
      expect(() => createSampler({ type, options: { definitelyNotAnOption: 1 } })).toThrow(/unknown option "definitelyNotAnOption"/);
    });
  });
}

describe('sampler registry', () => {
  it('names the known samplers for an unknown type', () => {
    expect(() => createSampler({ type: 'tpe2' })).toThrow(/unknown sampler "tpe2" \(known samplers: random/);
  });

  it('has one folder per sampler, named as registered, and no loose sampler files', () => {
    const dir = join(__dirname, '../../search/samplers');
    const entries = readdirSync(dir, { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(samplers).sort());
    expect(entries.filter((e) => e.isFile()).map((e) => e.name).sort()).toEqual(['index.ts', 'types.ts']);
    for (const name of folders) expect(readdirSync(join(dir, name))).toContain('index.ts');
  });
});
