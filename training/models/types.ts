// What a model family provides. `hyper` is the merged configuration {...spec.model.options, ...params}:
// a family reads the keys it documents in `hyperparameters` and ignores the rest (training keys such as
// learningRate are read by the optimizer; keys nobody reads are rejected in training/config.ts).
import type { LayersModel } from '@tensorflow/tfjs';
import type { Tf } from '../backend';

export interface ModelInput {
  /** [height, width, channels] of one example. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Seeds weight initialization: the same seed builds the same initial weights. */
  seed: number;
}

export interface ModelFamily {
  name: string;
  description: string;
  /** Recognized keys and what they do (defaults included). */
  hyperparameters: Record<string, string>;
  /** An uncompiled model ending in a softmax over `numClasses`. */
  build(tf: Tf, input: ModelInput, hyper: Record<string, unknown>): LayersModel;
}
