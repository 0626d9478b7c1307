// The unit of work: a trainable trains one job's epochs in segments and evaluates the result. Three kinds
// behind one interface, so the workflow and the activities never ask which one a spec uses:
// - tuneflow's engine (built-in families and a user's model module; training/segment.ts),
// - a user's async function (function.ts),
// - any program speaking the results-file protocol (command.ts).
import type { ExperimentSpec } from '../../spec/types';
import { evaluateCheckpoint, trainSegment } from '../segment';
import type { EvaluateRequest, SegmentRequest, SegmentResult } from '../types';
import { commandRunner, commandSource } from './command';
import { functionRunner, functionSource } from './function';
import { trainableEvaluate, trainableSegment, type Runner } from './session';

export interface Trainable {
  /** Trains epochs (fromEpoch, toEpoch]; a retry after a kill resumes from the last checkpoint and reports each epoch once. */
  trainSegment(req: SegmentRequest): Promise<SegmentResult>;
  /** Test metrics of the job's final state (`test_loss`, `test_accuracy`, or what the user's code reports); {} when it has none. */
  evaluate(req: EvaluateRequest): Promise<Record<string, number>>;
}

const engine: Trainable = { trainSegment, evaluate: evaluateCheckpoint };

function userCode(spec: NonNullable<ExperimentSpec['trainable']>, source: string, runner: Runner): Trainable {
  return {
    trainSegment: (req) => trainableSegment(req, spec, source, runner),
    evaluate: (req) => (spec.evaluate ? trainableEvaluate(req, spec, source, runner) : Promise.resolve({})),
  };
}

export function trainableFor(spec: ExperimentSpec): Trainable {
  const trainable = spec.trainable;
  if (!trainable) return engine;
  return trainable.kind === 'function'
    ? userCode(trainable, functionSource(trainable), functionRunner(trainable))
    : userCode(trainable, commandSource(trainable), commandRunner(trainable));
}

export { killAllPrograms } from './command';
export { realRoots } from './access';
export { moduleFamily } from './model-module';
