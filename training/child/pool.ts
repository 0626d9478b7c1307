// Training slots in child processes: one long-lived child per concurrent job, so a crash in TensorFlow's
// C library, an out-of-memory kill or a SIGKILL ends one attempt, not the worker. A child serves job
// after job and keeps its data sets loaded. Children exit when the worker's IPC channel closes, so a
// killed worker leaves no orphan training. Under vitest (TypeScript sources) the child runs the
// compiled entry in dist/, which `npm test` builds first.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { TrainingProcessExitedError } from '../errors';
import type { EpochResult, EvaluateRequest, SegmentRequest, SegmentResult } from '../types';
import { deserializeError, serializeError, type FromChild, type Job, type ToChild } from './protocol';
import { TfLogFilter } from './tf-log-filter';

export interface JobHooks {
  /** Called whenever the child shows it is working (every ~2 s and per epoch): heartbeat here. */
  onAlive?: () => void;
  onEpoch?: (epoch: EpochResult) => void | Promise<void>;
  /** Asks the child to stop; a child that has not stopped after the grace time is killed and replaced. */
  signal?: AbortSignal;
  /** This job's grace time, when it needs more than the pool's (a program given its own grace period to exit). */
  abortGraceMs?: number;
}

export interface PoolOptions {
  /** How long an aborted job may take to stop before its process is killed (default 5 s). */
  abortGraceMs?: number;
}

const STDERR_TAIL_LINES = 5;

/** The child's entry: next to this file in dist/, else (TypeScript sources) the build of the same file. */
export function childEntry(): string {
  const compiled = join(__dirname, 'main.js');
  if (existsSync(compiled)) return compiled;
  const built = join(__dirname, '..', '..', 'dist', 'training', 'child', 'main.js');
  if (existsSync(built)) return built;
  throw new Error(`cannot find the training process entry ${built}: run \`npm run build\` first`);
}

interface InFlight {
  id: number;
  what: string;
  hooks: JobHooks;
  settle(error: Error | null, result?: unknown): void;
}

/** One child process and the job it runs now, if any. */
class Slot {
  readonly proc: ChildProcess;
  /** Resolves once the process has exited and its output is read. */
  readonly closed: Promise<void>;
  exited = false;
  /** Serves no further job (its child reported user code that may still run): stopped once its job settles. */
  retired = false;
  /** The trial folder of the last segment it ran: its child may keep that trial's graph engine (training/graph/reuse.ts). */
  lastTrial: string | null = null;
  private job: InFlight | null = null;
  private nextId = 0;
  private stderrTail = '';

  constructor(
    entry: string,
    private readonly abortGraceMs: number,
  ) {
    // Advanced serialization: typed arrays and nested data cross as they are. Of the worker's node flags
    // only the heap size carries over (NODE_OPTIONS does anyway); a test runner's loader flags must not.
    const execArgv = process.execArgv.filter((flag) => flag.startsWith('--max-old-space-size'));
    this.proc = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv });
    // TensorFlow's lines below TF_CPP_MIN_LOG_LEVEL that it prints before its logging is up stay out of the console.
    const filter = new TfLogFilter();
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(filter.push(chunk));
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4_000);
    });
    this.hold(false);
    this.proc.on('message', (message: FromChild) => this.onMessage(message));
    this.proc.on('error', () => undefined); // a send racing the child's death: its exit reports it
    // Not the 'close' event: it never comes once the worker has disconnected the IPC channel itself.
    const exit = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => this.proc.once('exit', (...how) => resolve(how)));
    const output = new Promise((resolve) => this.proc.stderr!.once('close', resolve)).then(() => process.stderr.write(filter.flush()));
    this.closed = Promise.all([exit, output]).then(([[code, signal]]) => {
      this.exited = true;
      this.onExit(code, signal);
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  run<T>(job: Job, what: string, hooks: JobHooks): Promise<T> {
    const id = ++this.nextId;
    const { signal } = hooks;
    return new Promise<T>((resolve, reject) => {
      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.send({ type: 'abort', id });
        killTimer = setTimeout(() => this.proc.kill('SIGKILL'), hooks.abortGraceMs ?? this.abortGraceMs);
      };
      this.job = {
        id,
        what,
        hooks,
        settle: (error, result) => {
          this.job = null;
          this.hold(false);
          clearTimeout(killTimer);
          signal?.removeEventListener('abort', onAbort);
          // An aborted job ends with the abort's reason (Temporal's cancellation), whatever the child said.
          if (signal?.aborted) reject(signal.reason);
          else if (error) reject(error);
          else resolve(result as T);
        },
      };
      if (signal?.aborted) return this.job.settle(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.hold(true);
      this.send({ type: 'run', id, job });
    });
  }

  /** Ends the child: it exits when its IPC channel closes, or is killed after the grace time. */
  async stop(): Promise<void> {
    if (this.exited) return;
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), this.abortGraceMs);
    await this.closed;
    clearTimeout(timer);
  }

  /** An idle child must not keep the worker's event loop alive (a script that forgot close() still exits). */
  private hold(busy: boolean): void {
    for (const handle of [this.proc, this.proc.channel, this.proc.stderr as Socket | null]) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  }

  private onMessage(message: FromChild): void {
    const job = this.job;
    if (!job || message.id !== job.id) return;
    job.hooks.onAlive?.();
    if (message.type === 'epoch') {
      // The child waits for this answer before its next epoch, as an in-process onEpoch would make it.
      Promise.resolve()
        .then(() => job.hooks.onEpoch?.(message.epoch))
        .then(
          () => this.send({ type: 'epoch-done', id: job.id }),
          (error: unknown) => this.send({ type: 'epoch-done', id: job.id, error: serializeError(error) }),
        );
    } else if (message.type === 'done') job.settle(null, message.result);
    else if (message.type === 'failed') {
      if (message.retire) this.retired = true;
      job.settle(deserializeError(message.error));
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.job) return;
    const how = signal
      ? `was killed by ${signal}${signal === 'SIGKILL' ? " (as the kernel's out-of-memory killer does)" : ''}`
      : `exited with code ${code}`;
    const tail = this.stderrTail.trim().split('\n').slice(-STDERR_TAIL_LINES).join('\n');
    const message =
      `training process ${this.pid} ${how} during ${this.job.what}; a fresh process takes its place ` +
      `and a retry resumes from the last checkpoint${tail ? `. Its last output:\n${tail}` : ''}`;
    this.job.settle(new TrainingProcessExitedError(message));
  }

  private send(message: ToChild): void {
    // A dead child's channel is closed: its exit settles the job.
    if (this.proc.connected) this.proc.send(message, () => undefined);
  }
}

