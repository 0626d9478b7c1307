// `tuneflow serve [--host 127.0.0.1] [--port 8080] [--no-worker] [--data-root DIR] [--allow-code]
// [--training-queue Q ...]`: the API and dashboard on the CLI's Temporal and MLflow (the environment's, or
// the embedded local services, as `tuneflow run`), with a worker in this process unless --no-worker.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { connectTemporal } from '../cli/client';
import { checkpointRoot, checkpointStoreKind, CONTROL_TASK_QUEUE, DEFAULT_TRAINING_TASK_QUEUE, setConsoleVerbosity, temporalConfig } from '../cli/config';
import { startWorkers, type RunningWorkers } from '../cli/worker';
import { MlflowClient } from '../mlflow/client';
import { Campaigns } from './campaigns';
import { createServer } from './server';
import { generateToken, isLoopbackHost } from './security';

export class ServeUsageError extends Error {}

export interface ServeEndpoints {
  temporalAddress: string;
  mlflowUri: string;
  temporalUi: string | null;
}

export interface RunningServer {
  url: string;
  /** The token clients must send, or null on a loopback bind without TUNEFLOW_SERVE_TOKEN. */
  token: string | null;
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  worker: boolean;
  dataRoot: string;
  allowCode: boolean;
  trainingQueues: string[];
  eventPollMs?: number;
}

export function parseServeArgs(args: string[]): ServeOptions & { verbose: boolean } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      'no-worker': { type: 'boolean' },
      'data-root': { type: 'string' },
      'allow-code': { type: 'boolean' },
      'training-queue': { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
    },
  });
  if (positionals.length) throw new ServeUsageError(`serve: unexpected argument "${positionals[0]}"`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeUsageError(`serve: --port must be an integer from 0 to 65535 (got "${values.port}")`);
  return {
    host: values.host!,
    port,
    worker: !values['no-worker'],
    dataRoot: resolve(values['data-root'] ?? '.'),
    allowCode: values['allow-code'] ?? false,
    trainingQueues: values['training-queue'] ?? [DEFAULT_TRAINING_TASK_QUEUE],
    verbose: values.verbose ?? false,
  };
}

/** The token the server requires: TUNEFLOW_SERVE_TOKEN, else a generated one off loopback, else none. */
export function serveToken(host: string, env: NodeJS.ProcessEnv = process.env): { token: string | null; generated: boolean } {
  const fromEnv = env.TUNEFLOW_SERVE_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new ServeUsageError('TUNEFLOW_SERVE_TOKEN must be at least 16 characters');
    return { token: fromEnv, generated: false };
  }
  return isLoopbackHost(host) ? { token: null, generated: false } : { token: generateToken(), generated: true };
}

/** Starts everything and returns once the server listens; used by the CLI and by the tests. */
export async function startServe(ep: ServeEndpoints, opts: ServeOptions, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const { token, generated } = serveToken(opts.host, env);
  const client = await connectTemporal(ep.temporalAddress);
  const mlflow = new MlflowClient({ trackingUri: ep.mlflowUri });
  let workers: RunningWorkers | null = null;
  try {
    workers = opts.worker
      ? await startWorkers({ temporalAddress: ep.temporalAddress, mlflowTrackingUri: ep.mlflowUri, checkpointRoot: checkpointRoot(env), checkpointStore: checkpointStoreKind(env), control: true, trainingQueues: opts.trainingQueues })
      : null;
    const campaigns = new Campaigns({
      client,
      mlflow,
      namespace: temporalConfig(ep.temporalAddress, env).namespace,
      dataRoot: opts.dataRoot,
      allowCode: opts.allowCode,
      cwd: process.cwd(),
      temporalUi: ep.temporalUi,
      queues: { control: CONTROL_TASK_QUEUE, training: opts.trainingQueues },
    });
    const app = createServer({ campaigns, host: opts.host, token, log, ...(opts.eventPollMs ? { eventPollMs: opts.eventPollMs } : {}) });
    await app.listen({ host: opts.host, port: opts.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : opts.port;
    const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
    log(`tuneflow serve: ${url}/ (API ${url}/api/v1, OpenAPI ${url}/api/v1/openapi.json)${workers ? ', with a worker' : ''}`);
    // The one place a token is ever shown: once, at start, for the operator to hand out.
    if (generated) log(`  token (shown once; send "Authorization: Bearer <token>"): ${token}`);
    else if (token) log('  token: TUNEFLOW_SERVE_TOKEN');
    return {
      url,
      token,
      async close() {
        await app.close();
        await workers?.shutdown();
        await client.connection.close();
      },
    };
  } catch (err) {
    await workers?.shutdown();
    await client.connection.close();
    throw err;
  }
}

/** The CLI verb: serve until SIGINT/SIGTERM. */
export async function serveCommand(args: string[], endpoints: () => Promise<ServeEndpoints>, log: (line: string) => void): Promise<number> {
  const opts = parseServeArgs(args);
  setConsoleVerbosity(opts.verbose);
  const server = await startServe(await endpoints(), opts, log);
  await new Promise<void>((resolveSignal) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolveSignal());
  });
  log('tuneflow serve: shutting down');
  await server.close();
  return 0;
}
