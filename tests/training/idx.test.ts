import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { decodeIdx, encodeIdx, readIdxFile, trainSegment, writeIdxFile, type IdxArray } from '../../training';
import { tempDir } from './helpers';

describe('IDX files', () => {
  const images: IdxArray = { type: 'uint8', dims: [3, 2, 4], data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) };

  test('the header is the MNIST layout: zero, type 0x08, rank, big-endian dims', () => {
    const bytes = encodeIdx(images);
    expect([...bytes.subarray(0, 16)]).toEqual([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4]);
    expect(bytes.length).toBe(16 + 24);
    expect([...bytes.subarray(16)]).toEqual([...images.data]);
  });

  test.each(['plain', 'gzip'])('%s files round-trip through disk', async (kind) => {
    const path = join(tempDir('idx'), kind === 'gzip' ? 'train-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte');
    await writeIdxFile(path, images);
    const raw = readFileSync(path);
    expect(raw[0] === 0x1f && raw[1] === 0x8b).toBe(kind === 'gzip');
    if (kind === 'gzip') expect(new Uint8Array(gunzipSync(raw))).toEqual(encodeIdx(images));
    const back = await readIdxFile(path);
    expect(back.type).toBe('uint8');
    expect(back.dims).toEqual([3, 2, 4]);
    expect([...back.data]).toEqual([...images.data]);
  });

  test('wider element types are stored big-endian and round-trip', () => {
    const ints: IdxArray = { type: 'int32', dims: [3], data: Int32Array.from([1, -2, 70000]) };
    const bytes = encodeIdx(ints);
    expect([...bytes.subarray(8, 12)]).toEqual([0, 0, 0, 1]);
    expect([...decodeIdx(bytes).data]).toEqual([1, -2, 70000]);
    const floats: IdxArray = { type: 'float32', dims: [2, 1], data: Float32Array.from([0.5, -3.25]) };
    expect([...decodeIdx(encodeIdx(floats, { gzip: true })).data]).toEqual([0.5, -3.25]);
  });

  test('broken files are reported, not misread', () => {
    const bytes = encodeIdx(images);
    expect(() => decodeIdx(bytes.subarray(0, bytes.length - 1), 'x.idx')).toThrow(/x\.idx: dims \[3, 2, 4\] need 40 bytes, file has 39/);
    const badMagic = Uint8Array.from(bytes);
    badMagic[0] = 7;
    expect(() => decodeIdx(badMagic)).toThrow(/bad magic/);
    const badType = Uint8Array.from(bytes);
    badType[2] = 0x42;
    expect(() => decodeIdx(badType)).toThrow(/unknown IDX element type 0x42/);
  });
});

test('importing the training engine does not load TensorFlow.js (only training calls do)', () => {
  expect(trainSegment).toBeTypeOf('function'); // the whole public API is imported at the top of this file
  const loaded = Object.keys(createRequire(__filename).cache).filter((path) => path.includes('@tensorflow'));
  expect(loaded).toEqual([]);
});
