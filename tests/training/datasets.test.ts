import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { DATASETS, clearDatasetCache, DatasetChecksumError, DatasetUnavailableError, encodeIdx, InvalidConfigurationError, loadDataset } from '../../training';
import { FASHION_MNIST_SOURCE } from '../../training/datasets/fashion-mnist';
import { idxDatasetModule, loadIdxImageSource, sha256, type IdxImageSource } from '../../training/datasets/idx-dataset';
import { carveValidation, MEMOIZED_DATASETS, type Dataset, type RawDataset } from '../../training/datasets';
import { clearSplitArrays, splitArrays, splitArraysBytes } from '../../training/split-arrays';
import { useTempCache } from './helpers';

/** Writes Fashion-MNIST-format files (gzip IDX, 28x28 uint8 images, uint8 labels) and returns their sha256. */
function placeFashionFiles(dir: string, trainCount: number, testCount: number): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const digests: Record<string, string> = {};
  const write = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    digests[name] = sha256(bytes);
  };
  const images = (count: number, offset: number) => Uint8Array.from({ length: count * 784 }, (_, i) => (Math.floor(i / 784) + offset + i) % 256);
  const labels = (count: number) => Uint8Array.from({ length: count }, (_, i) => i % 10);
  write('train-images-idx3-ubyte.gz', encodeIdx({ type: 'uint8', dims: [trainCount, 28, 28], data: images(trainCount, 0) }, { gzip: true }));
  write('train-labels-idx1-ubyte.gz', encodeIdx({ type: 'uint8', dims: [trainCount], data: labels(trainCount) }, { gzip: true }));
  write('t10k-images-idx3-ubyte.gz', encodeIdx({ type: 'uint8', dims: [testCount, 28, 28], data: images(testCount, 100) }, { gzip: true }));
  write('t10k-labels-idx1-ubyte.gz', encodeIdx({ type: 'uint8', dims: [testCount], data: labels(testCount) }, { gzip: true }));
  return digests;
}

function withChecksums(source: IdxImageSource, digests: Record<string, string>): IdxImageSource {
  const files = Object.fromEntries(Object.entries(source.files).map(([role, file]) => [role, { ...file, sha256: digests[file.name]! }]));
  return { ...source, files: files as unknown as IdxImageSource['files'] };
}

