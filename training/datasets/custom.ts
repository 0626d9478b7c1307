// custom: the user's own data from local files, in IDX, CSV or NPY/NPZ:
//   dataset: {name: custom, options: {format: npy, train: data/x_train.npy, trainLabels: data/y_train.npy,
//             test: data/x_test.npy, testLabels: data/y_test.npy}}
// Paths are resolved against the working directory. Labels are integer class ids 0..k-1 (k = largest + 1).
// Examples [n, d] become 1 x d x 1 "images" (feature vectors: mlp, softmax, svm-*; `auto` picks mlp),
// [n, h, w] and [n, h, w, c] are images, unless `shape` says otherwise; with `kind: sequence` the
// examples are token-id sequences [n, length] (0 = padding) for lstm. uint8 data are pixels scaled to
// [0, 1] on use; any other type is used as float32 numbers, times `scale`. With `kind: series` the
// examples are float time series [n, steps, features] (or [n, steps]: one feature) and the labels are
// real-valued regression targets [n] or [n, targets] (npy/idx; csv holds no series).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OptionReader } from '../../search/options';
import { InvalidConfigurationError, settingErrors } from '../errors';
import { decodeIdx } from '../formats/idx';
import { decodeNpy, decodeNpz, type NpyArray } from '../formats/npy';
import { DatasetChecksumError } from './published';
import type { DatasetModule, RawDataset, Split } from './types';
import { maxOf } from '../../search/math/extremes';

const FORMATS = ['idx', 'csv', 'npy'] as const;
type Format = (typeof FORMATS)[number];

const OPTION_DOCS: Record<string, string> = {
  format: `file format: ${FORMATS.join(', ')} (required)`,
  train: 'training examples file (required); npy: an .npy array, or an .npz holding arrays x and y',
  test: 'test examples file (required), as train',
  trainLabels: 'idx/npy: training labels file (not needed for csv, or for an .npz with y)',
  testLabels: 'idx/npy: test labels file',
  labelColumn: 'csv: label column, by header name or 0-based index (default: the column named "label", else the first)',
  header: 'csv: the first row names the columns (default true)',
  delimiter: 'csv: field separator (default ",")',
  kind: 'image (default: images or feature vectors), sequence (integer token ids) or series (float time series [n, steps, features] with regression targets)',
  shape: 'shape of one example as [height, width, channels], e.g. [28, 28, 1] for flattened MNIST rows',
  scale: 'multiply non-uint8 features by this (default 1)',
};

type Numeric = ArrayLike<number> & { length: number };

/** Reads the settings OptionReader has no type for: paths and strings, the label column, the shape. */
class CustomOptions extends OptionReader {
  constructor(settings: Record<string, unknown>) {
    const describe = (key: string) => `dataset.options.${key}`;
    super(describe(''), settings, settingErrors(describe));
  }

  string(key: string): string {
    this.has(key);
    const value = this.options[key];
    if (typeof value !== 'string' || value === '') this.invalid(key, `${key === 'delimiter' ? 'a string' : 'a file path'} for data set custom`);
    return value;
  }

  raw(key: string): unknown {
    this.has(key);
    return this.options[key];
  }

  intList(key: string): number[] {
    this.has(key);
    const value = this.options[key];
    const list = typeof value === 'string' ? value.split(/[,x ]+/).filter(Boolean).map(Number) : value;
    if (!Array.isArray(list) || list.length === 0 || list.some((n) => !Number.isInteger(n) || (n as number) < 1)) {
      this.invalid(key, 'a list of positive integers like [28, 28, 1]');
    }
    return list as number[];
  }
}

interface Examples {
  x: Numeric;
  /** Per-example shape as stored in the file. */
  exampleShape: number[];
  count: number;
  labels: Numeric;
}

async function readBytes(option: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(resolve(path)));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidConfigurationError(`dataset.options.${option}: cannot read ${resolve(path)} (${code ?? String(error)})`);
  }
}

function numeric(array: NpyArray, where: string): Numeric {
  if (array.dtype === 'object') throw new DatasetChecksumError(`${where}: object arrays are not supported for custom data; store numbers`);
  return array.data as Numeric;
}

