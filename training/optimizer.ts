// Training hyperparameters and the optimizers they build. Values come from
// {...spec.training, ...spec.model.options, ...params}: a trial parameter named `learningRate`
// overrides `training.learningRate`.
//   optimizer      adam (default from the spec), adamw, sgd, rmsprop
//   learningRate   step size (> 0)
//   batchSize      examples per step
//   momentum       sgd and rmsprop (default 0); nesterov (sgd, default false)
//   beta1, beta2, epsilon   adam and adamw (0.9, 0.999, 1e-7)
//   weightDecay    every optimizer: decoupled weight decay per step, scaled by the current learning rate
//                  (default 0.01 for adamw, else 0); adamw is adam with that default
//   rho            rmsprop: decay of the squared-gradient average (default 0.9)
import type { Optimizer, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { OptionReader } from '../search/options';
import { settingsReader } from './errors';

export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Keys read here; any of them may be set in spec.training, spec.model.options or a trial's params. */
export const OPTIMIZER_HYPERPARAMETERS: Record<string, string> = {
  optimizer: `one of ${OPTIMIZERS.join(', ')}`,
  learningRate: 'optimizer step size',
  batchSize: 'examples per training step',
  momentum: 'sgd/rmsprop momentum (default 0)',
  nesterov: 'sgd: Nesterov momentum (default false)',
  beta1: 'adam/adamw first-moment decay (default 0.9)',
  beta2: 'adam/adamw second-moment decay (default 0.999)',
  epsilon: 'adam/adamw/rmsprop numerical epsilon (default 1e-7)',
  weightDecay: 'decoupled weight decay w -= lr * wd * w each step, any optimizer (default 0.01 adamw, else 0)',
  rho: 'rmsprop squared-gradient decay (default 0.9)',
};

/**
 * The normalized training configuration: only the keys the chosen optimizer uses. `weightDecay` is
 * absent when 0 (except for adamw), so configurations without decay hash as they always have and
 * their checkpoints still resume.
 */
export type OptimizerConfig = { learningRate: number; batchSize: number; weightDecay?: number } & (
  | { optimizer: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { optimizer: 'adamw'; beta1: number; beta2: number; epsilon: number; weightDecay: number }
  | { optimizer: 'sgd'; momentum: number; nesterov: boolean }
  | { optimizer: 'rmsprop'; rho: number; momentum: number; epsilon: number }
);

export function resolveOptimizerConfig(merged: Record<string, unknown>): OptimizerConfig {
  return readOptimizerConfig(settingsReader(merged, (key) => `training setting or parameter "${key}"`));
}

/** The optimizer settings through `read`, which records the keys this optimizer reads. */
export function readOptimizerConfig(read: OptionReader): OptimizerConfig {
  const optimizer = read.choice<OptimizerName>('optimizer', OPTIMIZERS, 'adam');
  const learningRate = read.number('learningRate', 0.001, { minExclusive: 0 });
  const batchSize = read.integer('batchSize', 32, { min: 1 });
  const weightDecay = read.number('weightDecay', optimizer === 'adamw' ? 0.01 : 0, { min: 0 });
  const common = { learningRate, batchSize, ...(weightDecay > 0 ? { weightDecay } : {}) };
  switch (optimizer) {
    case 'adam':
    case 'adamw': {
      const adam = {
        ...common,
        beta1: read.number('beta1', 0.9, { min: 0, max: 0.999999 }),
        beta2: read.number('beta2', 0.999, { min: 0, max: 0.999999 }),
        epsilon: read.number('epsilon', 1e-7, { minExclusive: 0 }),
      };
      return optimizer === 'adam' ? { optimizer, ...adam } : { optimizer, ...adam, weightDecay };
    }
    case 'sgd':
      return { optimizer, ...common, momentum: read.number('momentum', 0, { min: 0, max: 0.999999 }), nesterov: read.boolean('nesterov', false) };
    case 'rmsprop':
      return {
        optimizer,
        ...common,
        rho: read.number('rho', 0.9, { min: 0, max: 0.999999 }),
        momentum: read.number('momentum', 0, { min: 0, max: 0.999999 }),
        epsilon: read.number('epsilon', 1e-7, { minExclusive: 0 }),
      };
  }
}

/**
 * Builds the optimizer. Every one of them saves and restores its full state (moments, accumulators,
 * iteration count) through getWeights()/setWeights(), which checkpoints rely on.
 */
export function createOptimizer(tf: Tf, config: OptimizerConfig): Optimizer {
  return withWeightDecay(tf, baseOptimizer(tf, config), config.weightDecay ?? 0);
}

function baseOptimizer(tf: Tf, config: OptimizerConfig): Optimizer {
  switch (config.optimizer) {
    case 'adam':
    case 'adamw':
      return new (leanAdam(tf))(config.learningRate, config.beta1, config.beta2, config.epsilon);
    case 'sgd':
      return config.momentum > 0 ? tf.train.momentum(config.learningRate, config.momentum, config.nesterov) : tf.train.sgd(config.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, config.rho, config.momentum, config.epsilon);
  }
}

/**
 * Sets the rate the next steps use (learning-rate schedules). tfjs optimizers read `learningRate` at
 * every step, except sgd and momentum, which cache it as a tensor that only setLearningRate() renews.
 */
export function setLearningRate(optimizer: Optimizer, rate: number): void {
  const target = optimizer as unknown as { learningRate: number; setLearningRate?: (rate: number) => void };
  if (typeof target.setLearningRate === 'function') target.setLearningRate(rate);
  else target.learningRate = rate;
}

/**
 * Frees an optimizer's tensors. tfjs's MomentumOptimizer.dispose() frees its slots and momentum but not
 * the learning-rate scalar its SGD base caches (`c`): one tensor a segment of every momentum trial.
 */
export function disposeOptimizer(optimizer: Optimizer): void {
  optimizer.dispose();
  (optimizer as unknown as { c?: Tensor }).c?.dispose(); // a no-op where dispose() freed it
}

type Gradients = Parameters<Optimizer['applyGradients']>[0];

/** The private state of tfjs's AdamOptimizer that the lean update reads and writes (same fields, so same checkpoints). */
interface AdamState {
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
}

/**
 * tfjs's Adam with the same state and math, in fewer native calls: tfjs turns every number in its
 * update (beta1, 1 - beta1, epsilon, -lr, ...) into a new scalar tensor for every variable at every
 * step, 20 calls into TensorFlow per variable. Here the scalars are made once per step and the bias
 * corrections folded into two of them: 13 ops per variable. On small models the optimizer is about half
 * of all ops of a training step, and each op costs tens of microseconds of dispatch.
 */
function leanAdam(tf: Tf) {
  return class LeanAdam extends tf.AdamOptimizer {
    override applyGradients(variableGradients: Gradients): void {
      const state = this as unknown as AdamState;
      const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
      tf.tidy(() => {
        const beta1 = tf.scalar(this.beta1);
        const beta2 = tf.scalar(this.beta2);
        const rest1 = tf.scalar(1 - this.beta1);
        const rest2 = tf.scalar(1 - this.beta2);
        const epsilon = tf.scalar(this.epsilon);
        // w += (-lr / (1 - beta1^t)) * m / (sqrt(v * 1 / (1 - beta2^t)) + epsilon), as tfjs computes it.
        const step = tf.div(-this.learningRate, tf.sub(1, state.accBeta1)) as Scalar;
        const correction2 = tf.div(1, tf.sub(1, state.accBeta2)) as Scalar;
        names.forEach((name, i) => {
          const value = tf.engine().registeredVariables[name]!;
          state.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          state.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
          const gradient: Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
          if (gradient == null) return;
          const m = state.accumulatedFirstMoment[i]!.variable;
          const v = state.accumulatedSecondMoment[i]!.variable;
          const newM = tf.add(tf.mul(m, beta1), tf.mul(gradient, rest1));
          const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gradient), rest2));
          m.assign(newM);
          v.assign(newV);
          value.assign(tf.add(value, tf.div(tf.mul(newM, step), tf.add(tf.sqrt(tf.mul(newV, correction2)), epsilon))));
        });
        state.accBeta1.assign(tf.mul(state.accBeta1, beta1));
        state.accBeta2.assign(tf.mul(state.accBeta2, beta2));
      });
      this.incrementIterations();
    }
  };
}

/**
 * Decoupled weight decay (Loshchilov & Hutter's AdamW, Keras 3's `weight_decay` of every optimizer):
 * w <- w - lr * wd * w for every trained variable at each step, with the current (scheduled) lr, before
 * the optimizer's own update, as Keras 3 and PyTorch apply it. The decay keeps no state, so the
 * optimizer's class and checkpointed state stay those of the plain optimizer; with wd = 0 it is returned
 * untouched. The instance's applyGradients is wrapped rather than subclassed because tfjs builds sgd,
 * momentum and rmsprop through factories, and minimize() (what fit() calls) goes through it.
 */
function withWeightDecay(tf: Tf, optimizer: Optimizer, weightDecay: number): Optimizer {
  if (weightDecay === 0) return optimizer;
  const step = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (variableGradients: Gradients) => {
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
    const keep = 1 - (optimizer as unknown as { learningRate: number }).learningRate * weightDecay;
    tf.tidy(() => {
      for (const name of names) {
        const variable = tf.engine().registeredVariables[name];
        if (variable) variable.assign(tf.mul(variable, keep));
      }
    });
    step(variableGradients);
  };
  return optimizer;
}
