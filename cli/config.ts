// Where the services are: from the environment, or the embedded local ones. Credentials come from
// the environment only and are never printed or logged.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TemporalConnectionOptions } from '../activities/temporal';
import { parseStoreKind, type StoreKind } from '../stores';

export type { TemporalConnectionOptions };

export const CONTROL_TASK_QUEUE = 'tuneflow';
export const DEFAULT_TRAINING_TASK_QUEUE = 'tuneflow-training';

export interface TemporalConfig {
  address: string;
  namespace: string;
  connection: TemporalConnectionOptions;
}

/**
 * Temporal connection from TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, with TLS or an API key for clusters and
 * Temporal Cloud. The variable names are Temporal's own (its CLI and SDKs' environment configuration):
 * TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * TEMPORAL_TLS_SERVER_NAME; the shorter TEMPORAL_TLS_CERT / _KEY / _CA are accepted too.
 */
export function temporalConfig(address: string, env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  const connection: TemporalConnectionOptions = { address };
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH ?? env.TEMPORAL_TLS_CERT;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH ?? env.TEMPORAL_TLS_KEY;
  const caPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ?? env.TEMPORAL_TLS_CA;
  const serverName = env.TEMPORAL_TLS_SERVER_NAME;
  if (env.TEMPORAL_API_KEY) {
    connection.apiKey = env.TEMPORAL_API_KEY;
    connection.metadata = { 'temporal-namespace': namespace };
  }
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new Error('TLS client auth needs both TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or neither)');
  }
  // An API key implies TLS, as in Temporal's own clients; TEMPORAL_TLS=false turns it off (a local proxy).
  const wantsTls = env.TEMPORAL_TLS === undefined ? Boolean(env.TEMPORAL_API_KEY || certPath || caPath || serverName) : env.TEMPORAL_TLS === 'true';
  if (wantsTls) {
    const tls: Exclude<TemporalConnectionOptions['tls'], boolean | undefined> = {};
    if (certPath && keyPath) tls.clientCertPair = { crt: readFileSync(certPath), key: readFileSync(keyPath) };
    if (caPath) tls.serverRootCACertificate = readFileSync(caPath);
    if (serverName) tls.serverNameOverride = serverName;
    connection.tls = Object.keys(tls).length > 0 ? tls : true;
  } else if (env.TEMPORAL_TLS !== undefined) {
    connection.tls = false; // explicit: the SDK would otherwise turn TLS on for an API key
  }
  return { address, namespace, connection };
}

/** The project's state folder: local services' data, logs and checkpoints. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUNEFLOW_HOME ?? '.tuneflow');
}

/** The local job folders: the checkpoints themselves (store `local`), or this worker's cache of them (store `mlflow`). */
export function checkpointRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TUNEFLOW_CHECKPOINT_DIR ?? `${stateDir(env)}/checkpoints`);
}

/**
 * Where checkpoints are kept durably: `local` (the checkpoint root; workers that resume each other's
 * trials must share it) or `mlflow` (each job's MLflow run, through the artifact proxy). docs/checkpoint-stores.md.
 */
export function checkpointStoreKind(env: NodeJS.ProcessEnv = process.env): StoreKind {
  return parseStoreKind(env.TUNEFLOW_CHECKPOINT_STORE);
}

/**
 * `--verbose` or TUNEFLOW_VERBOSE=1: the console shows all TensorFlow and Temporal SDK logging. Otherwise
 * TensorFlow logs errors only (TF_CPP_MIN_LOG_LEVEL=2 unless the environment sets it) and the worker drops
 * the SDK's known noise (cli/worker.ts). Both are set in the environment, which the training child
 * processes inherit. Returns whether the console is verbose.
 */
export function setConsoleVerbosity(verbose: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const on = verbose === true || env.TUNEFLOW_VERBOSE === '1';
  if (on) env.TUNEFLOW_VERBOSE = '1';
  env.TF_CPP_MIN_LOG_LEVEL ??= on ? '0' : '2';
  return on;
}
