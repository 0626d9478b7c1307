// Worker wiring: one process polls the control queue (workflows + bookkeeping activities) and/or the
// training queues (epoch segments). Each training slot runs its segments in a child process of its own
// (training/child/pool.ts), so a crash costs one attempt, not the worker. One worker process per GPU.
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogEntry, type LogLevel } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { controlActivities, trainingActivities, type ActivityDeps } from '../activities';
import { MlflowClient } from '../mlflow/client';
import type { StoreKind } from '../stores';
import { TrainingProcessPool } from '../training';
import { CONTROL_TASK_QUEUE, temporalConfig } from './config';
import { readToolsFile } from './services/tools';

export interface WorkerOptions {
  temporalAddress: string;
  mlflowTrackingUri: string;
  checkpointRoot: string;
  /** Where checkpoints are kept durably (cli/config.ts `checkpointStoreKind`); default `local`. */
  checkpointStore?: StoreKind;
  /** Serve the control queue (workflows and bookkeeping). */
  control: boolean;
  /** Training task queues to poll; empty for a control-only worker. */
  trainingQueues: string[];
  /** Concurrent training segments per training queue (1 per GPU). */
  trainingSlots?: number;
  /** Folders user code (model modules, trainables) may run from; default the working folder. */
  trainablesRoots?: string[];
  /** SDK and activity log level; `TUNEFLOW_LOG_LEVEL` overrides. Default WARN (a worker process uses INFO), DEBUG when verbose. */
  logLevel?: LogLevel;
  /** Log everything, SDK noise included (default: TUNEFLOW_VERBOSE=1, see cli/config.ts `setConsoleVerbosity`). */
  verbose?: boolean;
}

/** SDK messages that tell a user nothing they can act on: dropped unless verbose. */
const SDK_NOISE: readonly RegExp[] = [
  // A training-only worker has no workflows by design.
  /^No workflows registered, not polling for workflow tasks/,
];

export function isSdkNoise(entry: Pick<LogEntry, 'message'>): boolean {
  return SDK_NOISE.some((pattern) => pattern.test(entry.message));
}

function writeLogEntry({ level, timestampNanos, message, meta }: LogEntry): void {
  const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  process.stderr.write(`${time} [${level}] ${message}${meta === undefined ? '' : ` ${inspect(meta, { breakLength: Infinity })}`}\n`);
}

/** The SDK's runtime is per process and installed once; later calls keep the first logger. */
function installRuntime(level: LogLevel, verbose: boolean): void {
  try {
    Runtime.install({ logger: new DefaultLogger(level, (entry) => (verbose || !isSdkNoise(entry) ? writeLogEntry(entry) : undefined)) });
  } catch {
    /* already installed in this process */
  }
}

export interface RunningWorkers {
  /** Resolves when every worker has shut down. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Below the control activities' 5-minute start-to-close timeout, so a wait ends in a retry, not a timeout. */
const MLFLOW_OUTAGE_WAIT_MS = 2 * 60_000;

/** `${TUNEFLOW_EXAMPLES_PYTHON}` in a command: the Python that set-up prepared for the examples (scikit-learn). */
function commandVariables(): Record<string, string> {
  const python = readToolsFile().examplesPython;
  return python ? { TUNEFLOW_EXAMPLES_PYTHON: python } : {};
}

/** The workflow bundle entry: TypeScript sources under vitest/tsx, compiled JS under dist/. */
function workflowsPath(): string {
  const base = join(__dirname, '..', 'workflows', 'index');
  return existsSync(`${base}.ts`) ? `${base}.ts` : `${base}.js`;
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  const verbose = opts.verbose ?? process.env.TUNEFLOW_VERBOSE === '1';
  installRuntime((process.env.TUNEFLOW_LOG_LEVEL as LogLevel | undefined) ?? (verbose ? 'DEBUG' : (opts.logLevel ?? 'WARN')), verbose);
  const config = temporalConfig(opts.temporalAddress);
  const connection = await NativeConnection.connect(config.connection);
  // An MLflow restart or outage holds activities (heartbeating) instead of burning their attempts.
  const mlflow = new MlflowClient({ trackingUri: opts.mlflowTrackingUri, waitForServerMs: MLFLOW_OUTAGE_WAIT_MS });
  const deps: ActivityDeps = {
    mlflow,
    // The client's URI has any user:password removed: it travels in workflow inputs and MLflow tags.
    trackingUri: mlflow.trackingUri,
    checkpointRoot: opts.checkpointRoot,
    temporal: { connection: config.connection, namespace: config.namespace },
  };
  const workers: Worker[] = [];
  if (opts.control) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.namespace,
        taskQueue: CONTROL_TASK_QUEUE,
        workflowsPath: workflowsPath(),
        activities: controlActivities(deps),
      }),
    );
  }
  // Children start on the first segment; a control-only worker never starts one.
  const trainingProcesses = new TrainingProcessPool();
  const training = trainingActivities({
    ...deps,
    trainingProcesses,
    commandVariables: commandVariables(),
    ...(opts.checkpointStore ? { checkpointStore: opts.checkpointStore } : {}),
    ...(opts.trainablesRoots ? { trainablesRoots: opts.trainablesRoots } : {}),
  });
  for (const taskQueue of opts.trainingQueues) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.namespace,
        taskQueue,
        activities: training,
        maxConcurrentActivityTaskExecutions: opts.trainingSlots ?? 1,
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run()))
    .finally(() => trainingProcesses.close())
    .then(
      () => connection.close(),
      async (err) => {
        await connection.close().catch(() => undefined);
        throw err;
      },
    );
  return {
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
    },
  };
}
