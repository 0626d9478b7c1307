// The model registry: one module per family, registered in MODELS.
import type { Tf } from '../backend';
import { InvalidConfigurationError } from '../errors';
import { auto } from './auto';
import { attentionLayers } from './attention';
import { cnn } from './cnn';
import { cnnLstm } from './cnn-lstm';
import { lenet } from './lenet';
import { lstm } from './lstm';
import { mlp } from './mlp';
import { softmax } from './softmax';
import { svmLinear } from './svm-linear';
import { transformer } from './transformer';
import { randomFourierLayer, svmRbf } from './svm-rbf';
import type { ModelFamily, ModelInput } from './types';

export const MODELS: Readonly<Record<string, ModelFamily>> = {
  [softmax.name]: softmax,
  [mlp.name]: mlp,
  [cnn.name]: cnn,
  [lenet.name]: lenet,
  [lstm.name]: lstm,
  [transformer.name]: transformer,
  [cnnLstm.name]: cnnLstm,
  [svmLinear.name]: svmLinear,
  [svmRbf.name]: svmRbf,
  [auto.name]: auto,
};

export function modelFamily(name: string): ModelFamily {
  const family = MODELS[name];
  if (!family) throw new InvalidConfigurationError(`model.family: unknown model family "${name}" (known: ${Object.keys(MODELS).join(', ')})`);
  return family;
}

/** The family that actually builds for this input (`auto` delegates; every other family is itself). */
export function resolveFamily(family: ModelFamily, input: ModelInput): ModelFamily {
  return family.resolve ? family.resolve(input) : family;
}

/** Registers tuneflow's custom layers with tfjs, so checkpoints that use them load. Idempotent. */
export function registerCustomLayers(tf: Tf): void {
  randomFourierLayer(tf);
  attentionLayers(tf);
}

/** The model input of a data set: its kind, shape, classes (and vocabulary for sequences). */
export function modelInput(
  dataset:
    | { kind: 'image'; inputShape: [number, number, number]; numClasses: number }
    | { kind: 'sequence'; inputShape: [number]; numClasses: number; vocabularySize: number }
    | { kind: 'series'; inputShape: [number, number]; numClasses: number },
  seed: number,
): ModelInput {
  if (dataset.kind === 'image') return { kind: 'image', inputShape: dataset.inputShape, numClasses: dataset.numClasses, seed };
  if (dataset.kind === 'series') return { kind: 'series', inputShape: dataset.inputShape, numClasses: dataset.numClasses, seed };
  return { kind: 'sequence', inputShape: dataset.inputShape, vocabularySize: dataset.vocabularySize, numClasses: dataset.numClasses, seed };
}

export type { ImageInput, ModelFamily, ModelInput, ModelLoss, SequenceInput, SeriesInput } from './types';
