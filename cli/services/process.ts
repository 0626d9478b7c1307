// Small process helpers shared by the local service launchers (Temporal dev server, MLflow server).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface Spawned {
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Start a long-running service with its output in `logFile`. Detached services get their own process
 * group and survive the parent, so the user can keep using the UIs after `tuneflow run` returns.
 */
export function spawnService(command: string, args: string[], opts: { logFile: string; detached: boolean; env?: NodeJS.ProcessEnv; cwd?: string }): Spawned {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    detached: opts.detached,
    cwd: opts.cwd,
    stdio: ['ignore', fd, fd],
    env: opts.env ?? process.env,
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  if (opts.detached) child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return { pid: child.pid, exited };
}

/** Poll `ready` until it answers true, the process exits, or the timeout passes. */
export async function waitUntil(
  what: string,
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; exited?: Promise<number | null>; logFile?: string },
): Promise<void> {
  let exitCode: number | null | undefined;
  opts.exited?.then((code) => (exitCode = code));
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${what} exited (code ${exitCode}) before it was ready.${opts.logFile ? ` Log ${opts.logFile}:\n${tail(opts.logFile)}` : ''}`);
    }
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not ready after ${opts.timeoutMs / 1000} s.${opts.logFile ? ` Log ${opts.logFile}:\n${tail(opts.logFile)}` : ''}`);
}

/** `waitUntil`, but a service that never got ready is stopped (nothing half-started is left behind) before the error. */
export async function waitOrStop(
  what: string,
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; exited?: Promise<number | null>; logFile?: string },
  stop: () => Promise<void>,
): Promise<void> {
  try {
    await waitUntil(what, ready, opts);
  } catch (err) {
    await stop();
    throw err;
  }
}

/** SIGTERM a process group (or process), then SIGKILL if it lingers. */
export async function stopProcess(pid: number, opts: { group: boolean; graceMs?: number } = { group: true }): Promise<void> {
  const target = opts.group ? -pid : pid;
  try {
    process.kill(target, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + (opts.graceMs ?? 5000);
  while (Date.now() < deadline && isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