async function readNpy(reader: CustomOptions, split: 'train' | 'test'): Promise<Examples> {
  const path = reader.string(split);
  const bytes = await readBytes(split, path);
  if (path.endsWith('.npz')) {
    const arrays = decodeNpz(bytes, path);
    const x = arrays.get('x');
    const y = arrays.get('y');
    if (!x || !y) throw new DatasetChecksumError(`${path}: an .npz for custom data must hold arrays x and y (found ${[...arrays.keys()].join(', ')})`);
    return { x: numeric(x, `${path}:x`), exampleShape: x.shape.slice(1), count: x.shape[0] ?? 0, labels: numeric(y, `${path}:y`) };
  }
  const labelsOption = `${split}Labels`;
  const labelsPath = reader.string(labelsOption);
  const x = decodeNpy(bytes, path);
  const y = decodeNpy(await readBytes(labelsOption, labelsPath), labelsPath);
  return { x: numeric(x, path), exampleShape: x.shape.slice(1), count: x.shape[0] ?? 0, labels: numeric(y, labelsPath) };
}

async function readIdx(reader: CustomOptions, split: 'train' | 'test'): Promise<Examples> {
  const path = reader.string(split);
  const labelsPath = reader.string(`${split}Labels`);
  const x = decodeIdx(await readBytes(split, path), path);
  const y = decodeIdx(await readBytes(`${split}Labels`, labelsPath), labelsPath);
  return { x: x.data, exampleShape: x.dims.slice(1), count: x.dims[0] ?? 0, labels: y.data };
}

