// NumPy's .npy format (numpy.lib.format): magic "\x93NUMPY", version, header length (u16 in 1.0, u32
// in 2.0/3.0), then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }
// padded with spaces, then the raw elements. Object arrays (descr '|O') hold a pickle instead; they are
// read through the minimal unpickler. An .npz file is a zip of .npy files.
import { integerList, ndarrayElements, PickleFormatError, unpickle } from './pickle';
import { readZip } from './zip';

export type NpyNumeric = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface NpyArray {
  /** Normalized type name: uint8, int8, uint16, int16, uint32, int32, int64, uint64, float32, float64, bool, object. */
  dtype: string;
  shape: number[];
  /** Row-major elements. int64/uint64 become float64 numbers (exact below 2^53); object arrays hold int lists. */
  data: NpyNumeric | number[][];
}

export class NpyFormatError extends Error {
  override readonly name = 'NpyFormatError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const NUMERIC: Record<string, { name: string; size: number }> = {
  u1: { name: 'uint8', size: 1 },
  i1: { name: 'int8', size: 1 },
  b1: { name: 'bool', size: 1 },
  u2: { name: 'uint16', size: 2 },
  i2: { name: 'int16', size: 2 },
  u4: { name: 'uint32', size: 4 },
  i4: { name: 'int32', size: 4 },
  u8: { name: 'uint64', size: 8 },
  i8: { name: 'int64', size: 8 },
  f4: { name: 'float32', size: 4 },
  f8: { name: 'float64', size: 8 },
};

function parseHeader(header: string, where: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`${where}: header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => Number(part.replace(/L$/, '')));
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyFormatError(`${where}: bad shape (${shapeText})`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

function readNumeric(raw: Uint8Array, code: string, little: boolean, count: number): NpyNumeric {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = (() => {
    switch (code) {
      case 'u1':
      case 'b1':
        return new Uint8Array(count);
      case 'i1':
        return new Int8Array(count);
      case 'u2':
        return new Uint16Array(count);
      case 'i2':
        return new Int16Array(count);
      case 'u4':
        return new Uint32Array(count);
      case 'i4':
        return new Int32Array(count);
      case 'f4':
        return new Float32Array(count);
      default:
        return new Float64Array(count);
    }
  })();
  const size = NUMERIC[code]!.size;
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (code) {
      case 'u1':
      case 'b1':
        out[i] = view.getUint8(at);
        break;
      case 'i1':
        out[i] = view.getInt8(at);
        break;
      case 'u2':
        out[i] = view.getUint16(at, little);
        break;
      case 'i2':
        out[i] = view.getInt16(at, little);
        break;
      case 'u4':
        out[i] = view.getUint32(at, little);
        break;
      case 'i4':
        out[i] = view.getInt32(at, little);
        break;
      case 'i8':
        out[i] = Number(view.getBigInt64(at, little));
        break;
      case 'u8':
        out[i] = Number(view.getBigUint64(at, little));
        break;
      case 'f4':
        out[i] = view.getFloat32(at, little);
        break;
      default:
        out[i] = view.getFloat64(at, little);
    }
  }
  return out;
}

/** Fortran-order (column-major) elements reordered to row-major. */
function toRowMajor<T extends NpyNumeric>(data: T, shape: number[]): T {
  if (shape.length < 2) return data;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const fortranStrides = shape.map((_, k) => shape.slice(0, k).reduce((a, b) => a * b, 1));
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < data.length; i++) {
    let source = 0;
    for (let k = 0; k < shape.length; k++) source += index[k]! * fortranStrides[k]!;
    out[i] = data[source]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) break;
      index[k] = 0;
    }
  }
  return out;
}

export function decodeNpy(bytes: Uint8Array, where = 'npy data'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError(`${where}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString(major === 3 ? 'utf8' : 'latin1');
  const { descr, fortranOrder, shape } = parseHeader(header, where);
  const body = bytes.subarray(headerStart + headerLength);
  const count = shape.reduce((a, b) => a * b, 1);
  const match = /^([<>|=]?)([a-zA-Z]\d*)$/.exec(descr);
  const code = match?.[2] ?? descr;
  if (code === 'O' || code === 'O8') {
    try {
      const elements = ndarrayElements(unpickle(body, where), where);
      if (elements.length !== count) throw new NpyFormatError(`${where}: pickled array holds ${elements.length} elements, shape says ${count}`);
      return { dtype: 'object', shape, data: elements.map((element, i) => integerList(element, `${where}[${i}]`)) };
    } catch (error) {
      if (error instanceof PickleFormatError) throw new NpyFormatError(error.message);
      throw error;
    }
  }
  const numeric = NUMERIC[code];
  if (!numeric) throw new NpyFormatError(`${where}: dtype ${descr} is not supported (use u1, i1, i2, i4, i8, f4, f8 or bool)`);
  if (body.length < count * numeric.size) throw new NpyFormatError(`${where}: ${body.length} data bytes, shape [${shape.join(', ')}] needs ${count * numeric.size}`);
  const data = readNumeric(body, code, match?.[1] !== '>', count);
  return { dtype: numeric.name, shape, data: fortranOrder ? toRowMajor(data, shape) : data };
}

const DESCR: Record<string, string> = { Uint8Array: '|u1', Int8Array: '|i1', Uint16Array: '<u2', Int16Array: '<i2', Uint32Array: '<u4', Int32Array: '<i4', Float32Array: '<f4', Float64Array: '<f8' };

/** A version 1.0 .npy file (C order, little-endian), header padded to 64 bytes as numpy writes it. */
export function encodeNpy(data: NpyNumeric, shape: number[]): Uint8Array {
  const descr = DESCR[data.constructor.name];
  if (!descr) throw new NpyFormatError(`encodeNpy: unsupported array type ${data.constructor.name}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from(MAGIC).copy(prefix);
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return new Uint8Array(Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** The arrays of an .npz archive by name (without the `.npy` suffix). */
export function decodeNpz(bytes: Uint8Array, where = 'npz data'): Map<string, NpyArray> {
  const zip = readZip(bytes, where);
  const arrays = new Map<string, NpyArray>();
  for (const name of zip.names.filter((n) => n.endsWith('.npy'))) arrays.set(name.slice(0, -4), decodeNpy(zip.read(name), `${where}:${name}`));
  return arrays;
}
