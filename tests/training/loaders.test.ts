// Every published-format loader against small files generated here in exactly the published format
// (see published-formats.ts) and placed in a temp cache: shapes, labels, the seeded validation split,
// the test split kept apart, checksum mismatches, and the offline error naming the files to place.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { findTool } from '../../cli/services/tools';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { clearDatasetCache, DatasetChecksumError, DatasetUnavailableError, encodeIdx, InvalidConfigurationError, loadDataset } from '../../training';
import { carveValidation, type Dataset, type RawDataset } from '../../training/datasets';
import { CIFAR10_SOURCE, CIFAR100_SOURCE, loadCifar } from '../../training/datasets/cifar';
import { GTSRB_CLASS_NAMES, GTSRB_SOURCE, loadGtsrb, parseGtsrbOptions } from '../../training/datasets/gtsrb';
import { IMDB_SOURCE, loadKerasText, parseSequenceOptions, REUTERS_SOURCE, type KerasTextSource } from '../../training/datasets/keras-text';
import { encodeNpy } from '../../training/formats/npy';
import { settingsReader } from '../../training/errors';
import { tempDir, useTempCache } from './helpers';
import { cifarPixel, cifarRecords, gtsrbArchives, gtsrbColour, int64Npy, md5, npz, objectArrayNpy, tarGz, wordRanks } from './published-formats';
import { sha256 } from '../../training/datasets/published';

// The MLflow venv's Python (numpy is an MLflow dependency), found before the tests move the cache.
const python = join(dirname(findTool('mlflow')), 'python');

let cache: string;
beforeEach(() => {
  cache = useTempCache();
  clearDatasetCache();
});
afterEach(() => {
  delete process.env.TUNEFLOW_DATASET_MIRROR;
});

