// Function trainables: `trainable: {module: ./train.ts, export: train}`, an async function called once per
// segment in the worker's training process with a TrainableContext (trainable/index.ts). It trains, saves
// its own checkpoints and reports each epoch; pruning and cancellation reach it as an AbortSignal.
import type { TrainableContext, TrainFunction } from '../../trainable';
import type { FunctionTrainableSpec } from '../../spec/types';
import { TrainableError } from '../errors';
import { loadExport } from './load-module';
import type { Runner } from './session';

export function functionSource(spec: FunctionTrainableSpec): string {
  return `trainable ${spec.module.path}#${spec.module.export}`;
}

/** Runs the function once; a throw, a hang past epochTimeout or a cancellation ends the run. */
export function functionRunner(spec: FunctionTrainableSpec): Runner {
  return async ({ info, session, signal, trainablesRoots }) => {
    const train = (await loadExport(spec.module, trainablesRoots, 'trainable.module')) as unknown as TrainFunction;
    const controller = new AbortController();
    const abort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', abort, { once: true });
    const context: TrainableContext = {
      params: info.params,
      seed: info.seed,
      stage: info.stage,
      campaign: info.campaign,
      trial: info.trial,
      fromEpoch: info.fromEpoch,
      toEpoch: info.toEpoch,
      totalEpochs: info.totalEpochs,
      checkpointDir: info.checkpointDir,
      artifactsDir: info.artifactsDir,
      dataset: info.dataset,
      signal: controller.signal,
      report: (epoch, metrics) => session.report(epoch, metrics),
      reportFinal: (metrics) => session.reportFinal(metrics),
    };
    const cancelled = new Promise<never>((_, reject) => {
      const fail = () => reject(signal?.reason ?? new Error('cancelled'));
      if (signal?.aborted) fail();
      else signal?.addEventListener('abort', fail, { once: true });
    });
    cancelled.catch(() => undefined);
    try {
      await Promise.race([callUserCode(train, context, spec), session.timedOut, cancelled]);
    } catch (error) {
      controller.abort(error);
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  };
}

async function callUserCode(train: TrainFunction, context: TrainableContext, spec: FunctionTrainableSpec): Promise<void> {
  try {
    await train(context);
  } catch (error) {
    if (error instanceof TrainableError || (error instanceof Error && error.name === 'TrainingDivergedError')) throw error;
    if (context.signal.aborted) throw context.signal.reason;
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const where = error instanceof Error ? userFrame(error, spec.module.path) : '';
    throw new TrainableError(`${functionSource(spec)} threw ${message}${where}`);
  }
}

/** The first stack line in the user's file, so the reason says where it threw. */
function userFrame(error: Error, path: string): string {
  const line = error.stack?.split('\n').find((l) => l.includes(path));
  return line ? ` (${line.trim().replace(/^at /, 'at ')})` : '';
}
