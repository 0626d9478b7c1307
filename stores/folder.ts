// A job's local folder as a remote store sees it: its files with size, modification time and SHA-256
// (hashed only when size or mtime changed since the last look), the store's own state file beside them,
// and atomic writes of restored files.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FileMap, Manifest } from './manifest';

/** The store's record of the folder, kept in the folder and never mirrored. */
export const STATE_FILE = '.tuneflow-store.json';
/** Names starting with this are work in progress (a writer's temporary file or folder): never mirrored. */
export const TEMP_PREFIX = '.tmp-';
const RESTORE_TEMP = `${TEMP_PREFIX}restore-`;

export interface FolderState {
  /** The manifest this folder last synced with (uploaded or restored); null before the first sync. */
  known: Manifest | null;
  /** Hash cache: path → the size and mtime its hash was taken at. */
  hashes: FileMap;
}

export async function readState(dir: string): Promise<FolderState> {
  try {
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as FolderState;
    return { known: state.known ?? null, hashes: state.hashes ?? {} };
  } catch {
    return { known: null, hashes: {} }; // none yet, or torn by a kill: the hashes are taken again
  }
}

export async function writeState(dir: string, state: FolderState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${TEMP_PREFIX}state-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, join(dir, STATE_FILE));
}

export function sha256Of(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** `/`-separated relative paths of the regular files under `dir`, minus temporaries, the state file and what `ignore` says. */
async function walk(dir: string, ignore: (path: string) => boolean, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map(async (e) => {
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.name.startsWith(TEMP_PREFIX) || path === STATE_FILE || ignore(path)) return [];
      if (e.isDirectory()) return walk(dir, ignore, path);
      return e.isFile() ? [path] : [];
    }),
  );
  return nested.flat();
}

/**
 * The folder's files with their hashes. A file whose size and mtime match the cache keeps its cached hash;
 * the others are read. Returns the updated cache too (only files that exist now).
 */
export async function scanFolder(dir: string, cache: FileMap, ignore: (path: string) => boolean): Promise<FileMap> {
  const files: FileMap = {};
  for (const path of await walk(dir, ignore)) {
    const full = join(dir, ...path.split('/'));
    const info = await stat(full).catch(() => null);
    if (!info?.isFile()) continue; // removed while we looked
    const cached = cache[path];
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      files[path] = cached;
      continue;
    }
    const sha256 = await hashFile(full).catch(() => null);
    if (sha256) files[path] = { size: info.size, mtimeMs: info.mtimeMs, sha256 };
  }
  return files;
}

/**
 * Writes a restored file atomically (temporary file, then rename) with the writer's mtime (to the
 * file system's precision); returns the mtime it got, for the hash cache.
 */
export async function writeRestored(dir: string, path: string, content: Buffer, mtimeMs: number): Promise<number> {
  const full = join(dir, ...path.split('/'));
  await mkdir(dirname(full), { recursive: true });
  const temp = join(dirname(full), `${RESTORE_TEMP}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temp, content);
    if (mtimeMs >= 0) await utimes(temp, mtimeMs / 1000, mtimeMs / 1000);
    await rename(temp, full);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return (await stat(full)).mtimeMs;
}

/** Removes a file, then its folders up to `dir` that became empty. */
export async function removeFile(dir: string, path: string): Promise<void> {
  await rm(join(dir, ...path.split('/')), { force: true });
  const parts = path.split('/').slice(0, -1);
  while (parts.length > 0) {
    try {
      await rmdir(join(dir, ...parts));
    } catch {
      return; // not empty (or gone): stop climbing
    }
    parts.pop();
  }
}

/** A file's bytes, with the hash and size of what was read (the file may have changed since it was scanned). */
export async function readForUpload(dir: string, path: string): Promise<{ content: Buffer; sha256: string } | null> {
  const content = await readFile(join(dir, ...path.split('/'))).catch(() => null);
  return content ? { content, sha256: sha256Of(content) } : null;
}