describe('published IDX data sets (Fashion-MNIST format)', () => {
  let cache: string;
  beforeEach(() => {
    cache = useTempCache();
    clearDatasetCache();
  });

  test('the loader reads gzip IDX files placed in <cache>/datasets/fashion-mnist/ and verifies their checksums', async () => {
    const digests = placeFashionFiles(join(cache, 'datasets', 'fashion-mnist'), 40, 20);
    const raw = await loadIdxImageSource(withChecksums(FASHION_MNIST_SOURCE, digests));
    expect(raw.name).toBe('fashion-mnist');
    expect(raw.inputShape).toEqual([28, 28, 1]);
    expect(raw.numClasses).toBe(10);
    expect(raw.classNames[9]).toBe('Ankle boot');
    expect(raw.train.count).toBe(40);
    expect(raw.test.count).toBe(20);
    expect(raw.train.x.length).toBe(40 * 784);
    expect(raw.train.x[784 + 5]).toBe((1 + 784 + 5) % 256); // image 1, pixel 5
    expect([...raw.test.y.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);

    const module = idxDatasetModule(withChecksums(FASHION_MNIST_SOURCE, digests), 'test');
    const subset = await module.load({ trainSize: 10, testSize: 5 });
    expect([subset.train.count, subset.test.count, subset.train.x.length]).toEqual([10, 5, 7840]);
  });

  test('the registered loader refuses files whose sha256 differs from the published one', async () => {
    placeFashionFiles(join(cache, 'datasets', 'fashion-mnist'), 10, 10);
    const error = await loadDataset({ name: 'fashion-mnist', options: {} }, { seed: 1, validationSplit: 0.1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetChecksumError);
    expect((error as Error).message).toContain(join(cache, 'datasets', 'fashion-mnist', 'train-images-idx3-ubyte.gz'));
    expect((error as Error).message).toContain(FASHION_MNIST_SOURCE.files.trainImages.sha256);
  });

  test('without network the error names every file to place and the folder', async () => {
    // An unreachable mirror (connection refused) stands for a machine without network.
    const offline = { ...FASHION_MNIST_SOURCE, mirrors: ['http://127.0.0.1:9/'] };
    const error = await loadIdxImageSource(offline).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetUnavailableError);
    const message = (error as Error).message;
    const folder = join(cache, 'datasets', 'fashion-mnist');
    expect(message).toContain(`fashion-mnist: cannot download train-images-idx3-ubyte.gz`);
    expect(message).toContain(`Place these files in ${folder}/:`);
    for (const file of Object.values(FASHION_MNIST_SOURCE.files)) expect(message).toContain(`${file.name}  (sha256 ${file.sha256}`);
    expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]); // no partial downloads left behind
  });

  test('MNIST and Fashion-MNIST are registered with published sha256 checksums', () => {
    expect(Object.keys(DATASETS)).toEqual(expect.arrayContaining(['synthetic-shapes', 'fashion-mnist', 'mnist']));
    expect(FASHION_MNIST_SOURCE.mirrors[0]).toMatch(/^https?:\/\//);
    for (const file of Object.values(FASHION_MNIST_SOURCE.files)) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('loadDataset', () => {
  beforeEach(() => {
    useTempCache();
    clearDatasetCache();
  });

  test('carves a deterministic validation split out of train, disjoint from what remains', () => {
    const count = 50;
    const raw: RawDataset = {
      name: 'ids',
      kind: 'image',
      inputShape: [1, 2, 1],
      numClasses: 2,
      classNames: ['a', 'b'],
      // Each example stores its own index, so the carved parts can be traced back.
      train: { x: Uint8Array.from({ length: count * 2 }, (_, i) => Math.floor(i / 2)), y: Uint8Array.from({ length: count }, (_, i) => i % 2), count },
      test: { x: new Uint8Array(2), y: new Uint8Array(1), count: 1 },
    };
    const a = carveValidation(raw, 5, 0.2);
    const b = carveValidation(raw, 5, 0.2);
    const c = carveValidation(raw, 6, 0.2);
    const ids = (split: { x: Uint8Array | Float32Array | Int32Array }) => [...split.x].filter((_, i) => i % 2 === 0);
    expect(a.validation.count).toBe(10);
    expect(a.train.count).toBe(40);
    expect(ids(a.validation)).toEqual(ids(b.validation));
    expect(ids(a.validation)).not.toEqual(ids(c.validation));
    expect(new Set([...ids(a.train), ...ids(a.validation)]).size).toBe(50);
    expect(ids(a.validation).every((id) => a.validation.y[ids(a.validation).indexOf(id)] === id % 2)).toBe(true);
  });

  test('memoizes per data set, options, seed and split', async () => {
    const spec = { name: 'synthetic-shapes', options: { trainSize: 120, testSize: 30 } };
    const first = await loadDataset(spec, { seed: 1, validationSplit: 0.25 });
    expect(await loadDataset(spec, { seed: 1, validationSplit: 0.25 })).toBe(first);
    const other = await loadDataset(spec, { seed: 2, validationSplit: 0.25 });
    expect(other).not.toBe(first);
    expect([first.train.count, first.validation.count, first.test.count]).toEqual([90, 30, 30]);
  });

  // `a === b` rather than .not.toBe(b): on a mismatch vitest would compare two data sets field by field for its hint.
  test('keeps the last MEMOIZED_DATASETS data sets used; one pushed out is rebuilt, and its kept split arrays went with it', async () => {
    clearSplitArrays();
    const specs = Array.from({ length: MEMOIZED_DATASETS + 2 }, (_, seed) => ({ name: 'synthetic-shapes', options: { trainSize: 40, testSize: 8, imageSize: 8, seed } }));
    const load = (i: number) => loadDataset(specs[i]!, { seed: 1, validationSplit: 0.25 });
    const first: Dataset[] = [];
    for (let i = 0; i < MEMOIZED_DATASETS; i++) first.push(await load(i));
    // Flat arrays of a split: float pixels and one-hot labels, 30 training images of 8x8, 6 classes.
    const bytes = 30 * 64 * 4 + 30 * 6 * 4;
    splitArrays(first[0]!, first[0]!.train);
    splitArrays(first[1]!, first[1]!.train);
    expect(splitArraysBytes()).toBe(2 * bytes);
    expect((await load(0)) === first[0]).toBe(true); // a hit: data set 0 is now the most recently used

    const newest = await load(MEMOIZED_DATASETS); // one too many: out goes data set 1, the least recently used
    expect(splitArraysBytes()).toBe(bytes); // data set 1's arrays went with it, data set 0's stay
    expect((await load(MEMOIZED_DATASETS)) === newest).toBe(true);
    expect((await load(0)) === first[0]).toBe(true);
    const rebuilt = await load(1); // back in, pushing out data set 2
    expect(rebuilt === first[1]).toBe(false);
    expect(rebuilt.train.x).toEqual(first[1]!.train.x);
    expect((await load(3)) === first[3]).toBe(true);
    expect((await load(2)) === first[2]).toBe(false);

    clearDatasetCache(); // the kept arrays of every data set it held go too
    await Promise.resolve();
    expect(splitArraysBytes()).toBe(0);
  });

  test('bad names and options are errors that name the field', async () => {
    await expect(loadDataset({ name: 'cifar-1000', options: {} }, { seed: 1, validationSplit: 0.1 })).rejects.toThrow(
      /dataset.name: unknown data set "cifar-1000" \(known: synthetic-shapes, synthetic-series, fashion-mnist, mnist/,
    );
    await expect(loadDataset({ name: 'synthetic-shapes', options: { trainsize: 10 } }, { seed: 1, validationSplit: 0.1 })).rejects.toThrow(
      InvalidConfigurationError,
    );
    await expect(loadDataset({ name: 'synthetic-shapes', options: { classes: 9 } }, { seed: 1, validationSplit: 0.1 })).rejects.toThrow(
      /dataset.options.classes must be an integer >= 2 and <= 6, got 9/,
    );
    expect(existsSync(join(process.env.TUNEFLOW_CACHE_DIR!, 'datasets'))).toBe(false);
  });
});
