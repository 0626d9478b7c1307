// Data set and model option VALUES are checked when the spec loads (against the real registries, through
// parseExperiment), with file:line:column and the field path: a value that cannot work must not reach
// the workers and fail every trial. Nothing is loaded or built to check them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { parseExperiment } from '../../catalog';
import { SpecError } from '../../spec';
import { tempDir } from '../helpers/temp';

const cache = tempDir('option-values-cache');
beforeEach(() => {
  process.env.TUNEFLOW_CACHE_DIR = cache;
});

function problems(text: string): string[] {
  try {
    parseExperiment(text, 'x.yaml');
  } catch (error) {
    if (error instanceof SpecError) return error.message.split('\n');
    throw error;
  }
  throw new Error(`expected a SpecError for:\n${text}`);
}

const spec = (dataset: string, model: string, space = '') => `name: t\n${dataset}\n${model}\n${space ? `search:\n  space:\n${space}` : ''}`;

describe('data set options', () => {
  test('a value out of range points at the option', () => {
    expect(problems(spec('dataset:\n  name: synthetic-shapes\n  options: {trainSize: 100, imageSize: 6}', 'model: cnn'))).toEqual([
      'x.yaml:4:40: dataset.options.imageSize: must be an integer >= 8 and <= 64, got 6',
    ]);
    expect(problems(spec('dataset: {name: gtsrb, options: {crop: maybe}}', 'model: cnn'))).toEqual(['x.yaml:2:40: dataset.options.crop: must be true or false, got "maybe"']);
    expect(problems(spec('dataset: {name: imdb, options: {maxLength: 0}}', 'model: lstm'))).toEqual([
      'x.yaml:2:44: dataset.options.maxLength: must be an integer >= 1 and <= 100000, got 0',
    ]);
    expect(problems(spec('dataset: {name: cifar100, options: {labels: medium}}', 'model: cnn'))).toEqual([
      'x.yaml:2:45: dataset.options.labels: must be one of fine, coarse, got "medium"',
    ]);
    expect(existsSync(join(cache, 'datasets'))).toBe(false); // nothing generated or downloaded to check
  });

  test('an unknown option points at its key and lists the known ones', () => {
    expect(problems(spec('dataset: {name: mnist, options: {trainsize: 10}}', 'model: cnn'))).toEqual([
      'x.yaml:2:34: dataset.options.trainsize: is not a setting for data set mnist (known: testSize, trainSize)',
    ]);
  });

  test('custom data: a required option that is missing names it; a bad shape points at it', () => {
    expect(problems(spec('dataset: {name: custom, options: {format: npy, train: x.npy, test: t.npy}}', 'model: mlp'))).toEqual([
      'x.yaml:2:34: dataset.options: options.trainLabels must be a file path for data set custom, got undefined',
    ]);
    expect(problems(spec('dataset: custom', 'model: mlp'))).toEqual(['x.yaml:2:10: dataset: options.format is required for data set custom: one of idx, csv, npy']);
    expect(problems(spec('dataset: {name: custom, options: {format: csv, train: a.csv, test: b.csv, shape: [0, 3]}}', 'model: mlp'))).toEqual([
      'x.yaml:2:82: dataset.options.shape: must be a list of positive integers like [28, 28, 1], got [0,3]',
    ]);
  });
});