/** Splits one CSV line on the delimiter, honoring double-quoted fields. */
function csvFields(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else field += ch;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

async function readCsv(reader: CustomOptions, split: 'train' | 'test'): Promise<Examples> {
  const path = reader.string(split);
  const text = Buffer.from(await readBytes(split, path)).toString('utf8');
  const delimiter = reader.has('delimiter') ? reader.string('delimiter') : ',';
  const header = reader.boolean('header', true);
  const rows = text.split(/\r?\n/).filter((line) => line.trim() !== '').map((line) => csvFields(line, delimiter));
  const names = header ? (rows.shift() ?? []) : [];
  let labelColumn = 0;
  if (reader.has('labelColumn')) {
    const wanted = reader.raw('labelColumn');
    labelColumn = typeof wanted === 'number' ? wanted : names.indexOf(String(wanted));
    if (!Number.isInteger(labelColumn) || labelColumn < 0 || (rows[0] && labelColumn >= rows[0].length)) {
      throw new InvalidConfigurationError(`dataset.options.labelColumn: ${JSON.stringify(wanted)} is not a column of ${path} (columns: ${names.join(', ') || `0..${(rows[0]?.length ?? 1) - 1}`})`);
    }
  } else if (names.includes('label')) labelColumn = names.indexOf('label');
  const width = rows[0]?.length ?? 0;
  const features = new Float32Array(rows.length * (width - 1));
  const labels = new Float64Array(rows.length);
  rows.forEach((row, r) => {
    if (row.length !== width) throw new DatasetChecksumError(`${path}: row ${r + (header ? 2 : 1)} has ${row.length} fields, the first row ${width}`);
    let k = 0;
    row.forEach((cell, c) => {
      const value = Number(cell);
      if (cell === '' || !Number.isFinite(value)) throw new DatasetChecksumError(`${path}: row ${r + (header ? 2 : 1)}, column ${names[c] ?? c}: ${JSON.stringify(cell)} is not a number`);
      if (c === labelColumn) labels[r] = value;
      else features[r * (width - 1) + k++] = value;
    });
  });
  return { x: features, exampleShape: [width - 1], count: rows.length, labels };
}

const READERS: Record<Format, (reader: CustomOptions, split: 'train' | 'test') => Promise<Examples>> = { idx: readIdx, csv: readCsv, npy: readNpy };

function checkLabels(examples: Examples, where: string): Int32Array {
  if (examples.labels.length !== examples.count) throw new DatasetChecksumError(`${where}: ${examples.count} examples but ${examples.labels.length} labels`);
  const labels = Int32Array.from(examples.labels);
  const bad = Array.from(examples.labels).findIndex((label) => !Number.isInteger(label) || label < 0);
  if (bad >= 0) throw new DatasetChecksumError(`${where}: label ${examples.labels[bad]} of example ${bad} is not a class id (an integer >= 0)`);
  return labels;
}

function imageShape(exampleShape: number[], shapeOption: number[] | null, where: string): [number, number, number] {
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const shape: number[] = shapeOption ?? (exampleShape.length === 1 ? [1, exampleShape[0]!, 1] : exampleShape.length === 2 ? [...exampleShape, 1] : exampleShape);
  if (shape.length !== 3 || shape.reduce((a, b) => a * b, 1) !== size) {
    throw new InvalidConfigurationError(`dataset.options.shape: examples of ${where} have ${size} values [${exampleShape.join(', ')}], which is not [height, width, channels] ${shapeOption ? `[${shapeOption.join(', ')}]` : ''}`);
  }
  return shape as [number, number, number];
}

/** Checks every option without reading a file: what spec loading runs, and the first step of loading. */
export function parseCustomOptions(values: Record<string, unknown>) {
  const reader = new CustomOptions(values);
  reader.rejectUnknown(Object.keys(OPTION_DOCS), ' for data set custom');
  if (!reader.has('format')) {
    const problem = `is required for data set custom: one of ${FORMATS.join(', ')}`;
    throw new InvalidConfigurationError(`dataset.options.format ${problem}`, { key: 'format', problem });
  }
  const format = reader.choice('format', FORMATS, 'npy');
  for (const split of ['train', 'test']) {
    const path = reader.string(split);
    if (format === 'idx' || (format === 'npy' && !path.endsWith('.npz'))) reader.string(`${split}Labels`);
  }
  if (format === 'csv') {
    reader.boolean('header', true);
    if (reader.has('delimiter')) reader.string('delimiter');
    const column = reader.raw('labelColumn');
    if (column !== undefined && typeof column !== 'string' && !(Number.isInteger(column) && (column as number) >= 0)) {
      const problem = `must be a column name or a 0-based column index, got ${JSON.stringify(column)}`;
      throw new InvalidConfigurationError(`dataset.options.labelColumn ${problem}`, { key: 'labelColumn', problem });
    }
  }
  return {
    reader,
    format,
    kind: reader.choice('kind', ['image', 'sequence', 'series'] as const, 'image'),
    scale: reader.number('scale', 1),
    shapeOption: reader.has('shape') ? reader.intList('shape') : null,
  };
}

/** Float windows [n, steps, features] with float targets [n] or [n, k]. */
function seriesData(train: Examples, test: Examples, reader: CustomOptions, scale: number): RawDataset {
  const shapeOf = (examples: Examples, where: string): [number, number] => {
    const shape = examples.exampleShape;
    if (shape.length === 1) return [shape[0]!, 1];
    if (shape.length === 2) return [shape[0]!, shape[1]!];
    throw new InvalidConfigurationError(`dataset.options.kind series needs examples [n, steps, features] or [n, steps]; ${where} has [n, ${shape.join(', ')}]`);
  };
  const split = (examples: Examples, where: string): Split => {
    const targets = examples.labels.length / Math.max(1, examples.count);
    if (!Number.isInteger(targets) || targets < 1) throw new DatasetChecksumError(`${where}: ${examples.count} examples but ${examples.labels.length} targets (want [n] or [n, targets])`);
    const x = Float32Array.from(examples.x);
    if (scale !== 1) for (let i = 0; i < x.length; i++) x[i]! *= scale;
    const y = Float32Array.from(examples.labels);
    const bad = [...x, ...y].findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DatasetChecksumError(`${where}: value ${bad < x.length ? x[bad] : y[bad - x.length]} at ${bad} is not a finite number`);
    return { x, y, count: examples.count };
  };
  const [trainPath, testPath] = [reader.string('train'), reader.string('test')];
  const inputShape = shapeOf(train, trainPath);
  if (inputShape.join() !== shapeOf(test, testPath).join()) throw new DatasetChecksumError(`custom data: train series are [${inputShape.join(', ')}], test [${test.exampleShape.join(', ')}]`);
  const trainSplit = split(train, trainPath);
  const testSplit = split(test, testPath);
  const targets = trainSplit.y.length / Math.max(1, trainSplit.count);
  if (testSplit.y.length !== targets * testSplit.count) throw new DatasetChecksumError(`custom data: train has ${targets} targets per example, test ${testSplit.y.length / Math.max(1, testSplit.count)}`);
  const classNames = Array.from({ length: targets }, (_, i) => `target_${i}`);
  return { name: 'custom', kind: 'series', inputShape, numClasses: targets, classNames, train: trainSplit, test: testSplit };
}

export async function loadCustom(values: Record<string, unknown>): Promise<RawDataset> {
  const { reader, format, kind, scale, shapeOption } = parseCustomOptions(values);
  const [train, test] = [await READERS[format](reader, 'train'), await READERS[format](reader, 'test')];
  if (kind === 'series') return seriesData(train, test, reader, scale);
  const trainLabels = checkLabels(train, reader.string('train'));
  const testLabels = checkLabels(test, reader.string('test'));
  const numClasses = Math.max(maxOf(trainLabels), maxOf(testLabels)) + 1;
  if (numClasses < 2) throw new DatasetChecksumError(`custom data: the labels name only ${numClasses} class; classification needs at least 2`);
  const base = { name: 'custom', numClasses, classNames: Array.from({ length: numClasses }, (_, i) => String(i)) };

  if (kind === 'sequence') {
    const tokens = (examples: Examples, where: string): Int32Array => {
      if (examples.exampleShape.length !== 1) throw new InvalidConfigurationError(`dataset.options.kind sequence needs examples [n, length]; ${where} has [n, ${examples.exampleShape.join(', ')}]`);
      const ids = Int32Array.from(examples.x);
      const bad = Array.from(examples.x).findIndex((v) => !Number.isInteger(v) || v < 0);
      if (bad >= 0) throw new DatasetChecksumError(`${where}: token ${examples.x[bad]} at ${bad} is not an id (an integer >= 0)`);
      return ids;
    };
    if (train.exampleShape[0] !== test.exampleShape[0]) throw new DatasetChecksumError(`custom data: train sequences have length ${train.exampleShape[0]}, test ${test.exampleShape[0]}`);
    const trainX = tokens(train, reader.string('train'));
    const testX = tokens(test, reader.string('test'));
    const vocabularySize = Math.max(trainX.reduce((a, b) => Math.max(a, b), 0), testX.reduce((a, b) => Math.max(a, b), 0)) + 1;
    return {
      ...base,
      kind: 'sequence',
      inputShape: [train.exampleShape[0]!],
      vocabularySize,
      train: { x: trainX, y: trainLabels, count: train.count },
      test: { x: testX, y: testLabels, count: test.count },
    };
  }
  const inputShape = imageShape(train.exampleShape, shapeOption, reader.string('train'));
  const testShape = imageShape(test.exampleShape, shapeOption, reader.string('test'));
  if (inputShape.join() !== testShape.join()) throw new DatasetChecksumError(`custom data: train examples are [${inputShape.join(', ')}], test [${testShape.join(', ')}]`);
  const features = (examples: Examples, labels: Int32Array): Split => {
    if (examples.x instanceof Uint8Array) return { x: examples.x, y: labels, count: examples.count };
    const x = Float32Array.from(examples.x);
    if (scale !== 1) for (let i = 0; i < x.length; i++) x[i]! *= scale;
    return { x, y: labels, count: examples.count };
  };
  return { ...base, kind: 'image', inputShape, train: features(train, trainLabels), test: features(test, testLabels) };
}

export const custom: DatasetModule = {
  name: 'custom',
  description: 'your own local data: IDX, CSV or NPY/NPZ files given by path',
  options: OPTION_DOCS,
  validateOptions: parseCustomOptions,
  load: loadCustom,
};
