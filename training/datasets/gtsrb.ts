// GTSRB, the German Traffic Sign Recognition Benchmark (Stallkamp et al., 2012): 39,209 training and
// 12,630 test photos of 43 sign classes, 15x15 to 250x250 pixels, as published on the benchmark's
// archive (https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/, md5 listed there):
//   GTSRB_Final_Training_Images.zip  GTSRB/Final_Training/Images/<class:05d>/<track>_<n>.ppm
//                                    + GT-<class:05d>.csv per class folder
//   GTSRB_Final_Test_Images.zip      GTSRB/Final_Test/Images/<n:05d>.ppm (its CSV has no classes)
//   GTSRB_Final_Test_GT.zip          GT-final_test.csv (the test classes)
// Every CSV is `;`-separated: Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId. Images are
// binary PPM; each is cropped to its sign's ROI (unless `crop: false`) and resized bilinearly to
// imageSize x imageSize RGB.
import { datasetCacheDir } from '../cache';
import { settingsReader } from '../errors';
import { cropRgb, decodePpm, resizeBilinear } from '../formats/image';
import { DatasetChecksumError, loadPublishedFiles, type PublishedFile } from './published';
import type { DatasetModule, RawDataset, Split } from './types';
import { readZip, type ZipArchive } from '../formats/zip';

export const GTSRB_CLASS_NAMES = [
  'Speed limit (20km/h)', 'Speed limit (30km/h)', 'Speed limit (50km/h)', 'Speed limit (60km/h)', 'Speed limit (70km/h)',
  'Speed limit (80km/h)', 'End of speed limit (80km/h)', 'Speed limit (100km/h)', 'Speed limit (120km/h)', 'No passing',
  'No passing for vehicles over 3.5 t', 'Right-of-way at the next intersection', 'Priority road', 'Yield', 'Stop',
  'No vehicles', 'Vehicles over 3.5 t prohibited', 'No entry', 'General caution', 'Dangerous curve to the left',
  'Dangerous curve to the right', 'Double curve', 'Bumpy road', 'Slippery road', 'Road narrows on the right',
  'Road work', 'Traffic signals', 'Pedestrians', 'Children crossing', 'Bicycles crossing', 'Beware of ice/snow',
  'Wild animals crossing', 'End of all speed and passing limits', 'Turn right ahead', 'Turn left ahead', 'Ahead only',
  'Go straight or right', 'Go straight or left', 'Keep right', 'Keep left', 'Roundabout mandatory', 'End of no passing',
  'End of no passing by vehicles over 3.5 t',
];

export interface GtsrbSource {
  name: string;
  folder: string;
  mirrors: string[];
  files: { train: PublishedFile; testImages: PublishedFile; testLabels: PublishedFile };
}

export const GTSRB_SOURCE: GtsrbSource = {
  name: 'gtsrb',
  folder: 'gtsrb',
  mirrors: ['https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/'],
  files: {
    train: { name: 'GTSRB_Final_Training_Images.zip', md5: 'f33fd80ac59bff73c82d25ab499e03a3' },
    testImages: { name: 'GTSRB_Final_Test_Images.zip', md5: 'c7e4e6327067d32654124b0fe9e82185' },
    testLabels: { name: 'GTSRB_Final_Test_GT.zip', md5: 'fe31e9c9270bbcd7b84b7f21a9d9d9e5' },
  },
};

export interface GtsrbOptions {
  imageSize: number;
  crop: boolean;
  trainSize: number;
  testSize: number;
}

const OPTION_DOCS: Record<keyof GtsrbOptions, string> = {
  imageSize: 'side of the square RGB images after resizing (default 32)',
  crop: 'crop each photo to the sign region (ROI) listed in the CSV before resizing (default true)',
  trainSize: 'use an evenly spaced subset of N training images (the archive is sorted by class; default all)',
  testSize: 'use an evenly spaced subset of N test images (default all)',
};

interface Annotation {
  file: string;
  roi: [number, number, number, number];
  classId: number;
}

/** Parses a GTSRB annotation CSV (`;`-separated, with a header row). */
export function parseGtsrbCsv(text: string, where: string): Annotation[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines.shift() ?? '').split(';').map((h) => h.trim());
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new DatasetChecksumError(`${where}: no column ${name} (columns: ${header.join(', ')})`);
    return index;
  };
  const [file, x1, y1, x2, y2, classId] = ['Filename', 'Roi.X1', 'Roi.Y1', 'Roi.X2', 'Roi.Y2', 'ClassId'].map(column) as number[];
  return lines.map((line, i) => {
    const cells = line.split(';');
    const number = (index: number) => {
      const value = Number(cells[index!]);
      if (!Number.isInteger(value) || value < 0) throw new DatasetChecksumError(`${where}: row ${i + 2} has ${JSON.stringify(cells[index!])} in column ${header[index!]}`);
      return value;
    };
    return { file: cells[file!]!.trim(), roi: [number(x1!), number(y1!), number(x2!), number(y2!)], classId: number(classId!) };
  });
}

