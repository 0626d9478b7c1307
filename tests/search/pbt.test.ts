// The pure PBT decisions (search/schedulers/pbt.ts): who exploits whom at a boundary, what explore does
// to each kind of parameter, determinism from the seed, and the options' errors.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../catalog';
import { pbtMutable, PBT_TRAINING_PARAMS, SpecError } from '../../spec';
import { TRAINING_HYPERPARAMETERS } from '../../training';
import { AlgorithmConfigError } from '../../search/errors';
import { createScheduler } from '../../search/schedulers';
import { explore, pbtDecisions, quantileSize, readPbtOptions, type PbtMember, type PbtRound } from '../../search/schedulers/pbt';
import { createRng } from '../../search/rng';
import { parseSpace } from '../../search/space';

const space = parseSpace({
  learningRate: { type: 'float', low: 1e-4, high: 1, log: true },
  momentum: { type: 'float', low: 0, high: 0.99, step: 0.01 },
  batchSize: { type: 'int', low: 8, high: 256 },
  activation: { type: 'categorical', choices: ['relu', 'tanh', 'elu'] },
  units: { type: 'int', low: 8, high: 64 },
});

const member = (number: number, value: number | null, learningRate = 0.01 * (number + 1)): PbtMember => ({
  number,
  value,
  params: { learningRate, momentum: 0.5, batchSize: 32, activation: 'tanh', units: 16 + number },
});

function round(members: PbtMember[], extra: Partial<PbtRound> = {}): PbtRound {
  const options = readPbtOptions({ populationSize: Math.max(2, members.length), quantile: 0.25 });
  return { members, direction: 'minimize', epoch: 4, seed: 7, options, space, mutable: ['learningRate', 'momentum', 'batchSize', 'activation'], ...extra };
}

describe('pbt decisions', () => {
  it('the bottom quantile exploits the top quantile; everyone else continues', () => {
    // Minimize: trial 2 (0.1) is best, trial 5 (0.9) and trial 6 (no value) are the worst two of 8.
    const members = [0.5, 0.4, 0.1, 0.3, 0.35, 0.9, null, 0.2].map((v, i) => member(i, v));
    const decisions = pbtDecisions(round(members));
    expect(quantileSize(8, 0.25)).toBe(2);
    const exploits = [...decisions].filter(([, d]) => d.kind === 'exploit');
    expect(exploits.map(([n]) => n).sort()).toEqual([5, 6]);
    for (const [, d] of exploits) {
      if (d.kind !== 'exploit') throw new Error('unreachable');
      expect([2, 7]).toContain(d.donor);
      // The donor's configuration, shape parameters included; only mutable ones change.
      expect(d.params.units).toBe(16 + d.donor);
    }
    for (const n of [0, 1, 2, 3, 4, 7]) expect(decisions.get(n)).toEqual({ kind: 'continue' });
  });

  it('maximize ranks the other way', () => {
    const members = [0.5, 0.9, 0.1, 0.3].map((v, i) => member(i, v));
    const decisions = pbtDecisions(round(members, { direction: 'maximize' }));
    expect(decisions.get(2)).toMatchObject({ kind: 'exploit', donor: 1 });
    expect([...decisions.values()].filter((d) => d.kind === 'exploit')).toHaveLength(1);
  });

  it('is deterministic from the seed, and another seed or epoch draws differently', () => {
    const members = Array.from({ length: 8 }, (_, i) => member(i, i / 10));
    const a = pbtDecisions(round(members));
    expect(pbtDecisions(round(members))).toEqual(a);
    const others = [pbtDecisions(round(members, { seed: 8 })), pbtDecisions(round(members, { epoch: 6 }))];
    expect(others.some((o) => JSON.stringify([...o]) !== JSON.stringify([...a]))).toBe(true);
  });

  it('a population shrunk to one (the others failed) exploits nobody', () => {
    expect([...pbtDecisions(round([member(0, 1)])).values()]).toEqual([{ kind: 'continue' }]);
  });
});

