// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
//   bytes 0-1: zero; byte 2: element type; byte 3: number of dimensions;
//   then one big-endian uint32 per dimension; then the elements, big-endian, row-major.
// Files may be gzip-compressed (the published `.gz` files); the reader detects gzip by its magic bytes.
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  dims: number[];
  data: IdxData;
}

const TYPE_CODES: Record<IdxType, number> = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };
const ELEMENT_BYTES: Record<IdxType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };
const GZIP_MAGIC = [0x1f, 0x8b];

export class IdxFormatError extends Error {
  override readonly name = 'IdxFormatError';
}

function typeOfCode(code: number): IdxType | undefined {
  return (Object.keys(TYPE_CODES) as IdxType[]).find((type) => TYPE_CODES[type] === code);
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Parses IDX bytes (plain or gzip-compressed). `source` names the file in error messages. */
export function decodeIdx(input: Uint8Array, source = 'IDX data'): IdxArray {
  const bytes = isGzip(input) ? new Uint8Array(gunzipSync(input)) : input;
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new IdxFormatError(`${source}: not an IDX file (bad magic number)`);
  const type = typeOfCode(bytes[2]!);
  if (!type) throw new IdxFormatError(`${source}: unknown IDX element type 0x${bytes[2]!.toString(16)}`);
  const rank = bytes[3]!;
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || bytes.length < headerBytes) throw new IdxFormatError(`${source}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + count * ELEMENT_BYTES[type];
  if (bytes.length !== expected) {
    throw new IdxFormatError(`${source}: dims [${dims.join(', ')}] need ${expected} bytes, file has ${bytes.length}`);
  }
  return { type, dims, data: readElements(view, headerBytes, type, count) };
}

function readElements(view: DataView, offset: number, type: IdxType, count: number): IdxData {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Serializes to IDX bytes; `gzip` compresses them like the published `.gz` files. */
export function encodeIdx(array: IdxArray, options: { gzip?: boolean } = {}): Uint8Array {
  const { type, dims, data } = array;
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.length === 0 || dims.length > 255) throw new IdxFormatError(`IDX needs 1 to 255 dimensions, got ${dims.length}`);
  if (data.length !== count) throw new IdxFormatError(`dims [${dims.join(', ')}] hold ${count} elements, data has ${data.length}`);
  const headerBytes = 4 + 4 * dims.length;
  const bytes = new Uint8Array(headerBytes + count * ELEMENT_BYTES[type]);
  const view = new DataView(bytes.buffer);
  bytes[2] = TYPE_CODES[type];
  bytes[3] = dims.length;
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  const write: Record<IdxType, (i: number, value: number) => void> = {
    uint8: (i, v) => view.setUint8(headerBytes + i, v),
    int8: (i, v) => view.setInt8(headerBytes + i, v),
    int16: (i, v) => view.setInt16(headerBytes + 2 * i, v, false),
    int32: (i, v) => view.setInt32(headerBytes + 4 * i, v, false),
    float32: (i, v) => view.setFloat32(headerBytes + 4 * i, v, false),
    float64: (i, v) => view.setFloat64(headerBytes + 8 * i, v, false),
  };
  const writeElement = write[type];
  for (let i = 0; i < count; i++) writeElement(i, data[i]!);
  return options.gzip ? new Uint8Array(gzipSync(bytes)) : bytes;
}

export async function readIdxFile(path: string): Promise<IdxArray> {
  return decodeIdx(new Uint8Array(await readFile(path)), path);
}

/** Writes plain IDX, or gzip-compressed IDX when the name ends in `.gz`. */
export async function writeIdxFile(path: string, array: IdxArray): Promise<void> {
  await writeFile(path, encodeIdx(array, { gzip: path.endsWith('.gz') }));
}
