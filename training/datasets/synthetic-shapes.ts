// synthetic-shapes: the quickstart data set. Grayscale images of outlined shapes at random position,
// size, rotation, stroke width and contrast, with additive Gaussian noise. Square vs diamond and plus vs
// cross differ only in orientation, ring vs square only in curvature, so a model needs spatial features:
// a linear classifier stays well below a small CNN.
//
// Generated deterministically from its options (`seed` included) and written once, atomically, as IDX
// files to `<cache>/datasets/synthetic-shapes-<hash>/`; then loaded through the same IDX reader as
// MNIST. The generator is this data set's "download".
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetCacheDir } from '../cache';
import { settingsReader } from '../errors';
import { gaussian, mixSeed, mulberry32 } from '../rng';
import { encodeIdx } from '../formats/idx';
import { readIdxImageFiles, sha256, type IdxImageFiles, type IdxImageSource } from './idx-dataset';
import type { DatasetModule, RawDataset } from './types';

export const SHAPE_NAMES = ['ring', 'square', 'triangle', 'diamond', 'plus', 'cross'] as const;

/** Bumped whenever the pictures change, so old caches are not reused. */
const GENERATOR_VERSION = 1;

export interface SyntheticShapesOptions {
  trainSize: number;
  testSize: number;
  imageSize: number;
  classes: number;
  /** Standard deviation of the additive Gaussian noise, in units of full intensity. */
  noise: number;
  seed: number;
}

const OPTION_DOCS: Record<keyof SyntheticShapesOptions, string> = {
  trainSize: 'training images (default 6000)',
  testSize: 'test images (default 1000)',
  imageSize: 'image height and width in pixels (default 16, 8..64)',
  classes: `number of shape classes, the first N of ${SHAPE_NAMES.join(', ')} (default 6)`,
  noise: 'standard deviation of additive Gaussian pixel noise, 0..1 (default 0.1)',
  seed: 'generator seed (default 0); the experiment seed does not change the pictures',
};

export function parseSyntheticShapesOptions(options: Record<string, unknown>): SyntheticShapesOptions {
  const reader = settingsReader(options, (key) => `dataset.options.${key}`);
  reader.rejectUnknown(Object.keys(OPTION_DOCS), ' for data set synthetic-shapes');
  return {
    trainSize: reader.integer('trainSize', 6000, { min: 1 }),
    testSize: reader.integer('testSize', 1000, { min: 1 }),
    imageSize: reader.integer('imageSize', 16, { min: 8, max: 64 }),
    classes: reader.integer('classes', SHAPE_NAMES.length, { min: 2, max: SHAPE_NAMES.length }),
    noise: reader.number('noise', 0.1, { min: 0, max: 1 }),
    seed: reader.integer('seed', 0, { min: 0 }),
  };
}

type Point = [number, number];

function segmentDistance(p: Point, a: Point, b: Point): number {
  const abx = b[0] - a[0];
  const aby = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / (abx * abx + aby * aby)));
  return Math.hypot(p[0] - a[0] - t * abx, p[1] - a[1] - t * aby);
}

function squareOutlineDistance([x, y]: Point, half: number): number {
  const a = Math.abs(x);
  const b = Math.abs(y);
  if (a > half || b > half) return Math.hypot(Math.max(a - half, 0), Math.max(b - half, 0));
  return Math.min(half - a, half - b);
}

const DIAGONAL = Math.SQRT1_2;
const rotate45 = ([x, y]: Point): Point => [(x - y) * DIAGONAL, (x + y) * DIAGONAL];

/** Distance from a point (relative to the shape centre, already rotated) to the shape's outline. */
const OUTLINE_DISTANCE: Record<(typeof SHAPE_NAMES)[number], (p: Point, r: number) => number> = {
  ring: (p, r) => Math.abs(Math.hypot(p[0], p[1]) - r),
  square: (p, r) => squareOutlineDistance(p, r * 0.8),
  diamond: (p, r) => squareOutlineDistance(rotate45(p), r * 0.8),
  triangle: (p, r) => {
    const corners = [-90, 30, 150].map((deg): Point => [r * Math.cos((deg * Math.PI) / 180), r * Math.sin((deg * Math.PI) / 180)]);
    return Math.min(segmentDistance(p, corners[0]!, corners[1]!), segmentDistance(p, corners[1]!, corners[2]!), segmentDistance(p, corners[2]!, corners[0]!));
  },
  plus: (p, r) => Math.min(segmentDistance(p, [-r, 0], [r, 0]), segmentDistance(p, [0, -r], [0, r])),
  cross: (p, r) => {
    const q = rotate45(p);
    return Math.min(segmentDistance(q, [-r, 0], [r, 0]), segmentDistance(q, [0, -r], [0, r]));
  },
};

