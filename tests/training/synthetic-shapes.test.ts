import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { clearDatasetCache, DATASETS, trainSegment } from '../../training';
import { generateShapes, parseSyntheticShapesOptions, syntheticShapesFolder } from '../../training/datasets/synthetic-shapes';
import { smallSpec, tempDir, useTempCache } from './helpers';

describe('synthetic-shapes', () => {
  test('the same options give the same bytes; another seed gives other pictures', async () => {
    const options = { trainSize: 60, testSize: 12 };
    const files: Record<string, Buffer>[] = [];
    for (let run = 0; run < 2; run++) {
      const cache = useTempCache();
      const raw = await DATASETS['synthetic-shapes']!.load(options);
      expect(raw.inputShape).toEqual([16, 16, 1]);
      const folder = join(cache, 'datasets', syntheticShapesFolder(parseSyntheticShapesOptions(options)));
      expect(readdirSync(folder).sort()).toEqual(['manifest.json', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte']);
      expect(readdirSync(join(cache, 'datasets')).filter((name) => name.includes('.tmp-'))).toEqual([]);
      files.push(Object.fromEntries(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name))])));
    }
    expect(files[0]).toEqual(files[1]);
    const base = parseSyntheticShapesOptions({ trainSize: 60 });
    const reseeded = { ...base, seed: 1 };
    expect(syntheticShapesFolder(reseeded)).not.toBe(syntheticShapesFolder(base));
    expect(generateShapes(reseeded, 60, 0).images).not.toEqual(generateShapes(base, 60, 0).images);
  });

  test('classes are balanced and pictures use the intensity range', () => {
    const options = parseSyntheticShapesOptions({ classes: 4, imageSize: 20 });
    const { images, labels } = generateShapes(options, 400, 0);
    expect(images.length).toBe(400 * 20 * 20);
    const counts = [0, 0, 0, 0];
    for (const label of labels) counts[label]!++;
    expect(counts).toEqual([100, 100, 100, 100]);
    expect(images.reduce((a, b) => Math.max(a, b))).toBeGreaterThan(200);
    expect(images.reduce((a, b) => Math.min(a, b))).toBe(0);
  });

  test('a small CNN learns it; a linear model clearly does not', async () => {
    useTempCache();
    clearDatasetCache();
    const dataset = { name: 'synthetic-shapes', options: { trainSize: 2000, testSize: 200 } };
    const run = (family: string, modelOptions: Record<string, unknown>) =>
      trainSegment({
        spec: smallSpec({ family, modelOptions, dataset }),
        params: {},
        seed: 1,
        fromEpoch: 0,
        toEpoch: 5,
        checkpointDir: tempDir('ckpt'),
      });
    const cnn = await run('cnn', { filters: 8, denseUnits: 32 });
    const linear = await run('mlp', { layers: 0 });
    const final = (result: typeof cnn) => result.epochs.at(-1)!.metrics.val_accuracy!;
    console.log(`val_accuracy after 5 epochs: cnn ${final(cnn).toFixed(3)}, linear ${final(linear).toFixed(3)}`);
    expect(final(cnn)).toBeGreaterThan(0.75);
    expect(final(cnn) - final(linear)).toBeGreaterThan(0.2);
  });
});
