// Writers of small files in exactly the formats the data sets are published in, so loader tests read
// real archives without downloading: CIFAR binary batches in a tar.gz made by the system's `tar`, GTSRB's
// three zips made by the system's `zip` (directory entries and extra fields included, as in the real
// ones), and Keras' imdb.npz / reuters.npz (numpy object arrays of pickled int lists, int64 labels).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodePpm } from '../../training/formats/image';
import { encodeObjectArrayPickle } from '../../training/formats/pickle';
import { encodeZip } from '../../training/formats/zip';
import { tempDir } from './helpers';

export const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** Writes `files` (path -> bytes) under a fresh folder and returns the folder. */
function writeTree(prefix: string, files: Record<string, Uint8Array | string>): string {
  const root = tempDir(prefix);
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  return root;
}

/** The value of pixel `p` (0..1023) of channel `c` in record `n`: lets a test check the plane-to-HWC reorder. */
export const cifarPixel = (n: number, c: number, p: number): number => (n * 7 + c * 85 + p) % 256;

/** CIFAR binary records: label byte(s), then the red, green and blue 32x32 planes. */
export function cifarRecords(labels: number[][], firstIndex = 0): Uint8Array {
  const size = labels[0]!.length + 3072;
  const out = new Uint8Array(labels.length * size);
  labels.forEach((label, i) => {
    out.set(label, i * size);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) out[i * size + label.length + c * 1024 + p] = cifarPixel(firstIndex + i, c, p);
  });
  return out;
}

/** `tar -czf` of the given members: a real GNU tar.gz with directory entries, as the CIFAR authors ship. */
export function tarGz(name: string, files: Record<string, Uint8Array | string>): Uint8Array {
  const root = writeTree('tar', files);
  const top = [...new Set(Object.keys(files).map((path) => path.split('/')[0]!))];
  const archive = join(tempDir('archive'), name);
  execFileSync('tar', ['-czf', archive, '-C', root, ...top]);
  return new Uint8Array(readFileSync(archive));
}

/** `zip -r` of the given members (with folder entries and extra fields, as GTSRB's archives have). */
export function zipArchive(name: string, files: Record<string, Uint8Array | string>): Uint8Array {
  const root = writeTree('zip', files);
  const top = [...new Set(Object.keys(files).map((path) => path.split('/')[0]!))];
  const archive = join(tempDir('archive'), name);
  execFileSync('zip', ['-q', '-r', archive, ...top], { cwd: root });
  return new Uint8Array(readFileSync(archive));
}

/** A GTSRB photo: background `0`, the sign region [x1, x2] x [y1, y2] (inclusive) in `colour`. */
export function gtsrbPhoto(width: number, height: number, roi: [number, number, number, number], colour: [number, number, number]): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = roi[1]; y <= roi[3]; y++) for (let x = roi[0]; x <= roi[2]; x++) pixels.set(colour, (y * width + x) * 3);
  return encodePpm({ width, height, pixels });
}

export const GTSRB_HEADER = 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId';

/** The colour of class k's signs in generated GTSRB photos. */
export const gtsrbColour = (classId: number): [number, number, number] => [10 + classId * 5, 200 - classId * 4, 30 + classId];

export interface GtsrbFixture {
  /** The three published archives by file name. */
  archives: Record<string, Uint8Array>;
  trainClasses: number[];
  testClasses: number[];
}

/** The three GTSRB archives with `perClass` training photos of each class and the given test classes. */
export function gtsrbArchives(classes: number[], perClass: number, testClasses: number[]): GtsrbFixture {
  const roi: [number, number, number, number] = [5, 4, 16, 13];
  const train: Record<string, Uint8Array | string> = { 'GTSRB/Readme-Images.txt': 'generated for tests\n' };
  const trainClasses: number[] = [];
  for (const classId of classes) {
    const folder = `GTSRB/Final_Training/Images/${String(classId).padStart(5, '0')}/`;
    const rows = [GTSRB_HEADER];
    for (let i = 0; i < perClass; i++) {
      const file = `00000_${String(i).padStart(5, '0')}.ppm`;
      train[folder + file] = gtsrbPhoto(22, 18, roi, gtsrbColour(classId));
      rows.push(`${file};22;18;${roi.join(';')};${classId}`);
      trainClasses.push(classId);
    }
    train[`${folder}GT-${String(classId).padStart(5, '0')}.csv`] = `${rows.join('\r\n')}\r\n`;
  }
  const testImages: Record<string, Uint8Array | string> = {};
  const publicRows = ['Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2'];
  const truthRows = [GTSRB_HEADER];
  testClasses.forEach((classId, n) => {
    const file = `${String(n).padStart(5, '0')}.ppm`;
    testImages[`GTSRB/Final_Test/Images/${file}`] = gtsrbPhoto(22, 18, roi, gtsrbColour(classId));
    publicRows.push(`${file};22;18;${roi.join(';')}`);
    truthRows.push(`${file};22;18;${roi.join(';')};${classId}`);
  });
  testImages['GTSRB/Final_Test/Images/GT-final_test.test.csv'] = `${publicRows.join('\n')}\n`;
  return {
    archives: {
      'GTSRB_Final_Training_Images.zip': zipArchive('GTSRB_Final_Training_Images.zip', train),
      'GTSRB_Final_Test_Images.zip': zipArchive('GTSRB_Final_Test_Images.zip', testImages),
      'GTSRB_Final_Test_GT.zip': zipArchive('GTSRB_Final_Test_GT.zip', { 'GT-final_test.csv': `${truthRows.join('\n')}\n` }),
    },
    trainClasses,
    testClasses,
  };
}

/** A .npy v1.0 file: magic, version, header dict padded to 64 bytes, then `body`. */
function npyFile(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  return new Uint8Array(Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
}

/** int64 labels, as numpy stores Python ints ('<i8'). */
export function int64Npy(values: number[]): Uint8Array {
  return npyFile('<i8', [values.length], new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer));
}

/** A 1-D object array of int lists ('|O': the body is a pickle of the ndarray). */
export function objectArrayNpy(lists: number[][]): Uint8Array {
  return npyFile('|O', [lists.length], encodeObjectArrayPickle(lists));
}

/** An .npz as numpy's `np.savez` writes it: a stored (uncompressed) zip of `<name>.npy` members. */
export function npz(arrays: Record<string, Uint8Array>): Uint8Array {
  return encodeZip(
    Object.entries(arrays).map(([name, data]) => ({ name: `${name}.npy`, data })),
    { store: true },
  );
}

/** Word-rank lists: text i has `3 + i % 5` words with ranks spread over 1..maxRank. */
export function wordRanks(count: number, maxRank: number, offset = 0): number[][] {
  return Array.from({ length: count }, (_, i) => Array.from({ length: 3 + (i % 5) }, (_, w) => 1 + ((i + offset) * 31 + w * 17) % maxRank));
}
