// CIFAR-10 and CIFAR-100 (Krizhevsky, 2009), binary versions: 32x32 RGB images, 50,000 train and
// 10,000 test. Each record is the label byte(s) then 3072 pixel bytes: the red plane, then green, then
// blue, each 32x32 row-major. CIFAR-10 has one label byte and ships data_batch_1..5.bin + test_batch.bin;
// CIFAR-100 has two (coarse, fine) and ships train.bin + test.bin. Both come as one .tar.gz whose md5
// the authors publish (https://www.cs.toronto.edu/~kriz/cifar.html).
import { datasetCacheDir } from '../cache';
import { parseSubsetOptions, SUBSET_OPTIONS, takeFirst } from './idx-dataset';
import { DatasetChecksumError, loadPublishedFiles, type PublishedFile } from './published';
import { readTar } from '../formats/tar';
import type { DatasetModule, RawDataset, Split } from './types';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;

export interface CifarSource {
  name: string;
  /** Folder under `<cache>/datasets/`. */
  folder: string;
  mirrors: string[];
  archive: PublishedFile;
  /** Archive members, in order, that make up the train split. */
  trainMembers: string[];
  testMember: string;
  /** 1 (CIFAR-10) or 2 (CIFAR-100: coarse then fine). */
  labelBytes: 1 | 2;
  /** Class names by label kind; a names file in the archive (one name per line) is preferred when present. */
  classes: { fine: { names: string[]; file?: string }; coarse?: { names: string[]; file?: string } };
}

export const CIFAR10_SOURCE: CifarSource = {
  name: 'cifar10',
  folder: 'cifar10',
  mirrors: ['https://www.cs.toronto.edu/~kriz/'],
  archive: { name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' },
  trainMembers: [1, 2, 3, 4, 5].map((i) => `cifar-10-batches-bin/data_batch_${i}.bin`),
  testMember: 'cifar-10-batches-bin/test_batch.bin',
  labelBytes: 1,
  classes: { fine: { names: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] } },
};

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `class ${i}`);

export const CIFAR100_SOURCE: CifarSource = {
  name: 'cifar100',
  folder: 'cifar100',
  mirrors: ['https://www.cs.toronto.edu/~kriz/'],
  archive: { name: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' },
  trainMembers: ['cifar-100-binary/train.bin'],
  testMember: 'cifar-100-binary/test.bin',
  labelBytes: 2,
  classes: {
    fine: { names: numbered(100), file: 'cifar-100-binary/fine_label_names.txt' },
    coarse: { names: numbered(20), file: 'cifar-100-binary/coarse_label_names.txt' },
  },
};

/** Decodes concatenated records into HWC pixels and labels; `labelOffset` picks coarse (0) or fine (1). */
export function decodeCifarRecords(chunks: Uint8Array[], labelBytes: number, labelOffset: number, numClasses: number, where: string): Split {
  const recordSize = labelBytes + PIXELS;
  let count = 0;
  for (const chunk of chunks) {
    if (chunk.length % recordSize !== 0) throw new DatasetChecksumError(`${where}: ${chunk.length} bytes is not a whole number of ${recordSize}-byte records`);
    count += chunk.length / recordSize;
  }
  const x = new Uint8Array(count * PIXELS);
  const y = new Uint8Array(count);
  let n = 0;
  for (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += recordSize, n++) {
      const label = chunk[offset + labelOffset]!;
      if (label >= numClasses) throw new DatasetChecksumError(`${where}: label ${label} of record ${n} is not below ${numClasses} classes`);
      y[n] = label;
      const planes = offset + labelBytes;
      const target = n * PIXELS;
      for (let p = 0; p < SIDE * SIDE; p++) {
        x[target + p * 3] = chunk[planes + p]!;
        x[target + p * 3 + 1] = chunk[planes + SIDE * SIDE + p]!;
        x[target + p * 3 + 2] = chunk[planes + 2 * SIDE * SIDE + p]!;
      }
    }
  }
  return { x, y, count };
}

export async function loadCifar(source: CifarSource, labels: 'fine' | 'coarse' = 'fine', dir = datasetCacheDir(source.folder)): Promise<RawDataset> {
  const files = await loadPublishedFiles(source, [source.archive], dir);
  const archiveName = `${dir}/${source.archive.name}`;
  const members = readTar(new Uint8Array(files.get(source.archive.name)!), archiveName);
  const member = (name: string) => {
    const bytes = members.get(name);
    if (!bytes) throw new DatasetChecksumError(`${source.name}: ${archiveName} has no ${name} (members: ${[...members.keys()].slice(0, 8).join(', ')})`);
    return bytes;
  };
  const classes = labels === 'coarse' && source.classes.coarse ? source.classes.coarse : source.classes.fine;
  const namesFile = classes.file ? members.get(classes.file) : undefined;
  const names = namesFile
    ? Buffer.from(namesFile)
        .toString('utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
    : classes.names;
  if (names.length !== classes.names.length) throw new DatasetChecksumError(`${source.name}: ${classes.file} lists ${names.length} classes, expected ${classes.names.length}`);
  // CIFAR-100 records are (coarse, fine, pixels): the fine label is the second byte.
  const labelOffset = source.labelBytes === 2 && labels === 'fine' ? 1 : 0;
  const decode = (parts: string[]) => decodeCifarRecords(parts.map(member), source.labelBytes, labelOffset, names.length, `${source.name}: ${parts.join(', ')}`);
  return {
    name: source.name,
    kind: 'image',
    inputShape: [SIDE, SIDE, 3],
    numClasses: names.length,
    classNames: names,
    train: decode(source.trainMembers),
    test: decode([source.testMember]),
  };
}

export function cifarModule(source: CifarSource, description: string): DatasetModule {
  const hasCoarse = source.classes.coarse !== undefined;
  const options: Record<string, string> = {
    ...SUBSET_OPTIONS,
    ...(hasCoarse ? { labels: 'fine (100 classes, default) or coarse (20 superclasses)' } : {}),
  };
  const parse = (values: Record<string, unknown>) => {
    const { reader, trainSize, testSize } = parseSubsetOptions(values, source.name, Object.keys(options));
    return { trainSize, testSize, labels: hasCoarse ? reader.choice('labels', ['fine', 'coarse'] as const, 'fine') : 'fine' };
  };
  return {
    name: source.name,
    description,
    options,
    validateOptions: parse,
    async load(values) {
      const { trainSize, testSize, labels } = parse(values);
      const raw = await loadCifar(source, labels);
      return { ...raw, train: takeFirst(raw.train, trainSize, PIXELS), test: takeFirst(raw.test, testSize, PIXELS) } as RawDataset;
    },
  };
}

export const cifar10 = cifarModule(CIFAR10_SOURCE, 'CIFAR-10 tiny images, 32x32 RGB, 10 classes (50k train / 10k test), binary version');
export const cifar100 = cifarModule(CIFAR100_SOURCE, 'CIFAR-100 tiny images, 32x32 RGB, 100 fine or 20 coarse classes (50k train / 10k test), binary version');
