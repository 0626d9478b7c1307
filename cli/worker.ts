// Worker wiring: one process polls the control queue (workflows + bookkeeping activities) and/or the
// training queues (epoch segments). Each training slot runs its segments in a child process of its own
// (training/child/pool.ts), so a crash costs one attempt, not the worker. One worker process per GPU.
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { controlActivities, trainingActivities, type ActivityDeps } from '../activities';
import { MlflowClient } from '../mlflow/client';
import { TrainingProcessPool } from '../training';
import { CONTROL_TASK_QUEUE, temporalConfig } from './config';

export interface WorkerOptions {
  temporalAddress: string;
  mlflowTrackingUri: string;
  checkpointRoot: string;
  /** Serve the control queue (workflows and bookkeeping). */
  control: boolean;
  /** Training task queues to poll; empty for a control-only worker. */
  trainingQueues: string[];
  /** Concurrent training segments per training queue (1 per GPU). */
  trainingSlots?: number;
  /** SDK and activity log level; `TUNEFLOW_LOG_LEVEL` overrides. Default WARN (a worker process uses INFO). */
  logLevel?: LogLevel;
}

/** The SDK's runtime is per process and installed once; later calls keep the first logger. */
function installRuntime(level: LogLevel): void {
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
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

/** The workflow bundle entry: TypeScript sources under vitest/tsx, compiled JS under dist/. */
function workflowsPath(): string {
  const base = join(__dirname, '..', 'workflows', 'index');
  return existsSync(`${base}.ts`) ? `${base}.ts` : `${base}.js`;
}

export async function startWorkers(opts: WorkerOptions): Promise<RunningWorkers> {
  installRuntime((process.env.TUNEFLOW_LOG_LEVEL as LogLevel | undefined) ?? opts.logLevel ?? 'WARN');
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
  const training = trainingActivities({ ...deps, trainingProcesses });
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