/** Every `step`-th item so that `count` items remain, spread over the whole (class-sorted) list. */
function evenlySpaced<T>(items: T[], count: number): T[] {
  if (count >= items.length) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

function decodeImages(zip: ZipArchive, folder: string, rows: Annotation[], options: GtsrbOptions, where: string): Split {
  const size = options.imageSize;
  const x = new Uint8Array(rows.length * size * size * 3);
  const y = new Uint8Array(rows.length);
  rows.forEach((row, n) => {
    if (row.classId >= GTSRB_CLASS_NAMES.length) throw new DatasetChecksumError(`${where}: ${row.file} has class ${row.classId}, not below 43`);
    const path = `${folder}${row.file}`;
    if (!zip.has(path)) throw new DatasetChecksumError(`${where}: the CSV lists ${path}, which the archive lacks`);
    let image = decodePpm(zip.read(path), `${where}:${path}`);
    if (options.crop) image = cropRgb(image, ...row.roi);
    x.set(resizeBilinear(image.pixels, image.width, image.height, 3, size, size), n * size * size * 3);
    y[n] = row.classId;
  });
  return { x, y, count: rows.length };
}

export async function loadGtsrb(source: GtsrbSource, options: GtsrbOptions, dir = datasetCacheDir(source.folder)): Promise<RawDataset> {
  const { train, testImages, testLabels } = source.files;
  const files = await loadPublishedFiles(source, [train, testImages, testLabels], dir);
  const open = (file: PublishedFile) => readZip(new Uint8Array(files.get(file.name)!), `${dir}/${file.name}`);

  const trainZip = open(train);
  const trainRoot = 'GTSRB/Final_Training/Images/';
  const csvNames = trainZip.names.filter((name) => name.startsWith(trainRoot) && /\/GT-\d+\.csv$/.test(name)).sort();
  if (csvNames.length === 0) throw new DatasetChecksumError(`${source.name}: ${train.name} has no ${trainRoot}<class>/GT-<class>.csv files`);
  const trainRows = csvNames.flatMap((csv) => {
    const folder = csv.slice(0, csv.lastIndexOf('/') + 1);
    return parseGtsrbCsv(Buffer.from(trainZip.read(csv)).toString('utf8'), `${train.name}:${csv}`).map((row) => ({ ...row, file: `${folder.slice(trainRoot.length)}${row.file}` }));
  });

  const labelsZip = open(testLabels);
  const labelsCsv = labelsZip.names.find((name) => name.endsWith('GT-final_test.csv'));
  if (!labelsCsv) throw new DatasetChecksumError(`${source.name}: ${testLabels.name} has no GT-final_test.csv`);
  const testRows = parseGtsrbCsv(Buffer.from(labelsZip.read(labelsCsv)).toString('utf8'), `${testLabels.name}:${labelsCsv}`);

  return {
    name: source.name,
    kind: 'image',
    inputShape: [options.imageSize, options.imageSize, 3],
    numClasses: GTSRB_CLASS_NAMES.length,
    classNames: GTSRB_CLASS_NAMES,
    train: decodeImages(trainZip, trainRoot, evenlySpaced(trainRows, options.trainSize), options, `${source.name}: ${train.name}`),
    test: decodeImages(open(testImages), 'GTSRB/Final_Test/Images/', evenlySpaced(testRows, options.testSize), options, `${source.name}: ${testImages.name}`),
  };
}

export function parseGtsrbOptions(values: Record<string, unknown>): GtsrbOptions {
  const reader = settingsReader(values, (key) => `dataset.options.${key}`);
  reader.rejectUnknown(Object.keys(OPTION_DOCS), ' for data set gtsrb');
  return {
    imageSize: reader.integer('imageSize', 32, { min: 8, max: 256 }),
    crop: reader.boolean('crop', true),
    trainSize: reader.integer('trainSize', Number.MAX_SAFE_INTEGER, { min: 1 }),
    testSize: reader.integer('testSize', Number.MAX_SAFE_INTEGER, { min: 1 }),
  };
}

export const gtsrb: DatasetModule = {
  name: 'gtsrb',
  description: 'German Traffic Sign Recognition Benchmark: 43 classes, photos cropped and resized to imageSize (default 32) RGB',
  options: OPTION_DOCS,
  validateOptions: parseGtsrbOptions,
  load: (values) => loadGtsrb(GTSRB_SOURCE, parseGtsrbOptions(values)),
};