/** Draws `count` images (row-major uint8) with balanced labels from one seeded stream. */
export function generateShapes(options: SyntheticShapesOptions, count: number, stream: number): { images: Uint8Array; labels: Uint8Array } {
  const size = options.imageSize;
  const random = mulberry32(mixSeed(options.seed, stream));
  const normal = gaussian(random);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const images = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  const scale = size / 16;
  for (let n = 0; n < count; n++) {
    const label = n % options.classes;
    labels[n] = label;
    const outline = OUTLINE_DISTANCE[SHAPE_NAMES[label]!];
    const radius = uniform(0.18, 0.36) * size;
    const stroke = uniform(0.8, 1.8) * scale;
    const angle = uniform(-0.2, 0.2);
    const margin = Math.min(radius + stroke / 2, size / 2);
    const cx = uniform(margin, size - margin);
    const cy = uniform(margin, size - margin);
    const background = uniform(0, 0.25);
    const contrast = uniform(0.5, 1);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const dx = col + 0.5 - cx;
        const dy = row + 0.5 - cy;
        const distance = outline([dx * cos + dy * sin, -dx * sin + dy * cos], radius);
        // Anti-aliased stroke: full inside the stroke, a one-pixel ramp at its edges.
        const coverage = Math.max(0, Math.min(1, stroke / 2 - distance + 0.5));
        const value = background + contrast * coverage + options.noise * normal();
        images[(n * size + row) * size + col] = Math.round(255 * Math.max(0, Math.min(1, value)));
      }
    }
  }
  return { images, labels };
}

const FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

interface Manifest {
  generator: number;
  options: SyntheticShapesOptions;
  files: IdxImageFiles;
}

export function syntheticShapesFolder(options: SyntheticShapesOptions): string {
  const key = JSON.stringify({ generator: GENERATOR_VERSION, ...options });
  return `synthetic-shapes-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Generates the four IDX files and a manifest with their checksums into `dir`, atomically. */
async function generateInto(dir: string, options: SyntheticShapesOptions): Promise<void> {
  const temp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    const size = options.imageSize;
    const train = generateShapes(options, options.trainSize, 0);
    const test = generateShapes(options, options.testSize, 1);
    const arrays = {
      trainImages: { type: 'uint8', dims: [options.trainSize, size, size], data: train.images },
      trainLabels: { type: 'uint8', dims: [options.trainSize], data: train.labels },
      testImages: { type: 'uint8', dims: [options.testSize, size, size], data: test.images },
      testLabels: { type: 'uint8', dims: [options.testSize], data: test.labels },
    } as const;
    const files = {} as Record<keyof IdxImageFiles, { name: string; sha256: string }>;
    for (const role of Object.keys(arrays) as (keyof IdxImageFiles)[]) {
      const bytes = encodeIdx({ ...arrays[role], dims: [...arrays[role].dims] });
      await writeFile(join(temp, FILE_NAMES[role]), bytes);
      files[role] = { name: FILE_NAMES[role], sha256: sha256(bytes) };
    }
    const manifest: Manifest = { generator: GENERATOR_VERSION, options, files };
    await writeFile(join(temp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another process generated the same folder first: its files are identical, use them.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
  }
}

async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

export async function loadSyntheticShapes(options: SyntheticShapesOptions): Promise<RawDataset> {
  const folder = syntheticShapesFolder(options);
  const dir = datasetCacheDir(folder);
  let manifest = await readManifest(dir);
  if (!manifest) {
    await mkdir(join(dir, '..'), { recursive: true });
    await generateInto(dir, options);
    manifest = await readManifest(dir);
    if (!manifest) throw new Error(`synthetic-shapes: ${dir} has no manifest.json after generating it`);
  }
  const source: IdxImageSource = {
    name: 'synthetic-shapes',
    folder,
    mirrors: [],
    files: manifest.files,
    classNames: SHAPE_NAMES.slice(0, options.classes),
  };
  return readIdxImageFiles(source, dir);
}

export const syntheticShapes: DatasetModule = {
  name: 'synthetic-shapes',
  description: 'generated outlined shapes (ring, square, triangle, diamond, plus, cross) with noise; no download needed',
  options: OPTION_DOCS,
  validateOptions: parseSyntheticShapesOptions,
  load: (options) => loadSyntheticShapes(parseSyntheticShapesOptions(options)),
};
