// What `tuneflow serve` refuses, as pure checks: which binds need a token, the token comparison, posted
// specs that would run user code, and data files outside the allowed root. The server (server.ts) and the
// campaign routes (api.ts) apply them; nothing here does I/O except resolving symbolic links of data paths.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** Addresses only this machine can reach: the server may run without a token there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A fresh token for a non-loopback bind without TUNEFLOW_SERVE_TOKEN: 32 random bytes, URL-safe. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time: both sides are hashed first, so neither the length nor the first differing byte of the
 * presented token shows in the time the comparison takes.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Whether a normalized spec runs code its author wrote: a function or command trainable (`trainable`) or a
 * model from a user file (`model.module`). Read structurally, so specs from before those fields existed
 * pass and the check needs no change when their types land.
 */
export function runsUserCode(spec: object): string | null {
  if ('trainable' in spec && (spec as { trainable?: unknown }).trainable != null) return 'the spec has a trainable (a user function or command)';
  const model = (spec as { model?: unknown }).model;
  if (typeof model === 'object' && model !== null && 'module' in model && (model as { module?: unknown }).module != null) {
    return 'the spec loads a model from a user file (model.module)';
  }
  return null;
}

/** Options of the `custom` data set that name files, whatever their text looks like. */
const FILE_OPTIONS = new Set(['train', 'test', 'trainLabels', 'testLabels']);

/** The real path of `path`, or of its nearest existing parent with the rest appended (a file may not exist yet). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = resolve(path, '..');
    return parent === path ? path : resolve(realPath(parent), relative(parent, path));
  }
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Data set options that name a file outside `dataRoot`: the file options of `custom`, and any string that
 * looks like a path (has a slash or starts with `~`). Paths are resolved the way the worker resolves them
 * (against `cwd`), symbolic links followed, so `data/link -> /etc` is caught too.
 */
export function dataPathProblems(options: Record<string, unknown>, dataRoot: string, cwd: string): { path: string[]; message: string }[] {
  const root = realPath(resolve(dataRoot));
  const problems: { path: string[]; message: string }[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== 'string') continue;
    if (!FILE_OPTIONS.has(key) && !/[\\/]/.test(value) && !value.startsWith('~')) continue;
    if (value.startsWith('~') || !isInside(root, realPath(resolve(cwd, value)))) {
      problems.push({ path: ['dataset', 'options', key], message: `"${value}" is outside the server's data root; a spec posted to the server may only name files under its --data-root` });
    }
  }
  return problems;
}
