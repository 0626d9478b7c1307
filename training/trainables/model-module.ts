// A user's model module (`model: {module: ./models/net.ts, export: build}`) as a model family: tuneflow's
// engine compiles, trains, checkpoints and evaluates what the module builds, exactly as for a built-in one.
import type { LayersModel } from '@tensorflow/tfjs';
import type { ModelBuilder } from '../../trainable';
import type { ModuleRef } from '../../spec/types';
import type { Tf } from '../backend';
import { TrainableError } from '../errors';
import type { ModelFamily, ModelInput } from '../models';
import { loadExport } from './load-module';
import { realRoots } from './access';

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'Object'})`;
  return `a ${typeof value}`;
}

/** Loads the module's builder (from under the worker's roots) and wraps it as a family. */
export async function moduleFamily(ref: ModuleRef, roots: readonly string[] | undefined): Promise<ModelFamily> {
  const builder = (await loadExport(ref, await realRoots(roots), 'model.module')) as unknown as ModelBuilder;
  const where = `model.module ${ref.path}#${ref.export}`;
  return {
    name: 'module',
    description: where,
    hyperparameters: {},
    acceptsAnyKey: true,
    validateOptions: () => undefined,
    build(tf: Tf, input: ModelInput, hyper: Record<string, unknown>): LayersModel {
      let model: unknown;
      try {
        model = builder({
          params: hyper as Record<string, number | string | boolean>,
          inputShape: [...input.inputShape],
          numClasses: input.numClasses,
          ...(input.kind === 'sequence' ? { vocabularySize: input.vocabularySize } : {}),
          seed: input.seed,
          tf,
        });
      } catch (error) {
        throw new TrainableError(`${where} threw while building the model: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (model instanceof Promise) throw new TrainableError(`${where} returned a Promise; the build function must return the model itself (not async)`);
      if (!(model instanceof tf.LayersModel)) {
        throw new TrainableError(`${where} returned ${describe(model)} instead of a tf.LayersModel (build it with the \`tf\` it is given: tf.sequential or tf.model)`);
      }
      const output = model.outputs.length === 1 ? model.outputs[0]!.shape : null;
      if (!output || output.at(-1) !== input.numClasses) {
        throw new TrainableError(`${where} built a model whose output shape is ${JSON.stringify(model.outputs.map((o) => o.shape))}; it must have one output of ${input.numClasses} classes (softmax)`);
      }
      return model;
    },
  };
}
