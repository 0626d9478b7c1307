// IMDB movie-review sentiment and Reuters newswire topics, as Keras publishes them preprocessed
// (https://storage.googleapis.com/tensorflow/tf-keras-datasets/, sha256 from keras/datasets/*.py):
//   imdb.npz     x_train, y_train, x_test, y_test   25,000 + 25,000 reviews, 2 classes
//   reuters.npz  x, y                               11,228 newswires, 46 topics (split here)
// Each `x` is a numpy object array holding one Python list of word ranks per text (1 = most frequent
// word), stored as a pickle; it is read by the minimal unpickler in pickle.ts, which never executes
// anything. Token ids then follow Keras' load_data conventions: 0 = padding, 1 = start, 2 = out of
// vocabulary, word of rank r -> r + indexFrom; ids >= numWords or < skipTop become 2. Sequences are
// padded and truncated at the front to maxLength, as keras.utils.pad_sequences does by default.
// Unlike Keras (which shuffles with numpy's RandomState(113)), examples keep their published order;
// reuters' test split is a seeded permutation of our own, so it differs from Keras' split.
import { datasetCacheDir } from '../cache';
import type { OptionReader } from '../../search/options';
import { settingsReader } from '../errors';
import { permutation } from '../rng';
import { decodeNpz, type NpyArray } from '../formats/npy';
import { DatasetChecksumError, loadPublishedFiles, type PublishedFile } from './published';
import type { DatasetModule, RawDataset, Split } from './types';

export const PAD = 0;
export const START = 1;
export const OOV = 2;

export interface SequenceOptions {
  numWords: number;
  maxLength: number;
  skipTop: number;
  indexFrom: number;
  trainSize: number;
  testSize: number;
}

export const SEQUENCE_OPTIONS: Record<keyof SequenceOptions, string> = {
  numWords: 'vocabulary: token ids at or above it become 2 (out of vocabulary); 0 keeps every word (default 10000)',
  maxLength: 'sequences are padded with 0 / truncated at the front to this length (default 200)',
  skipTop: 'token ids below it become 2, e.g. to drop the most frequent words (default 0)',
  indexFrom: 'the word of rank r gets id r + indexFrom (default 3: 0 pad, 1 start, 2 unknown)',
  trainSize: 'use only the first N training texts (default all)',
  testSize: 'use only the first N test texts (default all)',
};

export function parseSequenceOptions(reader: OptionReader): SequenceOptions {
  return {
    numWords: reader.integer('numWords', 10000, { min: 0 }),
    maxLength: reader.integer('maxLength', 200, { min: 1, max: 100000 }),
    skipTop: reader.integer('skipTop', 0, { min: 0 }),
    indexFrom: reader.integer('indexFrom', 3, { min: 0 }),
    trainSize: reader.integer('trainSize', Number.MAX_SAFE_INTEGER, { min: 1 }),
    testSize: reader.integer('testSize', Number.MAX_SAFE_INTEGER, { min: 1 }),
  };
}

/** Keras' id mapping (start token, index offset, vocabulary cut) then front padding/truncation. */
export function encodeSequences(texts: readonly (readonly number[])[], options: SequenceOptions, numWords: number): Int32Array {
  const { maxLength, skipTop, indexFrom } = options;
  const out = new Int32Array(texts.length * maxLength); // zero = padding
  texts.forEach((text, n) => {
    const ids = [START, ...text.map((rank) => rank + indexFrom)].map((id) => (id >= skipTop && id < numWords ? id : OOV));
    const kept = ids.slice(Math.max(0, ids.length - maxLength));
    out.set(kept, n * maxLength + (maxLength - kept.length));
  });
  return out;
}

export interface KerasTextSource {
  name: string;
  folder: string;
  mirrors: string[];
  file: PublishedFile;
  classNames: string[];
  /** Array names: imdb has published train/test splits, reuters one set split by `testSplit`. */
  layout: 'train-test' | 'single';
}

export const IMDB_SOURCE: KerasTextSource = {
  name: 'imdb',
  folder: 'imdb',
  mirrors: ['https://storage.googleapis.com/tensorflow/tf-keras-datasets/'],
  file: { name: 'imdb.npz', sha256: '69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f' },
  classNames: ['negative', 'positive'],
  layout: 'train-test',
};

export const REUTERS_SOURCE: KerasTextSource = {
  name: 'reuters',
  folder: 'reuters',
  mirrors: ['https://storage.googleapis.com/tensorflow/tf-keras-datasets/'],
  file: { name: 'reuters.npz', sha256: 'd6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916' },
  // keras.datasets.reuters.get_label_names()
  classNames: [
    'cocoa', 'grain', 'veg-oil', 'earn', 'acq', 'wheat', 'copper', 'housing', 'money-supply', 'coffee', 'sugar', 'trade',
    'reserves', 'ship', 'cotton', 'carcass', 'crude', 'nat-gas', 'cpi', 'money-fx', 'interest', 'gnp', 'meal-feed', 'alum',
    'oilseed', 'gold', 'tin', 'strategic-metal', 'livestock', 'retail', 'ipi', 'iron-steel', 'rubber', 'heat', 'jobs', 'lei',
    'bop', 'zinc', 'orange', 'pet-chem', 'dlr', 'gas', 'silver', 'wpi', 'hog', 'lead',
  ],
  layout: 'single',
};

