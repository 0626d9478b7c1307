// What function and command trainables share: the trial description they are given, the folders, the
// replay of epochs an earlier attempt reported, the per-epoch timeout, and the checks on what they report.
// A runner (function.ts, command.ts) only starts the user's code and feeds its reports to a Session.
import { mkdir } from 'node:fs/promises';
import { objectiveMetrics } from '../../spec/objective';
import type { ExperimentSpec, TrainableSpec } from '../../spec/types';
import type { Params } from '../../search/space-types';
import { TrainableError } from '../errors';
import type { EvaluateRequest, JobIdentity, SegmentRequest, SegmentResult } from '../types';
import { realRoots } from './access';
import { EpochRecorder, trainableDirs } from './reports';

export type Stage = 'search' | 'retrain' | 'evaluate';

/** What a trainable is told about its job (docs/trainables-protocol.md: the trial file). */
export interface TrialInfo {
  protocol: 1;
  campaign: string;
  trial: number;
  stage: Stage;
  params: Params;
  seed: number;
  fromEpoch: number;
  toEpoch: number;
  totalEpochs: number;
  checkpointDir: string;
  artifactsDir: string;
  resultsFile: string;
  dataset: { name: string; options: Record<string, unknown> } | null;
}

/** What a runner needs to run the user's code once. */
export interface RunRequest {
  info: TrialInfo;
  dirs: ReturnType<typeof trainableDirs>;
  session: Session;
  signal: AbortSignal | undefined;
  /** Real paths of the folders the worker runs code from. */
  trainablesRoots: readonly string[];
  commandVariables: Record<string, string>;
}

/** Runs the user's code once for a segment (or the evaluate stage); resolves when it has ended. */
export type Runner = (run: RunRequest) => Promise<void>;

/** Every epoch must carry the objectives' and the constraints' metrics. */
function requiredMetrics(spec: ExperimentSpec): string[] {
  return [...new Set([...spec.objective.flatMap(objectiveMetrics), ...(spec.search.constraints ?? []).map((c) => c.metric)])];
}

/**
 * One run of the user's code: passes reports on in order (each recorded, then handed to `onEpoch`) and
 * fails it when no epoch arrives within the spec's epochTimeout.
 */
export class Session {
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failTimeout: ((error: Error) => void) | undefined;
  readonly final: Record<string, number> = {};
  /** Rejects when the code has reported nothing for epochTimeout: race the code's run against it. */
  readonly timedOut: Promise<never>;

  constructor(
    private readonly recorder: EpochRecorder | null,
    private readonly onEpoch: SegmentRequest['onEpoch'],
    private readonly timeoutSeconds: number,
    private readonly source: string,
    /** The code runs inside this process (a function): after a timeout it may still be running here. */
    private readonly inProcess: boolean,
  ) {
    this.timedOut = new Promise<never>((_, reject) => (this.failTimeout = reject));
    this.timedOut.catch(() => undefined);
    this.rearm();
  }

  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.failTimeout?.(new TrainableError(`${this.source} reported no epoch for ${this.timeoutSeconds} s (trainable.epochTimeout); it was stopped`, this.inProcess)),
      this.timeoutSeconds * 1000,
    );
  }

  /** Reports are handled one at a time, in the order they came. */
  report(epoch: number, metrics: Record<string, number>): Promise<void> {
    const handled = this.chain.then(async () => {
      this.rearm();
      if (!this.recorder) return; // the evaluate stage takes final metrics only
      const accepted = await this.recorder.accept(epoch, metrics);
      if (accepted) await this.onEpoch?.(accepted);
    });
    this.chain = handled.catch(() => undefined);
    return handled;
  }

  reportFinal(metrics: Record<string, number>): Promise<void> {
    const handled = this.chain.then(() => {
      const nonFinite = Object.keys(metrics).filter((name) => !Number.isFinite(metrics[name]));
      if (nonFinite.length > 0) throw new TrainableError(`${this.source} reported non-finite final metrics: ${nonFinite.join(', ')}`);
      Object.assign(this.final, metrics);
    });
    this.chain = handled.catch(() => undefined);
    return handled;
  }

  /** Waits for reports still being handled; then no timer is left. */
  async settle(): Promise<void> {
    await this.chain;
    this.close();
  }

  close(): void {
    clearTimeout(this.timer);
  }
}

