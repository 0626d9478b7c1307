// Image-classification data sets published as four IDX files (MNIST, Fashion-MNIST, and the generated
// synthetic-shapes): find them in the cache, else download them from the mirrors, verify their sha256,
// and decode them. Nothing here is specific to one data set: each is a table of files and checksums.
import { join } from 'node:path';
import { datasetCacheDir } from '../cache';
import type { OptionReader } from '../../search/options';
import { settingsReader } from '../errors';
import { decodeIdx } from '../formats/idx';
import { DatasetChecksumError, fetchMissingFiles, readVerifiedFiles } from './published';
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

export { DatasetChecksumError, DatasetUnavailableError, sha256 } from './published';

/** Reads the four files from `dir`, verifying each checksum; missing files are an error naming them. */
export async function readIdxImageFiles(source: IdxImageSource, dir: string): Promise<RawDataset> {
  const files = source.files;
  const contents = await readVerifiedFiles(source, Object.values(files), dir);
  const decode = (file: IdxFile) => decodeIdx(new Uint8Array(contents.get(file.name)!), join(dir, file.name));
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
  await fetchMissingFiles(source, Object.values(source.files), dir);
  return readIdxImageFiles(source, dir);
}

/** Options every published IDX data set accepts: use only the first N examples of a split. */
export const SUBSET_OPTIONS: Record<string, string> = {
  trainSize: 'use only the first N training images (default: all)',
  testSize: 'use only the first N test images (default: all)',
};

/** Reads trainSize and testSize after refusing any option not in `known`. */
export function parseSubsetOptions(values: Record<string, unknown>, dataset: string, known: readonly string[] = Object.keys(SUBSET_OPTIONS)): { reader: OptionReader; trainSize: number; testSize: number } {
  const reader = settingsReader(values, (key) => `dataset.options.${key}`);
  reader.rejectUnknown(known, ` for data set ${dataset}`);
  return { reader, trainSize: reader.integer('trainSize', Number.MAX_SAFE_INTEGER, { min: 1 }), testSize: reader.integer('testSize', Number.MAX_SAFE_INTEGER, { min: 1 }) };
}

export function takeFirst(split: Split, count: number, imageSize: number): Split {
  if (count >= split.count) return split;
  return { x: split.x.subarray(0, count * imageSize), y: split.y.subarray(0, count), count };
}

/** A registry entry for a published IDX data set. */
export function idxDatasetModule(source: IdxImageSource, description: string): DatasetModule {
  return {
    name: source.name,
    description,
    options: SUBSET_OPTIONS,
    validateOptions: (options) => parseSubsetOptions(options, source.name),
    async load(options: Record<string, unknown>): Promise<RawDataset> {
      const { trainSize, testSize } = parseSubsetOptions(options, source.name);
      const raw = await loadIdxImageSource(source);
      const imageSize = raw.inputShape.reduce((a, b) => a * b, 1);
      return { ...raw, train: takeFirst(raw.train, trainSize, imageSize), test: takeFirst(raw.test, testSize, imageSize) };
    },
  };
}
