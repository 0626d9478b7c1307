// What a model family provides. `hyper` is the merged configuration {...spec.model.options, ...params}:
// a family reads the keys it documents in `hyperparameters` and ignores the rest (training keys such as
// learningRate are read by the optimizer; keys nobody reads are rejected in training/config.ts).
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import type { LossKind } from '../loss';

interface ModelInputBase {
  numClasses: number;
  /** Seeds weight initialization: the same seed builds the same initial weights. */
  seed: number;
}

/** Images [height, width, channels] (feature vectors arrive as 1 x d x 1 images). */
export interface ImageInput extends ModelInputBase {
  kind: 'image';
  inputShape: [number, number, number];
}

/** Token id sequences [maxLength], ids in 0..vocabularySize-1, 0 = padding. */
export interface SequenceInput extends ModelInputBase {
  kind: 'sequence';
  inputShape: [number];
  vocabularySize: number;
}

/**
 * Multivariate time series [steps, features] of floats, with `numClasses` real-valued targets: the model
 * ends in a linear layer of that width (regression), not a softmax.
 */
export interface SeriesInput extends ModelInputBase {
  kind: 'series';
  inputShape: [number, number];
}

export type ModelInput = ImageInput | SequenceInput | SeriesInput;

/** A loss: a tfjs loss name, or a function of (one-hot targets, model outputs) giving one loss per example. */
export type ModelLoss = string | ((yTrue: Tensor, yPred: Tensor) => Tensor);

export interface ModelFamily {
  name: string;
  description: string;
  /** Recognized keys and what they do (defaults included). */
  hyperparameters: Record<string, string>;
  /**
   * Checks the values of the keys it documents (others are ignored) without building anything: spec
   * loading calls it on model options and fixed parameters. Throws InvalidConfigurationError.
   */
  validateOptions(hyper: Record<string, unknown>): void;
  /**
   * An uncompiled model with one output per class: softmax probabilities trained with categorical
   * cross-entropy, unless the family declares its own `loss` (then raw scores, e.g. SVM margins).
   */
  build(tf: Tf, input: ModelInput, hyper: Record<string, unknown>): LayersModel;
  /**
   * The training loss when it is not categorical cross-entropy (read at compile time, also on resume).
   * Declaring it is the flag that the family has its own loss: callers test its presence, never build it.
   */
  loss?(tf: Tf, hyper: Record<string, unknown>): ModelLoss;
  /** Which of the losses the graph engine knows `loss` computes; without it the family trains eagerly. */
  lossKind?(hyper: Record<string, unknown>): LossKind;
  /** A user's model module reads whatever keys it likes: no key is refused as unknown. */
  acceptsAnyKey?: boolean;
  /** For families that delegate (`auto`): the family that builds for this input. */
  resolve?(input: ModelInput): ModelFamily;
}
