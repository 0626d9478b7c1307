// The manifest of a job's folder in a remote checkpoint store, and the plans that sync a folder with it.
// Pure: no I/O. Files are stored content-addressed (one blob per SHA-256), so uploading never overwrites
// a file the published manifest points to; the manifest is written last and is the only thing a reader
// trusts. A partial upload (blobs without a manifest) is never read as a checkpoint.

export interface FileEntry {
  size: number;
  /** Modification time the writer saw, restored with the file so size+mtime caches stay valid. */
  mtimeMs: number;
  sha256: string;
}

/** Relative path (`/`-separated) → entry. */
export type FileMap = Record<string, FileEntry>;

export interface Manifest {
  format: 1;
  /** 1 for the first upload, then +1 per upload: a reader can tell a newer state from an older one. */
  generation: number;
  /** Who wrote it (host and process), for messages. */
  writer: string;
  writtenAt: number;
  files: FileMap;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A path a manifest may name: relative, `/`-separated, no empty, `.` or `..` segment, so a restore cannot leave the job folder. */
export function isSafeRelativePath(path: string): boolean {
  if (!path || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Parses and checks a manifest's text; `where` names it in errors (e.g. the run and artifact path). */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ManifestError(`${where}: not JSON (${text.length} bytes); a manifest is written whole or not at all, so this one was not written by tuneflow`);
  }
  const bad = (why: string) => new ManifestError(`${where}: ${why}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.format !== 1) throw bad(`format ${JSON.stringify(m.format)}, this tuneflow reads format 1`);
  if (typeof m.generation !== 'number' || !Number.isInteger(m.generation) || m.generation < 1) throw bad('"generation" must be an integer >= 1');
  if (!m.files || typeof m.files !== 'object' || Array.isArray(m.files)) throw bad('"files" must be an object of path to entry');
  const files: FileMap = {};
  for (const [path, value] of Object.entries(m.files as Record<string, unknown>)) {
    if (!isSafeRelativePath(path)) throw bad(`file ${JSON.stringify(path)} is not a relative path inside the job folder`);
    const e = value as Partial<FileEntry> | null;
    if (!e || typeof e !== 'object') throw bad(`file ${JSON.stringify(path)}: not an object`);
    if (typeof e.size !== 'number' || !Number.isInteger(e.size) || e.size < 0) throw bad(`file ${JSON.stringify(path)}: "size" must be an integer >= 0`);
    if (typeof e.mtimeMs !== 'number' || !Number.isFinite(e.mtimeMs)) throw bad(`file ${JSON.stringify(path)}: "mtimeMs" must be a number`);
    if (typeof e.sha256 !== 'string' || !SHA256.test(e.sha256)) throw bad(`file ${JSON.stringify(path)}: "sha256" must be 64 lowercase hex digits`);
    files[path] = { size: e.size, mtimeMs: e.mtimeMs, sha256: e.sha256 };
  }
  return { format: 1, generation: m.generation, writer: typeof m.writer === 'string' ? m.writer : '', writtenAt: typeof m.writtenAt === 'number' ? m.writtenAt : 0, files };
}

export const blobsOf = (files: FileMap): Set<string> => new Set(Object.values(files).map((e) => e.sha256));

/** Whether `local` is exactly what `published` describes (then a save makes no request). */
export function isUnchanged(local: FileMap, published: Manifest | null): boolean {
  if (!published) return false;
  const before = published.files;
  const paths = Object.keys(local);
  return paths.length === Object.keys(before).length && paths.every((p) => before[p]?.sha256 === local[p]!.sha256 && before[p]!.size === local[p]!.size);
}

/** Blobs the store lacks for `local`: one path that holds each distinct content, in path order. */
export function blobsToUpload(local: FileMap, stored: ReadonlySet<string>): { sha256: string; path: string }[] {
  const uploads = new Map<string, string>();
  for (const path of Object.keys(local).sort()) {
    const { sha256 } = local[path]!;
    if (!stored.has(sha256) && !uploads.has(sha256)) uploads.set(sha256, path);
  }
  return [...uploads].map(([sha256, path]) => ({ sha256, path }));
}

/** Blobs only the previous manifest used: deleted once the manifest for `local` is published. */
export function obsoleteBlobs(published: Manifest | null, local: FileMap): string[] {
  const kept = blobsOf(local);
  return [...blobsOf(published?.files ?? {})].filter((sha) => !kept.has(sha)).sort();
}

export interface UploadPlan {
  /** Nothing changed since the published manifest: no request at all. */
  unchanged: boolean;
  /** Blobs to upload before the manifest. */
  uploads: { sha256: string; path: string }[];
  obsolete: string[];
}

/** What to upload so the store holds `local`, given the manifest last published (null: none yet). */
export function planUpload(local: FileMap, published: Manifest | null): UploadPlan {
  if (isUnchanged(local, published)) return { unchanged: true, uploads: [], obsolete: [] };
  return { unchanged: false, uploads: blobsToUpload(local, blobsOf(published?.files ?? {})), obsolete: obsoleteBlobs(published, local) };
}

export interface RestorePlan {
  /** Files the local folder lacks or holds with other content. */
  download: { path: string; entry: FileEntry }[];
  /** Files the store had removed since this folder last synced (they were in `known`, are not in `remote`). */
  remove: string[];
}

/**
 * What to fetch so the local folder holds what the store has. `known` is the manifest this folder last
 * synced with: files it names that the store no longer has were removed by a later writer (the engine
 * deletes intermediate epochs) and go; files it never named are this worker's own unpublished work
 * (written before a kill, say) and stay.
 */
export function planRestore(remote: Manifest, local: FileMap, known: Manifest | null): RestorePlan {
  const download = Object.entries(remote.files)
    .filter(([path, entry]) => local[path]?.sha256 !== entry.sha256)
    .map(([path, entry]) => ({ path, entry }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const remove = Object.keys(known?.files ?? {})
    .filter((path) => !(path in remote.files) && path in local)
    .sort();
  return { download, remove };
}