/** Child processes for a worker's training slots: started on demand, one per concurrent job, reused. */
export class TrainingProcessPool {
  private readonly idle: Slot[] = [];
  private readonly slots = new Set<Slot>();
  private readonly abortGraceMs: number;
  private closing = false;

  constructor(options: PoolOptions = {}) {
    this.abortGraceMs = options.abortGraceMs ?? 5_000;
  }

  /** `trainSegment` of the engine, run in a child; `onEpoch` and `signal` work as in process. */
  trainSegment(req: SegmentRequest, hooks: Pick<JobHooks, 'onAlive' | 'abortGraceMs'> = {}): Promise<SegmentResult> {
    const { onEpoch, signal, ...request } = req;
    const what = `the segment of epochs ${req.fromEpoch + 1}-${req.toEpoch} into ${req.checkpointDir}`;
    return this.use({ kind: 'segment', request }, what, { ...hooks, onEpoch, signal });
  }

  /** `evaluateCheckpoint` of the engine, run in a child (which keeps the test split loaded). */
  evaluateCheckpoint(req: EvaluateRequest, hooks: Omit<JobHooks, 'onEpoch'> = {}): Promise<Record<string, number>> {
    return this.use({ kind: 'evaluate', request: req }, `the evaluation of ${req.checkpoint}`, hooks);
  }

  /** Process ids of the live children. */
  pids(): number[] {
    return [...this.slots].map((slot) => slot.pid);
  }

  /** Stops every child (a job still running fails with TrainingProcessExitedError). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.slots].map((slot) => slot.stop()));
  }

  private async use<T>(job: Job, what: string, hooks: JobHooks): Promise<T> {
    if (this.closing) throw new Error('the training process pool is closed');
    // A trial's next segment goes to the child that ran its last one, which may still hold its graph engine.
    const trial = job.kind === 'segment' ? job.request.checkpointDir : null;
    const affine = trial === null ? -1 : this.idle.findIndex((s) => s.lastTrial === trial && !s.exited);
    let slot = affine >= 0 ? this.idle.splice(affine, 1)[0] : this.idle.pop();
    while (slot?.exited) slot = this.idle.pop(); // died while idle, its removal still pending
    slot ??= this.spawn();
    if (trial !== null) slot.lastTrial = trial;
    try {
      return await slot.run<T>(job, what, hooks);
    } finally {
      if (slot.retired) void slot.stop();
      else if (!slot.exited && !this.closing) this.idle.push(slot);
    }
  }

  private spawn(): Slot {
    const slot = new Slot(childEntry(), this.abortGraceMs);
    this.slots.add(slot);
    slot.closed.then(() => {
      this.slots.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return slot;
  }
}
