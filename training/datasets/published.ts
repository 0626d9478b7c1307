// Files a data set publishes (archives, arrays): find them in `<cache>/datasets/<folder>/`, else download
// them from the mirrors, and verify the checksum the publisher lists (sha256, or md5 where that is all
// the publisher gives, e.g. CIFAR and GTSRB). Without network the error names every file, its checksum
// and URL, and the folder to place it in. `$TUNEFLOW_DATASET_MIRROR` replaces the publishers' servers
// with one of your own (e.g. inside a closed network): files are then fetched from <mirror>/<data set>/<file>.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetChecksumError, DatasetUnavailableError } from '../errors';

// Defined with the other non-retryable errors; re-exported where the data set code has always found them.
export { DatasetChecksumError, DatasetUnavailableError };

export interface PublishedFile {
  /** File name as published, e.g. `cifar-10-binary.tar.gz`. */
  name: string;
  sha256?: string;
  md5?: string;
}

export interface PublishedSource {
  /** Data set name, for messages. */
  name: string;
  /** Base URLs tried in order; a file's URL is base + file name. */
  mirrors: string[];
}


const DOWNLOAD_TIMEOUT_MS = 600_000;

/** The base URLs to try: the publishers' mirrors, or `$TUNEFLOW_DATASET_MIRROR/<data set>/` when set. */
export function mirrorsOf(source: PublishedSource, env: NodeJS.ProcessEnv = process.env): string[] {
  const own = env.TUNEFLOW_DATASET_MIRROR?.trim();
  return own ? [`${own.replace(/\/+$/, '')}/${source.name}/`] : source.mirrors;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function expectedDigest(file: PublishedFile): { algorithm: 'sha256' | 'md5'; value: string } {
  if (file.sha256) return { algorithm: 'sha256', value: file.sha256 };
  if (file.md5) return { algorithm: 'md5', value: file.md5 };
  throw new Error(`${file.name}: no checksum listed`);
}

/** null when the bytes match the file's published checksum, else the actual digest. */
function digestMismatch(file: PublishedFile, bytes: Uint8Array): string | null {
  const { algorithm, value } = expectedDigest(file);
  const actual = createHash(algorithm).update(bytes).digest('hex');
  return actual === value ? null : `${algorithm} ${actual}, expected ${value}`;
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function download(url: string): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNREFUSED' || code === 'ENETUNREACH') return `network unreachable: ${code}`;
  // fetch's own message is only "fetch failed"; the reason is in its cause.
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Downloads one file from the first mirror that serves bytes with the right checksum; writes it atomically. */
async function fetchIntoCache(source: PublishedSource, dir: string, file: PublishedFile): Promise<void> {
  const failures: string[] = [];
  for (const mirror of mirrorsOf(source)) {
    const url = mirror + file.name;
    try {
      const bytes = await download(url);
      const mismatch = digestMismatch(file, bytes);
      if (mismatch) throw new Error(`${url} served ${mismatch}`);
      await mkdir(dir, { recursive: true });
      const temp = join(dir, `.${file.name}.${randomBytes(4).toString('hex')}.part`);
      await writeFile(temp, bytes);
      await rename(temp, join(dir, file.name));
      return;
    } catch (error) {
      failures.push(describeFailure(error));
    }
  }
  throw new Error(failures.length > 0 ? [...new Set(failures)].join('; ') : 'no download mirror configured');
}

/** Downloads the files missing from `dir`; the error lists every file to place there by hand. */
export async function fetchMissingFiles(source: PublishedSource, files: readonly PublishedFile[], dir: string): Promise<void> {
  const failures: { file: PublishedFile; reason: string }[] = [];
  for (const file of files) {
    const present = await stat(join(dir, file.name)).then(
      () => true,
      () => false,
    );
    if (present) continue;
    try {
      await fetchIntoCache(source, dir, file);
    } catch (error) {
      failures.push({ file, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    const list = files
      .map((file) => {
        const { algorithm, value } = expectedDigest(file);
        return `  ${file.name}  (${algorithm} ${value}; from ${source.mirrors[0] ?? ''}${file.name})`;
      })
      .join('\n');
    throw new DatasetUnavailableError(
      `${source.name}: cannot download ${failures.map((f) => f.file.name).join(', ')} (${first.reason}). ` +
        `Place these files in ${dir}/:\n${list}`,
    );
  }
}

/** Reads the files from `dir`, verifying each checksum; missing files are an error naming them. */
export async function readVerifiedFiles(source: PublishedSource, files: readonly PublishedFile[], dir: string): Promise<Map<string, Buffer>> {
  const missing: PublishedFile[] = [];
  const contents = new Map<string, Buffer>();
  for (const file of files) {
    const bytes = await readIfExists(join(dir, file.name));
    if (bytes === null) {
      missing.push(file);
      continue;
    }
    const mismatch = digestMismatch(file, bytes);
    if (mismatch) {
      throw new DatasetChecksumError(
        `${source.name}: ${join(dir, file.name)} has ${mismatch}. ` +
          `Delete it (it is damaged or a different file) and place the original there, or let tuneflow download it.`,
      );
    }
    contents.set(file.name, bytes);
  }
  if (missing.length > 0) {
    throw new DatasetUnavailableError(`${source.name}: missing ${missing.map((f) => f.name).join(', ')} in ${dir}`);
  }
  return contents;
}

/** Downloads what is missing, then reads and verifies every file: the whole "get the published files" step. */
export async function loadPublishedFiles(source: PublishedSource, files: readonly PublishedFile[], dir: string): Promise<Map<string, Buffer>> {
  await fetchMissingFiles(source, files, dir);
  return readVerifiedFiles(source, files, dir);
}
