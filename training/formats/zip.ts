// A small zip reader (and writer, for tests): the central directory at the end of the archive lists
// every entry; entries are stored (method 0) or deflated (method 8, inflated with zlib). No zip64,
// encryption or multi-disk archives: the GTSRB archives and numpy's .npz files need none of them.
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  /** Entry names in archive order (folders end with `/`). */
  names: string[];
  has(name: string): boolean;
  /** The entry's uncompressed bytes (inflated on each call). */
  read(name: string): Uint8Array;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

export function readZip(bytes: Uint8Array, source = 'zip archive'): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record is the last 22 bytes, plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError(`${source}: no end of central directory (not a zip file, or truncated)`);
  const count = view.getUint16(eocd + 10, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new ZipFormatError(`${source}: zip64 archives are not supported`);
  const entries = new Map<string, ZipEntry>();
  let offset = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(`${source}: central directory entry ${i} is damaged`);
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const name = Buffer.from(bytes.subarray(offset + 46, offset + 46 + nameLength)).toString('utf8');
    entries.set(name, {
      name,
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      size: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    read(name) {
      const entry = entries.get(name);
      if (!entry) throw new ZipFormatError(`${source}: no entry ${name}`);
      const local = entry.localHeaderOffset;
      if (view.getUint32(local, true) !== LOCAL_SIGNATURE) throw new ZipFormatError(`${source}: local header of ${name} is damaged`);
      const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      const data = bytes.subarray(dataStart, dataStart + entry.compressedSize);
      if (entry.method === 0) return data;
      if (entry.method === 8) {
        const inflated = new Uint8Array(inflateRawSync(data));
        if (inflated.length !== entry.size) throw new ZipFormatError(`${source}: ${name} inflated to ${inflated.length} bytes, expected ${entry.size}`);
        return inflated;
      }
      throw new ZipFormatError(`${source}: ${name} uses compression method ${entry.method}; only stored and deflate are supported`);
    },
  };
}

/** A zip archive of the given files, deflated unless `store` is set: the inverse of readZip. */
export function encodeZip(files: ReadonlyArray<{ name: string; data: Uint8Array }>, options: { store?: boolean } = {}): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const body = options.store ? data : new Uint8Array(deflateRawSync(data));
    const method = options.store ? 0 : 8;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, body);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(method, 10);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(body.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const directorySize = central.reduce((a, b) => a + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD_SIGNATURE, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, ...central, end]));
}