describe('model options and the search space', () => {
  test('model option values are checked for the family', () => {
    expect(problems(spec('dataset: mnist', 'model: {family: cnn, options: {pooling: median, filters: 8}}'))).toEqual([
      'x.yaml:3:41: model.options.pooling: must be one of max, avg, none, got "median"',
    ]);
    expect(problems(spec('dataset: mnist', 'model: {family: svm-linear, options: {loss: logistic}}'))).toEqual([
      'x.yaml:3:45: model.options.loss: must be one of squared_hinge, hinge, got "logistic"',
    ]);
    // Training keys in model.options are checked by the optimizer's rules (momentum is read by sgd and rmsprop).
    expect(problems(spec('dataset: mnist', 'model: {family: mlp, options: {momentum: 1.5}}'))).toEqual([
      'x.yaml:3:42: model.options.momentum: must be a number >= 0 and <= 0.999999, got 1.5',
    ]);
  });

  test('leaky_relu is an activation, in model options and as a choice of the space', () => {
    const space = '    activation: {type: categorical, choices: [relu, leaky_relu]}\n';
    expect(parseExperiment(spec('dataset: mnist', 'model: {family: lenet, options: {activation: leaky_relu}}'), 'x.yaml').model.options.activation).toBe('leaky_relu');
    expect(parseExperiment(spec('dataset: mnist', 'model: cnn', space), 'x.yaml').search.space.activation).toMatchObject({ choices: ['relu', 'leaky_relu'] });
  });

  test('a training key the optimizer or schedule of some trial ignores is refused at its key (accepted before)', () => {
    const space = [
      '    optimizer: {type: categorical, choices: [adam, sgd]}',
      '    momentum: {type: float, low: 0.1, high: 0.9}',
      '    rho: {type: float, low: 0.8, high: 0.99, when: {optimizer: sgd}}',
      '    lrGamma: {type: float, low: 0.1, high: 0.9}',
      '',
    ].join('\n');
    expect(problems(spec('dataset: mnist', 'model: {family: mlp, options: {beta1: 0.8}}', space))).toEqual([
      'x.yaml:3:32: model.options.beta1: is ignored by optimizer "sgd" (only adam, adamw read it)',
      'x.yaml:7:5: search.space.momentum: is ignored by optimizer "adam" (only sgd, rmsprop read it)',
      'x.yaml:8:5: search.space.rho: is ignored by optimizer "sgd" (only rmsprop read it)',
      'x.yaml:9:5: search.space.lrGamma: is ignored by lrSchedule "constant" (only step, exponential read it)',
    ]);
    // training.optimizer (default adam) counts when neither the space nor model.options names one.
    expect(problems(spec('dataset: mnist', 'model: {family: cnn, options: {nesterov: true}}'))).toEqual([
      'x.yaml:3:32: model.options.nesterov: is ignored by optimizer "adam" (only sgd read it)',
    ]);
  });

  test('`when` limits a key to the trials that read it; weightDecay is read by every optimizer', () => {
    const space = [
      '    optimizer: {type: categorical, choices: [adam, sgd, rmsprop]}',
      '    momentum: {type: float, low: 0.1, high: 0.9, when: {optimizer: [sgd, rmsprop]}}',
      '    beta2: {type: float, low: 0.9, high: 0.999, when: {optimizer: adam}}',
      '    lrSchedule: {type: categorical, choices: [step, cosine]}',
      '    lrGamma: {type: float, low: 0.1, high: 0.9, when: {lrSchedule: step}}',
      '    weightDecay: {type: float, low: 1.0e-6, high: 1.0e-2, log: true}',
      '',
    ].join('\n');
    expect(Object.keys(parseExperiment(spec('dataset: mnist', 'model: cnn', space), 'x.yaml').search.space)).toHaveLength(6);
    // model.options' optimizer is only the fallback: the space chooses sgd, which reads momentum.
    const sgd = '    optimizer: {type: categorical, choices: [sgd]}\n';
    expect(parseExperiment(spec('dataset: mnist', 'model: {family: cnn, options: {optimizer: adam, lrSchedule: step, momentum: 0.9}}', sgd), 'x.yaml').model.options.momentum).toBe(0.9);
  });

  test('fixed values, every choice and both range ends of the space', () => {
    const space = [
      '    dropout: {type: float, low: 0.1, high: 0.95}',
      '    activation: {type: categorical, choices: [relu, swish, sparkle]}',
      '    kernelSize: 21',
      '    layers: {type: fixed, value: 0}',
      '    learningRate: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}',
      '',
    ].join('\n');
    expect(problems(spec('dataset: mnist', 'model: cnn', space))).toEqual([
      'x.yaml:6:44: search.space.dropout.high: must be a number >= 0 and <= 0.9, got 0.95',
      'x.yaml:7:60: search.space.activation.choices[2]: must be one of relu, elu, selu, tanh, sigmoid, swish, gelu, mish, relu6, leaky_relu, softplus, linear, got "sparkle"',
      'x.yaml:8:17: search.space.kernelSize: must be an integer >= 1 and <= 15, got 21',
      'x.yaml:9:5: search.space.layers: is not a hyperparameter of the model (model family "cnn" reads: activation, batchNorm, batchSize, beta1, beta2, branches, convBlocks, convsPerBlock, denseUnits, dropout, epsilon, filters, kernelSize, labelSmoothing, learningRate, lrGamma, lrMin, lrSchedule, lrStepSize, momentum, nesterov, optimizer, pooling, regressionLoss, residual, rho, warmupEpochs, weightDecay)',
    ]);
  });

  test('learning-rate schedule and label smoothing values are checked at load', () => {
    expect(problems(spec('dataset: mnist', 'model: {family: mlp, options: {lrSchedule: cosine, lrMin: 0.5, learningRate: 0.1}}'))).toEqual([
      'x.yaml:3:59: model.options.lrMin: must be at most learningRate (0.1), got 0.5',
    ]);
    expect(problems(spec('dataset: mnist', 'model: {family: svm-linear, options: {labelSmoothing: 0.1}}'))).toEqual([
      'x.yaml:3:55: model.options.labelSmoothing: applies to cross-entropy, but model "svm-linear" trains with its own loss (got 0.1)',
    ]);
    const space = [
      '    lrSchedule: {type: categorical, choices: [step, cyclic]}',
      '    lrGamma: {type: float, low: 0.1, high: 1.5}',
      '    labelSmoothing: {type: float, low: 0, high: 1}',
      '    warmupEpochs: {type: int, low: -1, high: 3}',
      '',
    ].join('\n');
    expect(problems(spec('dataset: mnist', 'model: cnn', space))).toEqual([
      'x.yaml:6:53: search.space.lrSchedule.choices[1]: must be one of constant, step, exponential, cosine, got "cyclic"',
      'x.yaml:7:44: search.space.lrGamma.high: must be a number > 0 and <= 1, got 1.5',
      'x.yaml:8:49: search.space.labelSmoothing.high: must be a number >= 0 and <= 0.999999, got 1',
      'x.yaml:9:36: search.space.warmupEpochs.low: must be an integer >= 0, got -1',
    ]);
  });

  test('auto refuses a value only when no family it can pick accepts it', () => {
    // layers: 0 is a linear mlp (not a valid lstm), so auto on unknown data accepts it; -1 suits nobody.
    expect(() => parseExperiment(spec('dataset: mnist', 'model: {family: auto, options: {layers: 0, units: 8}}'), 'x.yaml')).not.toThrow();
    expect(problems(spec('dataset: mnist', 'model: {family: auto, options: {layers: -1}}'))).toEqual([
      'x.yaml:3:41: model.options.layers: must be an integer >= 1 and <= 8, got -1',
    ]);
  });

  test('the shipped experiments and the quickstart still load', () => {
    for (const file of ['experiments/quickstart.yaml', 'experiments/fashion-mnist-lenet.yaml']) {
      const text = readFileSync(join(__dirname, '..', '..', file), 'utf8');
      expect(() => parseExperiment(text, file), file).not.toThrow();
    }
  });
});
