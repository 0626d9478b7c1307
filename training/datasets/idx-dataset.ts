// Image-classification data sets published as four IDX files (MNIST, Fashion-MNIST, and the generated
// synthetic-shapes): find them in the cache, else download them from the mirrors, verify their sha256,
// and decode them. Nothing here is specific to one data set: each is a table of files and checksums.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetCacheDir } from '../cache';
import { OptionReader } from '../options';
import { decodeIdx } from './idx';
import type { DatasetModule, RawDataset, Split } from './types';

export interface IdxFile {
  /** File name as published, e.g. `train-images-idx3-ubyte.gz`. */
  name: string;
  sha256: string;
}

export interface IdxImageFiles {
  trainImages: IdxFile;
  trainLabels: IdxFile;
  testImages: IdxFile;
  testLabels: IdxFile;
}

export interface IdxImageSource {
  name: string;
  /** Folder under `<cache>/datasets/`. */
  folder: string;
  /** Base URLs tried in order; a file's URL is base + file name. */
  mirrors: string[];
  files: IdxImageFiles;
  classNames: string[];
}

/** The files of a data set are neither in the cache nor downloadable. */
export class DatasetUnavailableError extends Error {
  override readonly name = 'DatasetUnavailableError';
}

/** A cached file does not match its published checksum. */
export class DatasetChecksumError extends Error {
  override readonly name = 'DatasetChecksumError';
}

const DOWNLOAD_TIMEOUT_MS = 120_000;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function checkDigest(source: string, dir: string, file: IdxFile, bytes: Uint8Array): void {
  const actual = sha256(bytes);
  if (actual !== file.sha256) {
    throw new DatasetChecksumError(
      `${source}: ${join(dir, file.name)} has sha256 ${actual}, expected ${file.sha256}. ` +
        `Delete it (it is damaged or a different file) and place the original there, or let tuneflow download it.`,
    );
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
  return error.message;
}

/** Downloads one file from the first mirror that serves bytes with the right checksum; writes it atomically. */
async function fetchIntoCache(source: IdxImageSource, dir: string, file: IdxFile): Promise<void> {
  const failures: string[] = [];
  for (const mirror of source.mirrors) {
    const url = mirror + file.name;
    try {
      const bytes = await download(url);
      const actual = sha256(bytes);
      if (actual !== file.sha256) throw new Error(`${url} served sha256 ${actual}, expected ${file.sha256}`);
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

/** Reads the four files from `dir`, verifying each checksum; missing files are an error naming them. */
export async function readIdxImageFiles(source: IdxImageSource, dir: string): Promise<RawDataset> {
  const files = source.files;
  const missing: IdxFile[] = [];
  const contents = new Map<IdxFile, Buffer>();
  for (const file of Object.values(files)) {
    const bytes = await readIfExists(join(dir, file.name));
    if (bytes === null) missing.push(file);
    else {
      checkDigest(source.name, dir, file, bytes);
      contents.set(file, bytes);
    }
  }
  if (missing.length > 0) {
    throw new DatasetUnavailableError(`${source.name}: missing ${missing.map((f) => f.name).join(', ')} in ${dir}`);
  }
  const decode = (file: IdxFile) => decodeIdx(new Uint8Array(contents.get(file)!), join(dir, file.name));
  const numClasses = source.classNames.length;
  const split = (images: IdxFile, labels: IdxFile): { split: Split; shape: [number, number, number] } => {
    const x = decode(images);
    const y = decode(labels);
    const where = `${source.name}: ${images.name}/${labels.name}`;
    if (x.type !== 'uint8' || (x.dims.length !== 3 && x.dims.length !== 4)) {
      throw new DatasetChecksumError(`${where}: expected uint8 images [n, h, w] or [n, h, w, c], got ${x.type} [${x.dims.join(', ')}]`);
    }
    if (y.type !== 'uint8' || y.dims.length !== 1 || y.dims[0] !== x.dims[0]) {
      throw new DatasetChecksumError(`${where}: expected ${x.dims[0]} uint8 labels, got ${y.type} [${y.dims.join(', ')}]`);
    }
    const labelsData = y.data as Uint8Array;
    const bad = labelsData.findIndex((label) => label >= numClasses);
    if (bad >= 0) throw new DatasetChecksumError(`${where}: label ${labelsData[bad]} at index ${bad} is not below ${numClasses} classes`);
    const [count, height, width, channels = 1] = x.dims as [number, number, number, number?];
    return { split: { x: x.data as Uint8Array, y: labelsData, count }, shape: [height, width, channels] };
  };
  const train = split(files.trainImages, files.trainLabels);
  const test = split(files.testImages, files.testLabels);
  if (train.shape.join() !== test.shape.join()) {
    throw new DatasetChecksumError(`${source.name}: train images are [${train.shape.join(', ')}] but test images are [${test.shape.join(', ')}]`);
  }
  return { name: source.name, kind: 'image', inputShape: train.shape, numClasses, classNames: source.classNames, train: train.split, test: test.split };
}

/**
 * Loads a published IDX data set from `<cache>/datasets/<folder>/`, downloading missing files first.
 * Without network the error names every file to place and the folder to place it in.
 */
export async function loadIdxImageSource(source: IdxImageSource, dir = datasetCacheDir(source.folder)): Promise<RawDataset> {
  const failures: { file: IdxFile; reason: string }[] = [];
  for (const file of Object.values(source.files)) {
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
    const list = Object.values(source.files)
      .map((file) => `  ${file.name}  (sha256 ${file.sha256}; from ${source.mirrors[0] ?? ''}${file.name})`)
      .join('\n');
    throw new DatasetUnavailableError(
      `${source.name}: cannot download ${failures.map((f) => f.file.name).join(', ')} (${first.reason}). ` +
        `Place these files in ${dir}/:\n${list}`,
    );
  }
  return readIdxImageFiles(source, dir);
}

/** Options every published IDX data set accepts: use only the first N examples of a split. */
export const SUBSET_OPTIONS: Record<string, string> = {
  trainSize: 'use only the first N training images (default: all)',
  testSize: 'use only the first N test images (default: all)',
};

function takeFirst(split: Split, count: number, imageSize: number): Split {
  if (count >= split.count) return split;
  return { x: split.x.subarray(0, count * imageSize), y: split.y.subarray(0, count), count };
}

/** A registry entry for a published IDX data set. */
export function idxDatasetModule(source: IdxImageSource, description: string): DatasetModule {
  return {
    name: source.name,
    description,
    options: SUBSET_OPTIONS,
    async load(options: Record<string, unknown>): Promise<RawDataset> {
      const reader = new OptionReader(options, (key) => `dataset.options.${key}`);
      reader.rejectUnknown(Object.keys(SUBSET_OPTIONS), ` for data set ${source.name}`);
      const trainSize = reader.int('trainSize', Number.MAX_SAFE_INTEGER, { min: 1 });
      const testSize = reader.int('testSize', Number.MAX_SAFE_INTEGER, { min: 1 });
      const raw = await loadIdxImageSource(source);
      const imageSize = raw.inputShape.reduce((a, b) => a * b, 1);
      return { ...raw, train: takeFirst(raw.train, trainSize, imageSize), test: takeFirst(raw.test, testSize, imageSize) };
    },
  };
}
