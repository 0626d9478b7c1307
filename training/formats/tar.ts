// A small reader (and writer, for tests and generated data) of tar archives: POSIX ustar and the GNU
// variant, 512-byte headers, regular files only; `.tar.gz` is recognized by the gzip magic bytes.
// Enough for the published CIFAR binary archives.
import { gunzipSync, gzipSync } from 'node:zlib';
import { isGzip } from './idx';

const BLOCK = 512;

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

function text(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString('utf8');
}

function octal(bytes: Uint8Array, start: number, length: number, where: string): number {
  // GNU tar writes sizes of 8 GiB and more in base-256 (high bit set); CIFAR files are far smaller.
  if ((bytes[start]! & 0x80) !== 0) throw new TarFormatError(`${where}: base-256 size fields are not supported`);
  const value = text(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(value)) throw new TarFormatError(`${where}: bad octal field ${JSON.stringify(value)}`);
  return value === '' ? 0 : parseInt(value, 8);
}

/** The regular files of a tar (or tar.gz) archive by path; directories and links are skipped. */
export function readTar(input: Uint8Array, source = 'tar archive'): Map<string, Uint8Array> {
  const bytes = isGzip(input) ? new Uint8Array(gunzipSync(input)) : input;
  const files = new Map<string, Uint8Array>();
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    const where = `${source} at byte ${offset}`;
    const stored = octal(header, 148, 8, where);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (sum !== stored) throw new TarFormatError(`${where}: header checksum ${stored} does not match ${sum} (not a tar archive, or damaged)`);
    const size = octal(header, 124, 12, where);
    const type = String.fromCharCode(header[156]!);
    const prefix = text(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) throw new TarFormatError(`${where}: ${name} is truncated`);
    const data = bytes.subarray(dataStart, dataStart + size);
    longName = null;
    if (type === 'L') longName = text(data, 0, size); // GNU long name for the next entry
    else if (type === '0' || type === '\0') files.set(name.replace(/^\.\//, ''), data);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

function writeField(header: Uint8Array, start: number, length: number, value: string): void {
  header.set(Buffer.from(value, 'utf8').subarray(0, length), start);
}

/** A ustar archive of regular files (gzip-compressed when asked): the inverse of readTar. */
export function encodeTar(files: ReadonlyArray<{ name: string; data: Uint8Array }>, options: { gzip?: boolean } = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const { name, data } of files) {
    if (Buffer.byteLength(name) > 100) throw new TarFormatError(`encodeTar: name longer than 100 bytes: ${name}`);
    const header = new Uint8Array(BLOCK);
    writeField(header, 0, 100, name);
    writeField(header, 100, 8, '0000644\0');
    writeField(header, 108, 8, '0000000\0');
    writeField(header, 116, 8, '0000000\0');
    writeField(header, 124, 12, `${data.length.toString(8).padStart(11, '0')}\0`);
    writeField(header, 136, 12, '00000000000\0');
    header[156] = '0'.charCodeAt(0);
    writeField(header, 257, 8, 'ustar\u000000');
    header.fill(32, 148, 156);
    const sum = header.reduce((a, b) => a + b, 0);
    writeField(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    blocks.push(header, data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const tar = new Uint8Array(Buffer.concat(blocks));
  return options.gzip ? new Uint8Array(gzipSync(tar)) : tar;
}
