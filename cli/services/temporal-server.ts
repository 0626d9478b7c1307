// Launches the real Temporal dev server (`temporal server start-dev`) with a SQLite file, so workflow
// state survives a restart of the server, the worker or the whole machine.
import { Connection } from '@temporalio/client';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { freePort, spawnService, stopProcess, waitOrStop } from './process';
import { findTool } from './tools';
import { registerSearchAttributes } from '../../activities/temporal';
import { SEARCH_ATTRIBUTES } from '../../workflows/control';

export interface TemporalServerOptions {
  /** SQLite file holding the server's state; omit for an in-memory server. */
  dbFile?: string;
  host?: string;
  port?: number;
  /** Web UI port; null turns the UI off. */
  uiPort?: number | null;
  logFile: string;
  detached?: boolean;
  dynamicConfig?: Record<string, unknown>;
  timeoutMs?: number;
}

export interface TemporalServer {
  address: string;
  uiUrl: string | null;
  pid: number;
  stop(): Promise<void>;
}

/** Run `fn` with a short-lived client connection to a local server. */
export async function withConnection<T>(address: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function isTemporalUp(address: string): Promise<boolean> {
  return withConnection(address, (c) => c.workflowService.describeNamespace({ namespace: 'default' })).then(
    () => true,
    () => false,
  );
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const uiPort = opts.uiPort === null ? null : (opts.uiPort ?? (await freePort(host)));
  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--log-level', 'warn'];
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  const detached = opts.detached ?? false;
  const proc = spawnService(findTool('temporal'), args, { logFile: opts.logFile, detached });
  const address = `${host}:${port}`;
  const stop = () => stopProcess(proc.pid, { group: detached });
  await waitOrStop('Temporal dev server', () => isTemporalUp(address), { timeoutMs: opts.timeoutMs ?? 60_000, exited: proc.exited, logFile: opts.logFile }, stop);
  return { address, uiUrl: uiPort === null ? null : `http://${host}:${uiPort}`, pid: proc.pid, stop };
}

/** Register the campaign's search attributes (workflows/control.ts) that the namespace lacks; returns their names. */
export function registerCampaignSearchAttributes(address: string, namespace = 'default'): Promise<string[]> {
  return withConnection(address, (c) => registerSearchAttributes(c, namespace, Object.values(SEARCH_ATTRIBUTES)));
}
