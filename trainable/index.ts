// The contract between tuneflow and a user's own code (`import type { ... } from 'tuneflow/trainable'`):
// a model module builds a tfjs model that tuneflow's engine trains; a function trainable trains by itself
// and reports each epoch. Types only: a user module needs no runtime import of tuneflow.
import type * as tfjs from '@tensorflow/tfjs';

/** A trial's parameters: the sampled search-space values and the spec's `model.options`. */
export type TrialParams = Record<string, number | string | boolean>;

/** What a model module's build function gets. */
export interface ModelBuildContext {
  params: TrialParams;
  /** Images: [height, width, channels]; token sequences: [length]. */
  inputShape: number[];
  numClasses: number;
  /** Token sequences only: ids are 0..vocabularySize-1, 0 is padding. */
  vocabularySize?: number;
  /** Seeds weight initialization: pass it to initializers so a retried trial builds the same weights. */
  seed: number;
  /** The TensorFlow.js namespace the worker loaded (native backend): build with this one, not your own import. */
  tf: typeof tfjs;
}

/**
 * `model: {module: ./models/net.ts, export: build}`: returns an UNCOMPILED model with one softmax output
 * per class; tuneflow compiles it (optimizer, learning rate, categorical cross-entropy), trains, checkpoints
 * and evaluates it like a built-in family.
 *
 * @example
 * import type { ModelBuilder } from 'tuneflow/trainable';
 * export const build: ModelBuilder = ({ tf, params, inputShape, numClasses }) =>
 *   tf.sequential({ layers: [
 *     tf.layers.flatten({ inputShape }),
 *     tf.layers.dense({ units: Number(params.units ?? 64), activation: 'relu' }),
 *     tf.layers.dense({ units: numClasses, activation: 'softmax' }),
 *   ] });
 */
export type ModelBuilder = (context: ModelBuildContext) => tfjs.LayersModel;

export type TrainableStage = 'search' | 'retrain' | 'evaluate';

/** What a function trainable gets, once per training segment. */
export interface TrainableContext {
  params: TrialParams;
  /** Seeds your initialization and data order; differs per retrain seed. */
  seed: number;
  /** `search` (a trial), `retrain` (a top configuration trained again), `evaluate` (after a retrain, when the spec sets `evaluate: true`). */
  stage: TrainableStage;
  /** The campaign's workflow id and the trial's number. */
  campaign: string;
  trial: number;
  /** Epochs already done: train fromEpoch+1 .. toEpoch (evaluate: both are the final epoch). */
  fromEpoch: number;
  toEpoch: number;
  /** Epochs of the whole job (`training.epochs`, or `retrain.epochs` when retraining), e.g. for a schedule. */
  totalEpochs: number;
  /**
   * Yours, and it survives retries: save a checkpoint here after each epoch. When it holds a later
   * epoch than fromEpoch (a retry after a killed worker), resume from it and train only what is left.
   */
  checkpointDir: string;
  /** Files written here become MLflow artifacts of the trial's run. */
  artifactsDir: string;
  /** The spec's `dataset`, if it names one ({name, options}); null otherwise. */
  dataset: { name: string; options: Record<string, unknown> } | null;
  /** Aborts when the trial is pruned, cancelled or times out: stop at the next batch and return. */
  signal: AbortSignal;
  /**
   * After each finished epoch: its metrics (must include the objective's). Resolves once tuneflow has
   * recorded it; an epoch reported again after a retry is ignored.
   */
  report(epoch: number, metrics: Record<string, number>): Promise<void>;
  /** Evaluate stage: the final metrics (e.g. `test_accuracy`). */
  reportFinal(metrics: Record<string, number>): Promise<void>;
}

/**
 * `trainable: {module: ./train.ts, export: train}`.
 *
 * @example
 * import type { TrainFunction } from 'tuneflow/trainable';
 * export const train: TrainFunction = async (ctx) => {
 *   let state = await loadState(ctx.checkpointDir); // yours: { epoch: 0, ... } when there is none
 *   for (let epoch = Math.max(ctx.fromEpoch, state.epoch) + 1; epoch <= ctx.toEpoch && !ctx.signal.aborted; epoch++) {
 *     state = await trainOneEpoch(state, ctx.params);
 *     await saveState(ctx.checkpointDir, state);
 *     await ctx.report(epoch, { val_accuracy: state.valAccuracy, loss: state.loss });
 *   }
 * };
 */
export type TrainFunction = (context: TrainableContext) => Promise<void>;
