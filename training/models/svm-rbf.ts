// svm-rbf: an SVM with the RBF kernel k(x, y) = exp(-gamma |x - y|^2), approximated by random Fourier
// features (Rahimi & Recht, 2007): z(x) = sqrt(2/D) cos(W x + b) with W ~ N(0, 2 gamma), b ~ U(0, 2 pi)
// fixed (seeded, not trained), so z(x).z(y) approximates k(x, y); the linear SVM head is trained on z.
//   features (512)   D, the number of random features (more: a closer kernel approximation)
//   gamma (1/d)      kernel width; the default 1/(input size) is scikit-learn's gamma='auto'
//   loss, l1, l2     as svm-linear
// The projection is the layer `TuneflowRandomFourierFeatures` (Keras calls it RandomFourierFeatures); it is
// registered with tfjs before any model is built or loaded (registerCustomLayers).
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import { mixSeed } from '../rng';
import { hyperReader, imageInput } from './common';
import { addSvmHead, SVM_HEAD_HYPERPARAMETERS, svmHeadOptions, svmLoss, svmLossKind } from './svm-linear';
import type { ModelFamily } from './types';

export const RANDOM_FOURIER_FEATURES = 'TuneflowRandomFourierFeatures';

interface RandomFourierConfig {
  features: number;
  gamma: number;
  seed: number;
  name?: string;
}

type LayerConstructor = new (config: RandomFourierConfig) => InstanceType<Tf['layers']['Layer']>;
const registered = new WeakMap<object, LayerConstructor>();

/** Defines and registers the random Fourier feature layer for this tfjs instance (once). */
export function randomFourierLayer(tf: Tf): LayerConstructor {
  const existing = registered.get(tf.serialization);
  if (existing) return existing;
  class RandomFourierFeatures extends tf.layers.Layer {
    static className = RANDOM_FOURIER_FEATURES;
    private readonly settings: RandomFourierConfig;
    private kernel: ReturnType<InstanceType<Tf['layers']['Layer']>['addWeight']> | null = null;
    private bias: ReturnType<InstanceType<Tf['layers']['Layer']>['addWeight']> | null = null;

    constructor(config: RandomFourierConfig) {
      super({ name: config.name, trainable: false });
      this.settings = { features: config.features, gamma: config.gamma, seed: config.seed };
    }

    override build(inputShape: (number | null)[] | (number | null)[][]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
      const inputSize = shape[shape.length - 1]!;
      const { features, gamma, seed } = this.settings;
      this.kernel = this.addWeight('kernel', [inputSize, features], 'float32', tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 * gamma), seed: mixSeed(seed, 1) }), undefined, false);
      this.bias = this.addWeight('bias', [features], 'float32', tf.initializers.randomUniform({ minval: 0, maxval: 2 * Math.PI, seed: mixSeed(seed, 2) }), undefined, false);
      this.built = true;
    }

    override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
      return [...shape.slice(0, -1), this.settings.features];
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0]! : inputs;
        const projected = tf.add(tf.matMul(x, this.kernel!.read()), this.bias!.read());
        return tf.mul(tf.cos(projected), Math.sqrt(2 / this.settings.features));
      });
    }

    override getConfig() {
      return { ...super.getConfig(), ...this.settings };
    }
  }
  tf.serialization.registerClass(RandomFourierFeatures);
  registered.set(tf.serialization, RandomFourierFeatures);
  return RandomFourierFeatures;
}

/** The projection's settings; gamma is undefined when not given (its default depends on the input size). */
function options(hyper: Record<string, unknown>) {
  const read = hyperReader(hyper);
  svmHeadOptions(hyper);
  return { features: read.integer('features', 512, { min: 1, max: 65536 }), gamma: read.has('gamma') ? read.number('gamma', 0, { minExclusive: 0 }) : undefined };
}

export const svmRbf: ModelFamily = {
  name: 'svm-rbf',
  description: 'RBF-kernel SVM through random Fourier features (fixed seeded projection + linear SVM head)',
  hyperparameters: {
    features: 'number of random Fourier features D (default 512)',
    gamma: 'RBF kernel width gamma (default 1 / input size)',
    ...SVM_HEAD_HYPERPARAMETERS,
  },
  validateOptions: options,
  build(tf, input, hyper): LayersModel {
    const { inputShape, numClasses, seed } = imageInput('svm-rbf', input);
    const { features, gamma = 1 / inputShape.reduce((a, b) => a * b, 1) } = options(hyper);
    const RandomFourierFeatures = randomFourierLayer(tf);
    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape }));
    model.add(new RandomFourierFeatures({ features, gamma, seed: mixSeed(seed, 7) }));
    return addSvmHead(tf, model, hyper, numClasses, mixSeed(seed, 8));
  },
  loss: svmLoss,
  lossKind: svmLossKind,
};
