// Training activities: run epoch segments and evaluations through the training engine, each in one of
// the worker's training processes (a crash there fails one attempt, not the worker), heartbeat while
// that process shows progress, and log every finished epoch to the trial's MLflow run as it happens.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import { logEpochMetrics, logMetricsOnce } from '../mlflow/runs';
import type { ExperimentSpec } from '../spec/types';
import { exportModel, NON_RETRYABLE_ERROR_NAMES, trainableDirs, type JobIdentity, type TrainingProcessPool } from '../training';
import { beatWhile } from './heartbeat';
import { uploadTrainableFiles } from './trainable-files';
import type { EvaluateInput, RunRef, SegmentInput, SegmentOutput } from './types';

export interface TrainingDeps {
  mlflow: MlflowClient;
  /** Root of the checkpoint store all training workers share. */
  checkpointRoot: string;
  /** The child processes segments and evaluations run in (see training/child/pool.ts). */
  trainingProcesses: TrainingProcessPool;
  /** Folders this worker runs user code from (`--trainables-root`); default its working folder. */
  trainablesRoots?: string[];
  /** Variables a command trainable's `${NAME}` may use when the worker's environment lacks them (e.g. TUNEFLOW_EXAMPLES_PYTHON). */
  commandVariables?: Record<string, string>;
}

export const RUN_TAGS = {
  /** The family `auto` picked for the trial's data (cnn, lstm or mlp). */
  resolvedFamily: 'model.resolved_family',
  /** The task queue, TensorFlow.js backend and device (cpu or gpu) of the job's last segment. */
  taskQueue: 'tuneflow.task_queue',
  backend: 'tuneflow.backend',
  device: 'tuneflow.device',
} as const;

/** `trial-<n>` or `retrain-<n>-seed<k>`, as the MLflow run is named. */
export function jobName(ref: RunRef): string {
  return ref.stage === 'retrain' ? `retrain-${ref.trialNumber}-seed${ref.seedIndex}` : `trial-${ref.trialNumber}`;
}

/** `<root>/<campaign>/<job>`: named by campaign and job, so every retry finds the same checkpoints. */
export function checkpointDir(root: string, ref: RunRef): string {
  return join(root, ref.campaignId.replace(/[^A-Za-z0-9._-]/g, '_'), jobName(ref));
}

/**
 * The training errors that retrying cannot fix leave as non-retryable failures, named by their class, so
 * the workflow's retry policy needs no list of names to keep in sync.
 */
async function failingFast<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && NON_RETRYABLE_ERROR_NAMES.includes(err.name)) throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
    throw err;
  }
}

/** What user code is told about the job, and what the worker allows it. */
function userCodeSettings(deps: TrainingDeps, ref: RunRef): { job: JobIdentity; trainablesRoots?: string[]; commandVariables?: Record<string, string> } {
  return {
    job: { campaign: ref.campaignId, trial: ref.trialNumber, stage: ref.stage },
    ...(deps.trainablesRoots ? { trainablesRoots: deps.trainablesRoots } : {}),
    ...(deps.commandVariables ? { commandVariables: deps.commandVariables } : {}),
  };
}

/** A program gets its grace period to exit before the training process is replaced (plus time to report back). */
function abortGraceMs(spec: ExperimentSpec): number | undefined {
  return spec.trainable?.kind === 'command' ? (spec.trainable.gracePeriodSeconds + 5) * 1000 : undefined;
}

/** After a trainable ran (whatever the outcome): its log and artifacts onto the run. Best effort: the outcome stands. */
async function keepTrainableFiles(deps: TrainingDeps, input: SegmentInput | EvaluateInput): Promise<void> {
  if (!input.spec.trainable) return;
  const dirs = trainableDirs(checkpointDir(deps.checkpointRoot, input));
  await uploadTrainableFiles(deps.mlflow, input.runId, dirs).catch((error: unknown) =>
    log.warn(`could not upload the files of ${jobName(input)}: ${error instanceof Error ? error.message : String(error)}`),
  );
}