function place(folder: string, files: Record<string, Uint8Array>): string {
  const dir = join(cache, 'datasets', folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** Example i of an image split as its bytes, for comparing splits. */
const example = (split: { x: ArrayLike<number> }, i: number, size: number) => Array.from(split.x as Uint8Array).slice(i * size, (i + 1) * size).join();

/** Train and validation are a partition of the published train split; test is untouched. */
function expectCarvedFrom(raw: RawDataset, data: Dataset, size: number) {
  expect(data.train.count + data.validation.count).toBe(raw.train.count);
  const published = new Set(Array.from({ length: raw.train.count }, (_, i) => example(raw.train, i, size)));
  const carved = [...Array.from({ length: data.train.count }, (_, i) => example(data.train, i, size)), ...Array.from({ length: data.validation.count }, (_, i) => example(data.validation, i, size))];
  expect(new Set(carved)).toEqual(published);
  expect(data.test).toBe(raw.test);
}

describe('CIFAR-10 and CIFAR-100 (binary batches in a tar.gz)', () => {
  const cifar10Archive = () => {
    // 3 records per batch file, labels cycling through all 10 classes, record index continuing across files.
    const members: Record<string, Uint8Array | string> = { 'cifar-10-batches-bin/batches.meta.txt': `${CIFAR10_SOURCE.classes.fine.names.join('\n')}\n\n` };
    for (let b = 1; b <= 5; b++) members[`cifar-10-batches-bin/data_batch_${b}.bin`] = cifarRecords([0, 1, 2].map((i) => [((b - 1) * 3 + i) % 10]), (b - 1) * 3);
    members['cifar-10-batches-bin/test_batch.bin'] = cifarRecords([[9], [8], [7], [6]], 100);
    members['cifar-10-batches-bin/readme.html'] = '<html></html>';
    return tarGz('cifar-10-binary.tar.gz', members);
  };

  test('CIFAR-10: five train batches and the test batch, planes reordered to 32x32x3, labels kept', async () => {
    const archive = cifar10Archive();
    const dir = place('cifar10', { 'cifar-10-binary.tar.gz': archive });
    const raw = await loadCifar({ ...CIFAR10_SOURCE, archive: { name: 'cifar-10-binary.tar.gz', md5: md5(archive) } }, 'fine', dir);
    expect(raw.inputShape).toEqual([32, 32, 3]);
    expect([raw.numClasses, raw.classNames[0], raw.classNames[9]]).toEqual([10, 'airplane', 'truck']);
    expect([raw.train.count, raw.test.count, raw.train.x.length]).toEqual([15, 4, 15 * 3072]);
    expect([...raw.train.y]).toEqual(Array.from({ length: 15 }, (_, i) => i % 10));
    expect([...raw.test.y]).toEqual([9, 8, 7, 6]);
    // Record 7 (batch 3), pixel (row 2, column 5): its R, G and B bytes come from the three planes.
    const p = 2 * 32 + 5;
    expect([...raw.train.x.subarray(7 * 3072 + p * 3, 7 * 3072 + p * 3 + 3)]).toEqual([0, 1, 2].map((c) => cifarPixel(7, c, p)));
    expect(raw.test.x[3 * 3072 + 1023 * 3 + 2]).toBe(cifarPixel(103, 2, 1023));

    const a = carveValidation(raw, 4, 0.2);
    const b = carveValidation(raw, 4, 0.2);
    expect(a.validation.count).toBe(3);
    expect(example(a.validation, 0, 3072)).toBe(example(b.validation, 0, 3072));
    expectCarvedFrom(raw, a, 3072);
  });

  test('CIFAR-100: coarse and fine labels, class names from the archive', async () => {
    const fine = Array.from({ length: 100 }, (_, i) => `fine${i}`);
    const coarse = Array.from({ length: 20 }, (_, i) => `coarse${i}`);
    const archive = tarGz('cifar-100-binary.tar.gz', {
      'cifar-100-binary/coarse_label_names.txt': `${coarse.join('\n')}\n`,
      'cifar-100-binary/fine_label_names.txt': `${fine.join('\n')}\n`,
      'cifar-100-binary/train.bin': cifarRecords([[3, 99], [19, 0], [0, 42]]),
      'cifar-100-binary/test.bin': cifarRecords([[7, 55]], 50),
    });
    const dir = place('cifar100', { 'cifar-100-binary.tar.gz': archive });
    const source = { ...CIFAR100_SOURCE, archive: { name: 'cifar-100-binary.tar.gz', md5: md5(archive) } };
    const byFine = await loadCifar(source, 'fine', dir);
    expect([byFine.numClasses, byFine.classNames[42]]).toEqual([100, 'fine42']);
    expect([...byFine.train.y, ...byFine.test.y]).toEqual([99, 0, 42, 55]);
    const byCoarse = await loadCifar(source, 'coarse', dir);
    expect([byCoarse.numClasses, byCoarse.classNames[19]]).toEqual([20, 'coarse19']);
    expect([...byCoarse.train.y, ...byCoarse.test.y]).toEqual([3, 19, 0, 7]);
    expect(byCoarse.train.x[3072 + 3 * 100]).toBe(cifarPixel(1, 0, 100)); // two label bytes skipped
  });

  test('the registered loader refuses an archive whose md5 differs from the published one', async () => {
    const archive = cifar10Archive();
    const path = join(place('cifar10', { 'cifar-10-binary.tar.gz': archive }), 'cifar-10-binary.tar.gz');
    const error = await loadDataset({ name: 'cifar10', options: {} }, { seed: 1, validationSplit: 0.1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect((error as Error).message).toContain(`cifar10: ${path} has md5 ${md5(archive)}, expected ${CIFAR10_SOURCE.archive.md5}`);
  });

  test('a truncated batch file is a clear error naming the member', async () => {
    const archive = tarGz('cifar-10-binary.tar.gz', {
      ...Object.fromEntries([1, 2, 3, 4, 5].map((b) => [`cifar-10-batches-bin/data_batch_${b}.bin`, cifarRecords([[1]])])),
      'cifar-10-batches-bin/test_batch.bin': cifarRecords([[1]]).subarray(0, 3000),
    });
    const dir = place('cifar10', { 'cifar-10-binary.tar.gz': archive });
    await expect(loadCifar({ ...CIFAR10_SOURCE, archive: { name: 'cifar-10-binary.tar.gz', md5: md5(archive) } }, 'fine', dir)).rejects.toThrow(
      /cifar10: cifar-10-batches-bin\/test_batch.bin: 3000 bytes is not a whole number of 3073-byte records/,
    );
  });
});

describe('GTSRB (PPM photos and ;-separated CSVs in three zips)', () => {
  const fixture = gtsrbArchives([0, 14, 42], 4, [14, 42, 0, 0, 42]);
  const withOurChecksums = {
    ...GTSRB_SOURCE,
    files: {
      train: { name: 'GTSRB_Final_Training_Images.zip', md5: md5(fixture.archives['GTSRB_Final_Training_Images.zip']!) },
      testImages: { name: 'GTSRB_Final_Test_Images.zip', md5: md5(fixture.archives['GTSRB_Final_Test_Images.zip']!) },
      testLabels: { name: 'GTSRB_Final_Test_GT.zip', md5: md5(fixture.archives['GTSRB_Final_Test_GT.zip']!) },
    },
  };

  test('reads every class folder, crops each photo to its ROI and resizes it', async () => {
    const dir = place('gtsrb', fixture.archives);
    const raw = await loadGtsrb(withOurChecksums, parseGtsrbOptions({ imageSize: 8 }), dir);
    expect(raw.inputShape).toEqual([8, 8, 3]);
    expect([raw.numClasses, raw.classNames[14]]).toEqual([43, GTSRB_CLASS_NAMES[14]]);
    expect([...raw.train.y]).toEqual(fixture.trainClasses);
    expect([...raw.test.y]).toEqual(fixture.testClasses);
    // Cropped to the sign: every pixel is the sign's colour.
    const pixels = (split: RawDataset['train'], n: number) => Array.from(split.x.subarray(n * 192, (n + 1) * 192));
    expect(new Set(pixels(raw.train, 5).map((v, i) => v === gtsrbColour(14)[i % 3]))).toEqual(new Set([true]));
    expect(pixels(raw.test, 1).slice(0, 3)).toEqual(gtsrbColour(42));
  });

  test('without cropping the background shows; trainSize takes an even spread over the class-sorted list', async () => {
    const dir = place('gtsrb', fixture.archives);
    const raw = await loadGtsrb(withOurChecksums, parseGtsrbOptions({ imageSize: 8, crop: false, trainSize: 3, testSize: 2 }), dir);
    expect([...raw.train.y]).toEqual([0, 14, 42]);
    expect(raw.test.count).toBe(2);
    expect(Array.from(raw.train.x.subarray(0, 3))).toEqual([0, 0, 0]); // corner pixel: background
  });

  test('the registered loader checks the published md5 of each archive', async () => {
    place('gtsrb', fixture.archives);
    const error = await loadDataset({ name: 'gtsrb', options: { imageSize: 8 } }, { seed: 1, validationSplit: 0.1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect((error as Error).message).toContain(`expected ${GTSRB_SOURCE.files.train.md5}`);
  });
});

describe('IMDB and Reuters (Keras .npz of pickled word-rank lists)', () => {
  const ours = (source: KerasTextSource, bytes: Uint8Array): KerasTextSource => ({ ...source, file: { name: source.file.name, sha256: sha256(bytes) } });
  const options = (values: Record<string, unknown>) => parseSequenceOptions(settingsReader(values, (key) => key));

  test('IMDB: ids follow Keras (1 start, 2 unknown, rank + 3), front padding and truncation', async () => {
    const trainTexts = [[1, 2, 3], [4, 9998, 20000, 5], ...wordRanks(8, 50)];
    const trainLabels = trainTexts.map((_, i) => i % 2);
    const testTexts = wordRanks(6, 50, 7);
    const file = npz({ x_train: objectArrayNpy(trainTexts), y_train: int64Npy(trainLabels), x_test: objectArrayNpy(testTexts), y_test: int64Npy([1, 0, 1, 0, 1, 1]) });
    const dir = place('imdb', { 'imdb.npz': file });
    const raw = await loadKerasText(ours(IMDB_SOURCE, file), options({ numWords: 10000, maxLength: 4 }), 0, dir);
    expect(raw.kind).toBe('sequence');
    expect(raw.inputShape).toEqual([4]);
    expect(raw.kind === 'sequence' && raw.vocabularySize).toBe(10000);
    expect([raw.train.count, raw.test.count, raw.numClasses]).toEqual([10, 6, 2]);
    expect([...raw.train.x.subarray(0, 8)]).toEqual([1, 4, 5, 6, /* next text, truncated at the front: */ 7, 2, 2, 8]);
    expect([...raw.train.y]).toEqual(trainLabels);
    expect([...raw.test.y]).toEqual([1, 0, 1, 0, 1, 1]);

    const padded = await loadKerasText(ours(IMDB_SOURCE, file), options({ maxLength: 6, skipTop: 5, trainSize: 1 }), 0, dir);
    expect([...padded.train.x]).toEqual([0, 0, 2, 2, 5, 6]); // start (1) and rank 1 (id 4) are below skipTop
    expect(padded.train.count).toBe(1);
  });

  test('Reuters: one set split into train and test with a fixed seed, the same on every load', async () => {
    const texts = wordRanks(30, 200);
    const labels = texts.map((_, i) => (i * 7) % 46);
    const file = npz({ x: objectArrayNpy(texts), y: int64Npy(labels) });
    const dir = place('reuters', { 'reuters.npz': file });
    const load = () => loadKerasText(ours(REUTERS_SOURCE, file), options({ maxLength: 10 }), 0.2, dir);
    const [a, b] = [await load(), await load()];
    expect([a.train.count, a.test.count, a.numClasses, a.classNames[3]]).toEqual([24, 6, 46, 'earn']);
    expect([...a.test.x]).toEqual([...b.test.x]);
    const rows = (split: RawDataset['train']) => Array.from({ length: split.count }, (_, i) => `${example(split, i, 10)}|${split.y[i]}`);
    const expected = texts.map((text, i) => {
      const ids = [1, ...text.map((r) => r + 3)].slice(-10);
      return `${[...new Array<number>(10 - ids.length).fill(0), ...ids].join()}|${labels[i]}`;
    });
    expect(new Set([...rows(a.train), ...rows(a.test)])).toEqual(new Set(expected));
    expect(rows(a.test).some((row) => rows(a.train).includes(row))).toBe(false);
  });

  test('an .npz written by numpy itself (object arrays pickled by numpy, int64 labels) reads the same', async () => {
    const dir = tempDir('numpy');
    const script = [
      'import sys, numpy as np',
      'def texts(rows):',
      '    out = np.empty(len(rows), dtype=object)',
      '    for i, row in enumerate(rows): out[i] = row',
      '    return out',
      'x = texts([[1, 2, 3], [4, 70000, 5], list(range(1, 40))])',
      "np.savez(sys.argv[1] + '/imdb.npz', x_train=x, y_train=np.array([0, 1, 1]), x_test=x[:2], y_test=np.array([1, 0]))",
      "np.savez_compressed(sys.argv[1] + '/reuters.npz', x=texts([[5, 6]] * 10), y=np.arange(10) % 46)",
    ].join('\n');
    execFileSync(python, ['-c', script, dir]);
    const imdbFile = new Uint8Array(readFileSync(join(dir, 'imdb.npz')));
    const imdb = await loadKerasText(ours(IMDB_SOURCE, imdbFile), options({ maxLength: 5 }), 0, dir);
    expect([...imdb.train.x.subarray(0, 10)]).toEqual([0, 1, 4, 5, 6, /* rank 70000 is out of vocabulary: */ 0, 1, 7, 2, 8]);
    expect([...imdb.train.y, ...imdb.test.y]).toEqual([0, 1, 1, 1, 0]);
    const reutersFile = new Uint8Array(readFileSync(join(dir, 'reuters.npz')));
    const reuters = await loadKerasText(ours(REUTERS_SOURCE, reutersFile), options({ maxLength: 3 }), 0.2, dir);
    expect([reuters.train.count, reuters.test.count, reuters.train.x[0], reuters.train.x[2]]).toEqual([8, 2, 1, 9]);
  });

  test('the registered loaders check the published sha256, and name the arrays they need', async () => {
    const file = npz({ x_train: objectArrayNpy([[1]]), y_train: int64Npy([0]) });
    place('imdb', { 'imdb.npz': file });
    const error = await loadDataset({ name: 'imdb', options: {} }, { seed: 1, validationSplit: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect((error as Error).message).toContain(`expected ${IMDB_SOURCE.file.sha256}`);
    const dir = join(cache, 'datasets', 'imdb');
    await expect(loadKerasText(ours(IMDB_SOURCE, file), options({}), 0, dir)).rejects.toThrow(/expected arrays x_test and y_test, found x_train, y_train/);
  });
});

/** A local port nothing listens on (bound, then released): connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('offline: the error names every file to place and the folder', () => {
  const cases: [string, Record<string, unknown>, string, string[]][] = [
    ['cifar10', {}, 'cifar10', ['cifar-10-binary.tar.gz  (md5 c32a1d4ab5d03f1284b67883e8d87530; from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz)']],
    ['cifar100', {}, 'cifar100', ['cifar-100-binary.tar.gz  (md5 03b5dce01913d631647c71ecec9e9cb8']],
    ['gtsrb', {}, 'gtsrb', ['GTSRB_Final_Training_Images.zip  (md5', 'GTSRB_Final_Test_Images.zip  (md5', 'GTSRB_Final_Test_GT.zip  (md5']],
    ['imdb', {}, 'imdb', [`imdb.npz  (sha256 ${IMDB_SOURCE.file.sha256}; from https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz)`]],
    ['reuters', {}, 'reuters', [`reuters.npz  (sha256 ${REUTERS_SOURCE.file.sha256}`]],
    ['mnist', {}, 'mnist', ['train-images-idx3-ubyte.gz  (sha256', 't10k-labels-idx1-ubyte.gz  (sha256']],
  ];
  test.each(cases)('%s', async (name, values, folder, lines) => {
    // A closed local port stands for a machine without network.
    process.env.TUNEFLOW_DATASET_MIRROR = `http://127.0.0.1:${await closedPort()}/`;
    const error = await loadDataset({ name, options: values }, { seed: 1, validationSplit: 0.1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`${name}: cannot download`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain(`Place these files in ${join(cache, 'datasets', folder)}/:`);
    for (const line of lines) expect(message).toContain(line);
  });
});

describe('custom data by path (IDX, CSV, NPY)', () => {
  test('IDX images: [n, h, w] becomes h x w x 1, uint8 pixels kept; the seeded validation split is stable', async () => {
    const dir = tempDir('custom-idx');
    const images = (count: number, offset: number) => Uint8Array.from({ length: count * 12 }, (_, i) => (Math.floor(i / 12) + offset) % 256);
    writeFileSync(join(dir, 'train-images'), encodeIdx({ type: 'uint8', dims: [20, 3, 4], data: images(20, 0) }));
    writeFileSync(join(dir, 'train-labels'), encodeIdx({ type: 'uint8', dims: [20], data: Uint8Array.from({ length: 20 }, (_, i) => i % 3) }));
    writeFileSync(join(dir, 'test-images.gz'), encodeIdx({ type: 'uint8', dims: [5, 3, 4], data: images(5, 100) }, { gzip: true }));
    writeFileSync(join(dir, 'test-labels.gz'), encodeIdx({ type: 'uint8', dims: [5], data: Uint8Array.from([2, 1, 0, 1, 2]) }, { gzip: true }));
    const spec = { name: 'custom', options: { format: 'idx', train: join(dir, 'train-images'), trainLabels: join(dir, 'train-labels'), test: join(dir, 'test-images.gz'), testLabels: join(dir, 'test-labels.gz') } };
    const data = await loadDataset(spec, { seed: 3, validationSplit: 0.25 });
    expect([data.kind, data.inputShape, data.numClasses]).toEqual(['image', [3, 4, 1], 3]);
    expect([data.train.count, data.validation.count, data.test.count]).toEqual([15, 5, 5]);
    expect(data.train.x).toBeInstanceOf(Uint8Array);
    // Every image holds its own index: validation ids plus train ids are 0..19, test ids 100..104.
    const ids = (split: Dataset['train']) => Array.from({ length: split.count }, (_, i) => split.x[i * 12]!);
    expect([...ids(data.train), ...ids(data.validation)].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(ids(data.test)).toEqual([100, 101, 102, 103, 104]);
    expect(ids(data.validation).map((id) => id % 3)).toEqual([...data.validation.y]);
    clearDatasetCache();
    const again = await loadDataset(spec, { seed: 3, validationSplit: 0.25 });
    expect(ids(again.validation)).toEqual(ids(data.validation));
    clearDatasetCache();
    expect(ids((await loadDataset(spec, { seed: 4, validationSplit: 0.25 })).validation)).not.toEqual(ids(data.validation));
  });

  test('CSV: header, label column by name, quoted fields, features as 1 x d x 1 float32', async () => {
    const dir = tempDir('custom-csv');
    writeFileSync(join(dir, 'train.csv'), 'a,"b, quoted",species,c\n0.5,1,0,2\n1.5,"2",1,3\n2.5,3,2,4\n3.5,4,1,5\n');
    writeFileSync(join(dir, 'test.csv'), 'a,"b, quoted",species,c\r\n9,8,1,7\r\n');
    const data = await loadDataset(
      { name: 'custom', options: { format: 'csv', train: join(dir, 'train.csv'), test: join(dir, 'test.csv'), labelColumn: 'species', scale: 2 } },
      { seed: 1, validationSplit: 0.25 },
    );
    expect([data.inputShape, data.numClasses, data.train.count, data.validation.count]).toEqual([[1, 3, 1], 3, 3, 1]);
    expect(data.test.x).toBeInstanceOf(Float32Array);
    expect([...data.test.x, ...data.test.y]).toEqual([18, 16, 14, 1]);
    await expect(
      loadDataset({ name: 'custom', options: { format: 'csv', train: join(dir, 'train.csv'), test: join(dir, 'test.csv'), labelColumn: 'kind' } }, { seed: 1, validationSplit: 0 }),
    ).rejects.toThrow(/dataset.options.labelColumn: "kind" is not a column of .*train.csv \(columns: a, b, quoted, species, c\)/);
  });

  test('NPY: 200,000 examples load (the class count once overflowed the stack past ~120,000 labels)', async () => {
    const dir = tempDir('custom-npy-large');
    const n = 200_000;
    writeFileSync(join(dir, 'x.npy'), encodeNpy(Float32Array.from({ length: n * 2 }, (_, i) => i % 7), [n, 2]));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(Uint8Array.from({ length: n }, (_, i) => (i === n - 1 ? 4 : i % 3)), [n]));
    const options = { format: 'npy', train: join(dir, 'x.npy'), trainLabels: join(dir, 'y.npy'), test: join(dir, 'x.npy'), testLabels: join(dir, 'y.npy') };
    const data = await loadDataset({ name: 'custom', options }, { seed: 1, validationSplit: 0.1 });
    expect([data.numClasses, data.train.count + data.validation.count, data.test.count]).toEqual([5, n, n]);
  });

  test('NPY and NPZ: float features, an images shape option, and token sequences for lstm', async () => {
    const dir = tempDir('custom-npy');
    writeFileSync(join(dir, 'x_train.npy'), encodeNpy(Float32Array.from({ length: 10 * 8 }, (_, i) => i / 10), [10, 8]));
    writeFileSync(join(dir, 'y_train.npy'), int64Npy(Array.from({ length: 10 }, (_, i) => i % 2)));
    writeFileSync(join(dir, 'test.npz'), npz({ x: encodeNpy(Float32Array.from({ length: 2 * 8 }, () => 1), [2, 8]), y: int64Npy([1, 0]) }));
    const base = { format: 'npy', train: join(dir, 'x_train.npy'), trainLabels: join(dir, 'y_train.npy'), test: join(dir, 'test.npz') };
    const flat = await loadDataset({ name: 'custom', options: base }, { seed: 1, validationSplit: 0.2 });
    expect([flat.kind, flat.inputShape, flat.train.count, flat.validation.count, flat.test.count]).toEqual(['image', [1, 8, 1], 8, 2, 2]);
    expect([...flat.test.y]).toEqual([1, 0]);
    const shaped = await loadDataset({ name: 'custom', options: { ...base, shape: [2, 2, 2] } }, { seed: 1, validationSplit: 0.2 });
    expect(shaped.inputShape).toEqual([2, 2, 2]);

    writeFileSync(join(dir, 'tokens.npy'), encodeNpy(Int32Array.from([0, 0, 5, 9, 0, 3, 4, 1, 7, 7, 7, 7]), [3, 4]));
    writeFileSync(join(dir, 'labels.npy'), encodeNpy(Uint8Array.from([0, 1, 1]), [3]));
    const tokens = { format: 'npy', kind: 'sequence', train: join(dir, 'tokens.npy'), trainLabels: join(dir, 'labels.npy'), test: join(dir, 'tokens.npy'), testLabels: join(dir, 'labels.npy') };
    const sequences = await loadDataset({ name: 'custom', options: tokens }, { seed: 1, validationSplit: 0 });
    expect(sequences.kind).toBe('sequence');
    expect([sequences.inputShape, sequences.kind === 'sequence' && sequences.vocabularySize, sequences.numClasses]).toEqual([[4], 10, 2]);
    expect([...sequences.test.x]).toEqual([0, 0, 5, 9, 0, 3, 4, 1, 7, 7, 7, 7]);
  });

  test('a missing file or option is an error naming the option and the path', async () => {
    const missing = join(tempDir('custom-missing'), 'nope.npy');
    await expect(loadDataset({ name: 'custom', options: { format: 'npy', train: missing, trainLabels: missing, test: missing, testLabels: missing } }, { seed: 1, validationSplit: 0 })).rejects.toThrow(
      new InvalidConfigurationError(`dataset.options.train: cannot read ${missing} (ENOENT)`),
    );
    await expect(loadDataset({ name: 'custom', options: { train: missing } }, { seed: 1, validationSplit: 0 })).rejects.toThrow(/dataset.options.format is required for data set custom/);
  });
});
