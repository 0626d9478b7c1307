// Training activities: run epoch segments and evaluations through the training engine, each in one of
// the worker's training processes (a crash there fails one attempt, not the worker), heartbeat while
// that process shows progress, and log every finished epoch to the trial's MLflow run as it happens.
// The job folder is local; the checkpoint store (stores/) restores it before a segment or an evaluation
// and saves it after every epoch, so a segment resumes on any worker.
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { join, sep } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import { findRun, logMetricsOnce, RunWriter } from '../mlflow/runs';
import type { ExperimentSpec } from '../spec/types';
import { addStats, createCheckpointStore, NO_TRANSFER, type CheckpointStore, type StoredJob, type StoreKind, type TransferStats } from '../stores';
import { exportModel, NON_RETRYABLE_ERROR_NAMES, trainableDirs, type JobIdentity, type SegmentResult, type TrainingProcessPool } from '../training';
import { beatWhile } from './heartbeat';
import { checkpointDir, jobName, runKey, segmentKnowledge, segmentWithRun } from './job';
import { uploadTrainableFiles } from './trainable-files';
import { exploitCheckpoint } from './pbt';
import type { EvaluateInput, ExploitInput, RunRef, SegmentInput, SegmentOutput } from './types';

export interface TrainingDeps {
  mlflow: MlflowClient;
  /** Root of the local job folders: the checkpoint store itself (`local`), or this worker's cache of it (`mlflow`). */
  checkpointRoot: string;
  /** Where the job folders' durable copies live (TUNEFLOW_CHECKPOINT_STORE; default `local`). */
  checkpointStore?: StoreKind;
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
  /** `graph` (TensorFlow graph mode, training/graph/) or `eager` (tfjs model.fit) for the job's last segment. */
  engine: 'tuneflow.engine',
  /** Why that segment trained eagerly (an unsupported layer, TUNEFLOW_ENGINE=eager, no addon). */
  engineReason: 'tuneflow.engine_reason',
} as const;

export { checkpointDir, jobName };

/** `tuneflow.engine` (and why it was eager) for a segment's result; none for a trainable's. */
export function engineTags(result: Pick<SegmentResult, 'engine' | 'engineReason'>): Record<string, string> {
  if (!result.engine) return {};
  // MLflow tag values are limited in size; the reason's first line says enough.
  return { [RUN_TAGS.engine]: result.engine, ...(result.engineReason ? { [RUN_TAGS.engineReason]: result.engineReason.split('\n')[0]!.slice(0, 500) } : {}) };
}

/** The exported model (evaluateRun writes `<job>/model/`) is a copy of a checkpoint: never mirrored. */
const isExportedModel = (path: string): boolean => path === 'model' || path.startsWith('model/');

function storeOf(deps: TrainingDeps): CheckpointStore {
  return createCheckpointStore({
    kind: deps.checkpointStore ?? 'local',
    root: deps.checkpointRoot,
    mlflow: deps.mlflow,
    ignore: isExportedModel,
    warn: (message) => log.warn(message),
  });
}

function storedJob(deps: TrainingDeps, ref: RunRef, runId: string | undefined): StoredJob {
  return { dir: checkpointDir(deps.checkpointRoot, ref), name: `${jobName(ref)} of ${ref.campaignId}`, ...(runId ? { runId } : {}) };
}

