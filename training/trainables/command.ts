// Command trainables: `trainable: {command: [python3, train.py]}`, any program run once per segment in a
// process group of its own, told its job through a trial file and environment variables, reporting one
// JSON line per finished epoch to a results file (docs/trainables-protocol.md). Its output goes to a log
// (an MLflow artifact; its tail is the failure reason). Pruning, cancellation and timeouts send SIGTERM to
// the group, then SIGKILL after the grace period; the group is killed whatever happens when the run ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { CommandTrainableSpec } from '../../spec/types';
import { TrainableError, TrainingProcessExitedError } from '../errors';
import { programEnvironment, resolveCommand } from './access';
import { parseResultLine } from './reports';
import type { RunRequest, Runner, Session } from './session';

const POLL_MS = 100;
const TAIL_LINES = 20;

/** Process groups of programs still running: killed when the training process must exit at once. */
const liveGroups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** For the training process's exit path (its worker died): no program outlives it. */
export function killAllPrograms(): void {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

export function commandSource(spec: CommandTrainableSpec): string {
  return `trainable.command [${spec.command.join(' ')}]`;
}

/** The environment variables of the protocol, beside the trial file. */
function protocolVariables(run: RunRequest): Record<string, string> {
  const { info } = run;
  return {
    TUNEFLOW_TRIAL_FILE: run.dirs.trialFile,
    TUNEFLOW_RESULTS_FILE: info.resultsFile,
    TUNEFLOW_TRIAL_CHECKPOINT_DIR: info.checkpointDir,
    TUNEFLOW_ARTIFACTS_DIR: info.artifactsDir,
    TUNEFLOW_STAGE: info.stage,
    TUNEFLOW_SEED: String(info.seed),
    TUNEFLOW_FROM_EPOCH: String(info.fromEpoch),
    TUNEFLOW_TO_EPOCH: String(info.toEpoch),
    TUNEFLOW_PARAMS: JSON.stringify(info.params),
  };
}

/** Reads the results file as the program appends to it and hands complete lines on, numbered. */
export class ResultsTail {
  private offset = 0;
  private partial = '';
  private lineNumber = 0;
  // A read can end inside a multi-byte character; the decoder keeps its first bytes for the next read.
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly file: string,
    private readonly onLine: (text: string, lineNumber: number) => void,
  ) {}

  async poll(final = false): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      if (size > this.offset) {
        const buffer = Buffer.alloc(size - this.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        this.offset += bytesRead;
        this.partial += this.decoder.write(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    if (final) this.partial += this.decoder.end();
    const lines = this.partial.split('\n');
    this.partial = final ? '' : lines.pop()!;
    for (const line of lines) {
      this.lineNumber += 1;
      if (line.trim()) this.onLine(line, this.lineNumber);
    }
  }
}

async function outputTail(log: string, since: number): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  const lines = text.slice(since).trimEnd().split('\n');
  return lines.slice(-TAIL_LINES).join('\n');
}

/** Runs the program once for the request's segment or evaluate stage. */
export function commandRunner(spec: CommandTrainableSpec): Runner {
  const source = commandSource(spec);
  return async (run) => {
    const { info, dirs, session } = run;
    const variables = { ...run.commandVariables, ...process.env, ...spec.env };
    const resolved = await resolveCommand(spec.command, spec.cwd, variables, run.trainablesRoots);
    await writeFile(dirs.trialFile, `${JSON.stringify(info, null, 2)}\n`);
    await writeFile(dirs.results, '');
    const log = await open(dirs.log, 'a');
    const logStart = (await log.stat()).size;
    await log.write(`--- tuneflow ${new Date().toISOString()}: ${info.stage} epochs ${info.fromEpoch + 1}-${info.toEpoch}, ${resolved.program} ${resolved.args.join(' ')}\n`);
    let child: ChildProcess;
    try {
      child = spawn(resolved.program, resolved.args, {
        cwd: resolved.cwd,
        env: { ...programEnvironment(process.env, spec), ...protocolVariables(run) },
        detached: true, // its own process group, so the whole group can be signalled
        stdio: ['ignore', log.fd, log.fd],
      });
    } catch (error) {
      await log.close();
      throw new TrainableError(`${source} could not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      await supervise(child, spec, run, session, source);
    } catch (error) {
      if (error instanceof TrainableError && !error.message.includes('Last output')) {
        const tail = await outputTail(dirs.log, logStart);
        throw new TrainableError(`${error.message}${tail ? `. Last output:\n${tail}` : ''}`);
      }
      throw error;
    } finally {
      await log.close();
    }
  };
}

async function supervise(child: ChildProcess, spec: CommandTrainableSpec, run: RunRequest, session: Session, source: string): Promise<void> {
  const pid = child.pid;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => reject(new TrainableError(`${source} could not start: ${error.message}`)));
  });
  exited.catch(() => undefined);
  if (pid !== undefined) liveGroups.add(pid);
  let failure: unknown = null;
  let stopping: Promise<void> | null = null;
  /** SIGTERM the group, SIGKILL it after the grace period unless the program has exited by then. */
  const stop = (reason: unknown) => {
    failure ??= reason;
    stopping ??= (async () => {
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), spec.gracePeriodSeconds * 1000);
      await exited.catch(() => undefined);
      clearTimeout(timer);
    })();
  };
  const onLine = (text: string, lineNumber: number) => {
    try {
      const line = parseResultLine(text, `${source} wrote line ${lineNumber} of ${run.info.resultsFile}`);
      const handled = line.epoch === undefined ? session.reportFinal(line.metrics) : session.report(line.epoch, line.metrics);
      handled.catch(stop);
    } catch (error) {
      stop(error);
    }
  };
  const tail = new ResultsTail(run.info.resultsFile, onLine);
  const poller = setInterval(() => void tail.poll().catch(stop), POLL_MS);
  const onAbort = () => stop(run.signal?.reason ?? new Error('cancelled'));
  if (run.signal?.aborted) onAbort();
  else run.signal?.addEventListener('abort', onAbort, { once: true });
  session.timedOut.catch(stop);
  try {
    const { code, signal } = await exited;
    clearInterval(poller);
    await tail.poll(true);
    await session.settle();
    if (failure) throw failure;
    if (signal) {
      // Not from us: the kernel's out-of-memory killer, or someone's kill. A retry resumes from the program's checkpoint.
      throw new TrainingProcessExitedError(`${source} was killed by ${signal} during epochs ${run.info.fromEpoch + 1}-${run.info.toEpoch}`);
    }
    if (code !== 0) throw new TrainableError(`${source} exited with code ${code} during ${run.info.stage} epochs ${run.info.fromEpoch + 1}-${run.info.toEpoch}`);
  } finally {
    clearInterval(poller);
    run.signal?.removeEventListener('abort', onAbort);
    await stopping;
    // Whatever happened, nothing the program started outlives the run.
    if (pid !== undefined) {
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
  }
}
