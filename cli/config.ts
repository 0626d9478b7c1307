// Where the services are: from the environment, or the embedded local ones. Credentials come from
// the environment only and are never printed or logged.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TemporalConnectionOptions } from '../activities/temporal';

export type { TemporalConnectionOptions };

export const CONTROL_TASK_QUEUE = 'tuneflow';
export const DEFAULT_TRAINING_TASK_QUEUE = 'tuneflow-training';

export interface TemporalConfig {
  address: string;
  namespace: string;
  connection: TemporalConnectionOptions;
}

/** Temporal connection from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, with TLS or an API key for clusters and Temporal Cloud. */
export function temporalConfig(address: string, env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  const connection: TemporalConnectionOptions = { address };
  if (env.TEMPORAL_API_KEY) {
    connection.apiKey = env.TEMPORAL_API_KEY;
    connection.tls = true;
    connection.metadata = { 'temporal-namespace': namespace };
  }
  if (env.TEMPORAL_TLS_CERT && env.TEMPORAL_TLS_KEY) {
    connection.tls = {
      clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CERT), key: readFileSync(env.TEMPORAL_TLS_KEY) },
      ...(env.TEMPORAL_TLS_CA ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_CA) } : {}),
    };
  }
  return { address, namespace, connection };
}

/** The project's state folder: local services' data, logs and checkpoints. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUNEFLOW_HOME ?? '.tuneflow');
}

export function checkpointRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUNEFLOW_CHECKPOINT_DIR ?? `${stateDir(env)}/checkpoints`);
}