const formatBytes = (bytes: number): string => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(2)} MiB`);

/** One line per segment with what the store moved, e.g. for measuring its cost. */
function logTransfers(store: CheckpointStore, job: StoredJob, restored: TransferStats, saved: TransferStats, epochs: number): void {
  if (!store.remote) return;
  log.info(
    `checkpoint store ${store.kind}: ${job.name}: restored ${restored.files} files (${formatBytes(restored.bytes)}) in ${restored.requests} requests, ` +
      `${restored.ms.toFixed(0)} ms; saved ${saved.files} files (${formatBytes(saved.bytes)}) in ${saved.requests} requests, ${saved.ms.toFixed(0)} ms, over ${epochs} epoch reports`,
    { restoredBytes: restored.bytes, restoredRequests: restored.requests, restoreMs: Math.round(restored.ms), savedBytes: saved.bytes, savedRequests: saved.requests, saveMs: Math.round(saved.ms), epochs },
  );
}

/**
 * A checkpoint path that another worker returned (`<its root>/<campaign>/<job>/epoch-4`) as the same place
 * in this worker's job folder: with a remote store the roots differ, the folder below them does not.
 */
export function localCheckpoint(checkpoint: string, jobDir: string): string {
  const tail = `${sep}${join(jobDir.split(sep).at(-2)!, jobDir.split(sep).at(-1)!)}`;
  if (checkpoint === jobDir || checkpoint.startsWith(`${jobDir}${sep}`)) return checkpoint;
  const at = checkpoint.lastIndexOf(`${tail}${sep}`);
  if (at >= 0) return join(jobDir, checkpoint.slice(at + tail.length + 1));
  return checkpoint.endsWith(tail) ? jobDir : checkpoint;
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
async function keepTrainableFiles(deps: TrainingDeps, input: (SegmentInput & { runId: string }) | EvaluateInput): Promise<void> {
  if (!input.spec.trainable) return;
  const dirs = trainableDirs(checkpointDir(deps.checkpointRoot, input));
  await uploadTrainableFiles(deps.mlflow, input.runId, dirs).catch((error: unknown) =>
    log.warn(`could not upload the files of ${jobName(input)}: ${error instanceof Error ? error.message : String(error)}`),
  );
}

export function trainingActivities(deps: TrainingDeps) {
  const store = storeOf(deps);
  return {
    trainSegment: (input: SegmentInput) => failingFast(() => trainSegment(deps, store, input)),
    deleteCheckpoints: (ref: RunRef) => failingFast(() => beatWhile(() => deleteCheckpoints(deps, store, ref))),
    evaluateRun: (input: EvaluateInput) => failingFast(() => evaluateRun(deps, store, input)),
    exploitCheckpoint: (input: ExploitInput) =>
      failingFast(() => beatWhile(() => exploitCheckpoint(store, storedJob(deps, input.donor, input.donor.runId), storedJob(deps, input.recipient, input.recipient.runId), input))),
  };
}

/** The job is over: its files leave the store and this worker's folder (a remote store needs the job's run, looked up by its key). */
async function deleteCheckpoints(deps: TrainingDeps, store: CheckpointStore, ref: RunRef): Promise<void> {
  const runId = store.remote ? (await findRun(deps.mlflow, ref.tracking.experimentId, runKey(ref)))?.info.runId : undefined;
  await store.remove(storedJob(deps, ref, runId));
}

async function trainSegment(deps: TrainingDeps, store: CheckpointStore, request: SegmentInput): Promise<SegmentOutput> {
  const info = Context.current().info;
  const input = await beatWhile(() => segmentWithRun(deps.mlflow, request, info));
  const job = storedJob(deps, input, input.runId);
  const restored = await beatWhile(() => store.restore(job));
  const saved = { stats: NO_TRANSFER, epochs: 0 };
  let output: SegmentOutput;
  try {
    output = await trainAndLog(deps, input, async () => {
      saved.stats = addStats(saved.stats, await store.save(job));
      saved.epochs += 1;
    });
  } finally {
    await keepTrainableFiles(deps, input);
  }
  // The segment's end: the engine removed the epochs between its boundaries, and a trainable's files went to the run.
  saved.stats = addStats(saved.stats, await beatWhile(() => store.save(job)));
  logTransfers(store, job, restored, saved.stats, saved.epochs);
  return request.runId ? output : { ...output, runId: input.runId };
}

async function trainAndLog(deps: TrainingDeps, input: SegmentInput & { runId: string }, afterEpoch: () => Promise<void>): Promise<SegmentOutput> {
  const ctx = Context.current();
  const graceMs = abortGraceMs(input.spec);
  // The run is read once for the segment (its logged steps and tags), so each epoch costs one request; a
  // first attempt knows what is on the run and reads it only for the tags of a later segment.
  const run = new RunWriter(deps.mlflow, input.runId, segmentKnowledge(ctx.info, input));
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
        // The checkpoint is stored before the epoch is logged, so an epoch MLflow shows is never trained again.
        // The training process waits for this: the epoch's checkpoint is on disk and stays as it is meanwhile.
        await afterEpoch();
        // A retried segment reports epochs already logged again; the writer skips steps the run already has.
        await run.logEpochs([e]);
      },
    },
    { onAlive: () => ctx.heartbeat(), ...(graceMs ? { abortGraceMs: graceMs } : {}) },
  );
  // Where the job trained, so a run shows which queue, backend and device served it (sent only when they changed).
  const tags: Record<string, string> = { [RUN_TAGS.taskQueue]: ctx.info.taskQueue, [RUN_TAGS.backend]: result.backend };
  if (result.device) tags[RUN_TAGS.device] = result.device;
  Object.assign(tags, engineTags(result));
  if (result.engine) {
    const why = result.engine === 'eager' ? `: ${result.engineReason ?? 'no reason given'}` : '';
    log.info(`${jobName(input)} of ${input.campaignId} trained on the ${result.engine} engine${why}`, { engine: result.engine });
  }
  // `auto` picks the family from the data: record the pick.
  if (result.family && result.family !== input.spec.model.family) tags[RUN_TAGS.resolvedFamily] = result.family;
  await run.setTags(tags);
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

async function evaluateRun(deps: TrainingDeps, store: CheckpointStore, input: EvaluateInput): Promise<Record<string, number>> {
  const ctx = Context.current();
  const trainable = input.spec.trainable;
  const job = storedJob(deps, input, input.runId);
  // The last segment may have trained on another worker: its checkpoint is fetched here first.
  const restored = await beatWhile(() => store.restore(job));
  if (restored.files > 0) log.info(`checkpoint store ${store.kind}: ${job.name}: restored ${restored.files} files (${formatBytes(restored.bytes)}) to evaluate it`);
  const checkpoint = store.remote ? localCheckpoint(input.checkpoint, job.dir) : input.checkpoint;
  const metrics = await deps.trainingProcesses.evaluateCheckpoint(
    {
      spec: input.spec,
      params: input.params,
      checkpoint,
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
      const files = await exportModel(checkpoint, dir);
      for (const file of files) await deps.mlflow.logArtifact(input.runId, `model/${file.name}`, file.content);
    }
    return metrics;
  });
}