export function trainingActivities(deps: TrainingDeps) {
  return {
    trainSegment: (input: SegmentInput) => failingFast(() => trainSegment(deps, input)),
    deleteCheckpoints: (ref: RunRef) => failingFast(() => rm(checkpointDir(deps.checkpointRoot, ref), { recursive: true, force: true })),
    evaluateRun: (input: EvaluateInput) => failingFast(() => evaluateRun(deps, input)),
  };
}

async function trainSegment(deps: TrainingDeps, input: SegmentInput): Promise<SegmentOutput> {
  try {
    return await trainAndLog(deps, input);
  } finally {
    await keepTrainableFiles(deps, input);
  }
}

async function trainAndLog(deps: TrainingDeps, input: SegmentInput): Promise<SegmentOutput> {
  const ctx = Context.current();
  const graceMs = abortGraceMs(input.spec);
  // Heartbeats follow the training process: a hung one stops them, and the heartbeat timeout retries the segment.
  const result = await deps.trainingProcesses.trainSegment(
    {
      ...userCodeSettings(deps, input),
      spec: input.spec,
      params: input.params,
      seed: input.seed,
      fromEpoch: input.fromEpoch,
      toEpoch: input.toEpoch,
      // What a cosine learning-rate schedule spans: the whole job, not this segment.
      totalEpochs: input.stage === 'retrain' ? input.spec.retrain.epochs : input.spec.training.epochs,
      checkpointDir: checkpointDir(deps.checkpointRoot, input),
      signal: ctx.cancellationSignal,
      onEpoch: async (e) => {
        ctx.heartbeat({ epoch: e.epoch });
        // A retried segment reports epochs already logged again; the helper skips steps the run already has.
        await logEpochMetrics(deps.mlflow, input.runId, [e]);
      },
    },
    { onAlive: () => ctx.heartbeat(), ...(graceMs ? { abortGraceMs: graceMs } : {}) },
  );
  // Where the job trained, so a run shows which queue, backend and device served it (setting a tag again is harmless).
  const tags: Record<string, string> = { [RUN_TAGS.taskQueue]: ctx.info.taskQueue, [RUN_TAGS.backend]: result.backend };
  if (result.device) tags[RUN_TAGS.device] = result.device;
  // `auto` picks the family from the data: record the pick.
  if (result.family && result.family !== input.spec.model.family) tags[RUN_TAGS.resolvedFamily] = result.family;
  await deps.mlflow.logBatch({ runId: input.runId, tags });
  // Epochs before `resumedFrom` came from checkpoints of an earlier attempt (a killed worker or training process).
  const resumedFrom = input.toEpoch - result.trainedEpochs;
  if (resumedFrom > input.fromEpoch) {
    log.info(`resumed ${jobName(input)} of ${input.campaignId} from epoch ${resumedFrom} checkpoint`, { attempt: ctx.info.attempt });
  }
  return {
    epochs: result.epochs.map((e) => ({ epoch: e.epoch, metrics: e.metrics })),
    checkpoint: result.checkpoint,
    trainSeconds: result.trainSeconds,
    backend: result.backend,
  };
}

async function evaluateRun(deps: TrainingDeps, input: EvaluateInput): Promise<Record<string, number>> {
  const ctx = Context.current();
  const trainable = input.spec.trainable;
  const metrics = await deps.trainingProcesses.evaluateCheckpoint(
    {
      spec: input.spec,
      params: input.params,
      checkpoint: input.checkpoint,
      split: 'test',
      ...userCodeSettings(deps, input),
      checkpointDir: checkpointDir(deps.checkpointRoot, input),
      epoch: input.spec.retrain.epochs,
    },
    { onAlive: () => ctx.heartbeat(), signal: ctx.cancellationSignal },
  ).finally(() => (trainable?.evaluate ? keepTrainableFiles(deps, input) : undefined));
  // Logging and the model export happen here in the worker: heartbeat on a timer meanwhile.
  return beatWhile(async () => {
    await logMetricsOnce(deps.mlflow, input.runId, metrics);
    // A trainable's model is whatever it wrote to its artifacts folder (uploaded with its files).
    if (input.exportModel && !trainable) {
      const dir = join(checkpointDir(deps.checkpointRoot, input), 'model');
      const files = await exportModel(input.checkpoint, dir);
      for (const file of files) await deps.mlflow.logArtifact(input.runId, `model/${file.name}`, file.content);
    }
    return metrics;
  });
}