function trialInfo(
  spec: ExperimentSpec,
  job: JobIdentity | undefined,
  stage: Stage,
  run: { params: Params; seed: number; fromEpoch: number; toEpoch: number; totalEpochs: number },
  dirs: ReturnType<typeof trainableDirs>,
): TrialInfo {
  return {
    protocol: 1,
    campaign: job?.campaign ?? '',
    trial: job?.trial ?? 0,
    stage,
    ...run,
    checkpointDir: dirs.checkpoints,
    artifactsDir: dirs.artifacts,
    resultsFile: dirs.results,
    dataset: spec.dataset.name ? spec.dataset : null,
  };
}

async function makeDirs(jobDir: string): Promise<ReturnType<typeof trainableDirs>> {
  const dirs = trainableDirs(jobDir);
  for (const dir of [dirs.checkpoints, dirs.artifacts, dirs.own]) await mkdir(dir, { recursive: true });
  return dirs;
}

/** Runs the user's code once; the run counts as done only when every report it made has been handled. */
async function runOnce(
  runner: Runner,
  trainable: TrainableSpec,
  source: string,
  job: Pick<RunRequest, 'info' | 'dirs' | 'signal'>,
  worker: { trainablesRoots?: readonly string[]; commandVariables?: Record<string, string> },
  recorder: EpochRecorder | null,
  onEpoch?: SegmentRequest['onEpoch'],
): Promise<Session> {
  const session = new Session(recorder, onEpoch, trainable.epochTimeoutSeconds, source, trainable.kind === 'function');
  try {
    await runner({ ...job, session, trainablesRoots: await realRoots(worker.trainablesRoots), commandVariables: worker.commandVariables ?? {} });
    await session.settle();
  } finally {
    session.close();
  }
  return session;
}

/** Trains a segment with the user's code; see reports.ts for how retries replay and deduplicate epochs. */
export async function trainableSegment(req: SegmentRequest, trainable: TrainableSpec, source: string, runner: Runner): Promise<SegmentResult> {
  const started = performance.now();
  const dirs = await makeDirs(req.checkpointDir);
  const recorder = await EpochRecorder.open(dirs.reports, req, requiredMetrics(req.spec), source);
  for (const epoch of recorder.epochs()) await req.onEpoch?.(epoch);
  if (!recorder.complete) {
    const stage = req.job?.stage ?? 'search';
    const totalEpochs = req.totalEpochs ?? req.spec.training.epochs;
    const info = trialInfo(req.spec, req.job, stage, { params: req.params, seed: req.seed, fromEpoch: req.fromEpoch, toEpoch: req.toEpoch, totalEpochs }, dirs);
    await runOnce(runner, trainable, source, { info, dirs, signal: req.signal }, req, recorder, req.onEpoch);
  }
  const epochs = recorder.finish();
  const trained = epochs.slice(epochs.length - recorder.trainedNow);
  return {
    epochs,
    checkpoint: dirs.checkpoints,
    trainSeconds: trained.reduce((sum, e) => sum + e.seconds, 0),
    wallSeconds: (performance.now() - started) / 1000,
    trainedEpochs: recorder.trainedNow,
    backend: trainable.kind,
    files: { log: dirs.log, artifactsDir: dirs.artifacts },
  };
}

/** The evaluate stage (after a retrain, when the spec asks for it): the code's final metrics. */
export async function trainableEvaluate(req: EvaluateRequest, trainable: TrainableSpec, source: string, runner: Runner): Promise<Record<string, number>> {
  if (!req.checkpointDir || req.epoch === undefined) throw new TrainableError('the evaluate stage needs the job folder and its final epoch');
  const dirs = await makeDirs(req.checkpointDir);
  const info = trialInfo(req.spec, req.job, 'evaluate', { params: req.params, seed: req.spec.seed, fromEpoch: req.epoch, toEpoch: req.epoch, totalEpochs: req.epoch }, dirs);
  const session = await runOnce(runner, trainable, source, { info, dirs, signal: undefined }, req, null);
  return { ...session.final };
}