/** Seed of reuters' train/test permutation (Keras' seed, though not Keras' generator). */
const SPLIT_SEED = 113;

interface TextSplit {
  texts: number[][];
  labels: number[];
}

function textSplit(arrays: Map<string, NpyArray>, xName: string, yName: string, where: string): TextSplit {
  const x = arrays.get(xName);
  const y = arrays.get(yName);
  if (!x || !y) throw new DatasetChecksumError(`${where}: expected arrays ${xName} and ${yName}, found ${[...arrays.keys()].join(', ')}`);
  if (x.dtype !== 'object' || x.shape.length !== 1) throw new DatasetChecksumError(`${where}: ${xName} must be a 1-D object array of word-index lists, got ${x.dtype} [${x.shape.join(', ')}]`);
  if (y.dtype === 'object' || y.shape.length !== 1 || y.shape[0] !== x.shape[0]) throw new DatasetChecksumError(`${where}: ${yName} must hold ${x.shape[0]} integer labels, got ${y.dtype} [${y.shape.join(', ')}]`);
  return { texts: x.data as number[][], labels: Array.from(y.data as ArrayLike<number>) };
}

function toSplit(split: TextSplit, options: SequenceOptions, numWords: number, numClasses: number, limit: number, where: string): Split {
  const count = Math.min(limit, split.texts.length);
  const labels = split.labels.slice(0, count);
  const bad = labels.findIndex((label) => !Number.isInteger(label) || label < 0 || label >= numClasses);
  if (bad >= 0) throw new DatasetChecksumError(`${where}: label ${labels[bad]} of text ${bad} is not a class below ${numClasses}`);
  return { x: encodeSequences(split.texts.slice(0, count), options, numWords), y: Int32Array.from(labels), count };
}

export async function loadKerasText(source: KerasTextSource, options: SequenceOptions, testSplit = 0.2, dir = datasetCacheDir(source.folder)): Promise<RawDataset> {
  const files = await loadPublishedFiles(source, [source.file], dir);
  const where = `${source.name}: ${dir}/${source.file.name}`;
  const arrays = decodeNpz(new Uint8Array(files.get(source.file.name)!), where);
  let train: TextSplit;
  let test: TextSplit;
  if (source.layout === 'train-test') {
    train = textSplit(arrays, 'x_train', 'y_train', where);
    test = textSplit(arrays, 'x_test', 'y_test', where);
  } else {
    const all = textSplit(arrays, 'x', 'y', where);
    const order = Array.from(permutation(all.texts.length, SPLIT_SEED));
    const testCount = Math.round(all.texts.length * testSplit);
    const part = (indices: number[]): TextSplit => ({ texts: indices.map((i) => all.texts[i]!), labels: indices.map((i) => all.labels[i]!) });
    train = part(order.slice(testCount));
    test = part(order.slice(0, testCount));
  }
  // numWords 0 keeps every word: the vocabulary is then the largest id in use plus one.
  const largestRank = [...train.texts, ...test.texts].reduce((most, text) => text.reduce((a, b) => Math.max(a, b), most), 0);
  const numWords = options.numWords > 0 ? options.numWords : largestRank + options.indexFrom + 1;
  return {
    name: source.name,
    kind: 'sequence',
    inputShape: [options.maxLength],
    vocabularySize: numWords,
    numClasses: source.classNames.length,
    classNames: source.classNames,
    train: toSplit(train, options, numWords, source.classNames.length, options.trainSize, `${where} (train)`),
    test: toSplit(test, options, numWords, source.classNames.length, options.testSize, `${where} (test)`),
  };
}

function kerasTextModule(source: KerasTextSource, description: string): DatasetModule {
  const options: Record<string, string> = {
    ...SEQUENCE_OPTIONS,
    ...(source.layout === 'single' ? { testSplit: 'fraction of the texts held out as the test split (default 0.2)' } : {}),
  };
  const parse = (values: Record<string, unknown>) => {
    const reader = settingsReader(values, (key) => `dataset.options.${key}`);
    reader.rejectUnknown(Object.keys(options), ` for data set ${source.name}`);
    const parsed = parseSequenceOptions(reader);
    return { parsed, testSplit: source.layout === 'single' ? reader.number('testSplit', 0.2, { minExclusive: 0, max: 0.9 }) : 0 };
  };
  return {
    name: source.name,
    description,
    options,
    validateOptions: parse,
    load(values) {
      const { parsed, testSplit } = parse(values);
      return loadKerasText(source, parsed, testSplit);
    },
  };
}

export const imdb = kerasTextModule(IMDB_SOURCE, 'IMDB movie reviews as word-index sequences (Keras imdb.npz), 2 classes (25k train / 25k test)');
export const reuters = kerasTextModule(REUTERS_SOURCE, 'Reuters newswires as word-index sequences (Keras reuters.npz), 46 topics (11,228 texts, 20% test)');
