// An epoch's validation pass (val_loss and the compiled metrics, TASK_METRICS order): inside the graph
// engine for a trial that trains on it (a forward pass in inference mode over the engine's variables,
// large batches, one session run each: no weights to pull and no eager dispatch per op), else tfjs's
// model.evaluate. Both compute what model.evaluate does: the loss without weight penalties, dropout off,
// batch normalization with its moving statistics, batch means weighted by batch size.
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './backend';
import type { Evaluation, GraphEngine } from './graph';
import type { SplitArrays } from './split-arrays';

export type { Evaluation } from './graph';

/** Batch size for eager validation and test passes: larger than training batches, same results. */
const EVAL_BATCH_SIZE = 256;

/** tfjs's model.evaluate on a compiled model. */
export async function evaluateEager(tf: Tf, model: LayersModel, x: Tensor, y: Tensor): Promise<Evaluation> {
  const outputs = model.evaluate(x, y, { batchSize: EVAL_BATCH_SIZE }) as Tensor[];
  try {
    const [loss, ...values] = await Promise.all(outputs.map(async (t) => (await t.data())[0]!));
    return { loss: loss!, values };
  } finally {
    tf.dispose(outputs);
  }
}

/**
 * A validation split as the graph engine reads it (flat arrays) and as tfjs does (tensors: absent for a
 * trial on the graph engine, which never reads them).
 */
export interface ValidationData {
  arrays: SplitArrays;
  tensors: { x: Tensor; y: Tensor } | null;
}

/** The epoch's validation on the engine the trial trains on: the graph engine's (`engine`), else the tfjs model's. */
export async function validate(tf: Tf, engine: GraphEngine | null, model: LayersModel, data: ValidationData): Promise<Evaluation> {
  if (engine) return engine.evaluate(data.arrays);
  if (!data.tensors) throw new Error('eager validation needs the validation split as tensors');
  return evaluateEager(tf, model, data.tensors.x, data.tensors.y);
}