describe('pbt explore', () => {
  const options = (o: Record<string, unknown>) => readPbtOptions({ populationSize: 4, ...o });

  it('perturbs numbers by a factor, clamped and on the grid, and moves categoricals one step', () => {
    const params = { learningRate: 0.1, momentum: 0.5, batchSize: 32, activation: 'tanh', units: 16 };
    const seen = { lr: new Set<number>(), act: new Set<string>() };
    for (let s = 0; s < 40; s++) {
      const next = explore(params, { options: options({ resampleProbability: 0 }), space, mutable: ['learningRate', 'momentum', 'batchSize', 'activation'] }, createRng(s));
      seen.lr.add(next.learningRate as number);
      seen.act.add(next.activation as string);
      expect([0.4, 0.6]).toContain(next.momentum);
      expect([26, 38]).toContain(next.batchSize); // 32 * 0.8 = 25.6 → 26, 32 * 1.2 = 38.4 → 38
      expect(next.units).toBe(16); // not mutable
    }
    expect([...seen.lr].sort()).toEqual([0.08000000000000002, 0.12].sort());
    expect([...seen.act].sort()).toEqual(['elu', 'relu']);
    // At the top of its range a number is clamped; at an end of the list a choice has one neighbour.
    const edge = explore({ ...params, learningRate: 1, activation: 'relu' }, { options: options({ resampleProbability: 0, perturbationFactors: [1.5] }), space, mutable: ['learningRate', 'activation'] }, createRng(1));
    expect(edge).toMatchObject({ learningRate: 1, activation: 'tanh' });
  });

  it('resamples from the space with resampleProbability 1', () => {
    const values = new Set<number>();
    for (let s = 0; s < 20; s++) {
      const next = explore({ learningRate: 0.1 }, { options: options({ resampleProbability: 1 }), space, mutable: ['learningRate'] }, createRng(s));
      expect(next.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(next.learningRate).toBeLessThanOrEqual(1);
      values.add(next.learningRate as number);
    }
    expect(values.size).toBe(20);
  });
});

describe('pbt options', () => {
  it('names the option that is wrong', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ quantile: 0.7 }, /option "quantile" must be a number > 0 and <= 0.5/],
      [{ populationSize: 1 }, /option "populationSize" must be an integer >= 2/],
      [{ perturbationFactors: [1.2, -1] }, /"perturbationFactors" must be a non-empty list of numbers > 0/],
      [{ mutable: 'learningRate' }, /"mutable" must be a non-empty list of parameter names/],
      [{ interval: 2 }, /unknown option "interval"/],
    ];
    for (const [options, message] of bad) {
      expect(() => readPbtOptions(options)).toThrow(AlgorithmConfigError);
      expect(() => readPbtOptions(options)).toThrow(message);
    }
  });

  it('as a registry scheduler: never prunes, segments end at the boundaries', () => {
    const s = createScheduler({ type: 'pbt', options: { perturbationInterval: 3 } });
    const ctx = { trials: [], direction: 'minimize' as const, maxEpochs: 8 };
    expect([0, 1, 3, 5, 6, 7].map((d) => s.nextMilestone!(ctx, 0, d))).toEqual([3, 3, 6, 6, 8, 8]);
    expect(s.decide(ctx, 0, 3)).toBe('continue');
  });
});

describe('pbt in a spec (spec/pbt.ts)', () => {
  const spec = (scheduler: string, extra = '') => `name: p
dataset: synthetic-shapes
model: mlp
search:
  space:
    learningRate: {type: float, low: 0.001, high: 0.1, log: true}
    momentum: {type: float, low: 0, high: 0.9}
    units: {type: int, low: 8, high: 64}
  scheduler: ${scheduler}
${extra}budget: {maxTrials: 4, maxConcurrentTrials: 4}
training: {epochs: 6, optimizer: sgd}
`;

  it('the allow-list is the training settings less the optimizer and the regression loss', () => {
    // Members compare by the objective and exploit by it: a member that changed its loss would be judged on another scale.
    const fixed = ['optimizer', 'regressionLoss'];
    expect([...PBT_TRAINING_PARAMS].sort()).toEqual(Object.keys(TRAINING_HYPERPARAMETERS).filter((k) => !fixed.includes(k)).sort());
  });

  it('defaults mutable to the searched training settings, never a model hyperparameter', () => {
    const parsed = parseExperiment(spec('{type: pbt, options: {populationSize: 4}}'), 'p.yaml');
    expect(pbtMutable(parsed)).toEqual(['learningRate', 'momentum']);
  });

  it('refuses pbt with several objectives and an interval as long as training, naming file:line and field', () => {
    const text = spec('{type: pbt, options: {populationSize: 4, perturbationInterval: 6}}', 'objective: [{metric: val_loss, direction: minimize}, {metric: param_count, direction: minimize}]\n');
    const error = (() => {
      try {
        parseExperiment(text, 'p.yaml');
      } catch (e) {
        return e as SpecError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(SpecError);
    expect(error.message).toMatch(/p\.yaml:9:\d+: search\.scheduler\.options\.perturbationInterval: must be < training\.epochs \(6\)/);
    expect(error.message).toMatch(/p\.yaml:10:\d+: objective: scheduler pbt ranks its population by one objective/);
  });

  it('a conditional parameter is mutable while what it depends on is not', () => {
    const conditional = spec('{type: pbt, options: {populationSize: 4}}')
      .replace('    momentum: {type: float, low: 0, high: 0.9}', '    optimizer: {type: categorical, choices: [adam, sgd]}\n    momentum: {type: float, low: 0, high: 0.9, when: {optimizer: sgd}}')
      .replace(', optimizer: sgd}', '}');
    expect(pbtMutable(parseExperiment(conditional, 'p.yaml'))).toEqual(['learningRate', 'momentum']);
    const withParent = conditional.replace('populationSize: 4}', 'populationSize: 4, mutable: [learningRate, momentum, optimizer]}');
    expect(() => parseExperiment(withParent, 'p.yaml')).toThrow(/search\.scheduler\.options\.mutable\[2\]: "optimizer" cannot change during training/);
  });

  it('a trainable must list its mutable parameters', () => {
    const text = `name: p
trainable: {module: ${join(__dirname, '..', 'fixtures', 'trainables', 'pbt-decay.ts')}}
search:
  space:
    lr: {type: float, low: 0.01, high: 0.5}
  scheduler: {type: pbt, options: {populationSize: 4}}
objective: {metric: val_loss, direction: minimize}
budget: {maxTrials: 4, maxConcurrentTrials: 4}
training: {epochs: 6}
`;
    expect(() => parseExperiment(text, 'p.yaml')).toThrow(/p\.yaml:6:\d+: search\.scheduler\.options: a trainable must list its mutable parameters/);
    expect(pbtMutable(parseExperiment(text.replace('populationSize: 4}', 'populationSize: 4, mutable: [lr]}'), 'p.yaml'))).toEqual(['lr']);
  });
});
