// A minimal, safe unpickler for the one thing our data sets need: numpy object arrays of lists of ints,
// as stored inside Keras' imdb.npz and reuters.npz (each `x` is an ndarray of dtype object holding one
// Python list of word indices per text). Nothing is ever called: globals and REDUCE build inert
// placeholder objects, and only the ndarray reconstruction pattern is interpreted afterwards.
// Opcodes cover protocols 2-5 as written by Python 2 and 3 (ints, strings, bytes, lists, tuples,
// dicts, memo, frames); anything else is a clear error.

export class PickleFormatError extends Error {
  override readonly name = 'PickleFormatError';
}

/** A global reference (`module.name`) or the result of calling one: never executed. */
export interface PickleGlobal {
  kind: 'global';
  module: string;
  name: string;
}
export interface PickleReduce {
  kind: 'reduce';
  callable: PickleValue;
  args: PickleValue[];
  /** What BUILD (__setstate__) set, if anything. */
  state?: PickleValue;
}
export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleGlobal | PickleReduce | Map<PickleValue, PickleValue>;

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

export function unpickle(bytes: Uint8Array, source = 'pickle'): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const fail = (message: string): never => {
    throw new PickleFormatError(`${source}: ${message} at byte ${pos}`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('truncated');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const utf8 = (n: number) => Buffer.from(take(n)).toString('utf8');
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const text = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return text;
  };
  const pop = (): PickleValue => {
    const item = stack.pop();
    if (item === undefined || item === MARK) return fail('stack underflow');
    return item;
  };
  const popToMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no MARK');
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const item = stack[stack.length - 1];
    if (item === undefined || item === MARK) return fail('stack underflow');
    return item;
  };
  const asList = (value: PickleValue): PickleValue[] => (Array.isArray(value) ? value : fail('APPEND to a non-list'));
  const longFromBytes = (raw: Uint8Array): number | bigint => {
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]!);
    if (raw.length > 0 && (raw[raw.length - 1]! & 0x80) !== 0) value -= 1n << BigInt(raw.length * 8);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  };
  const reduce = (callable: PickleValue, args: PickleValue[]): PickleValue => {
    // Python 3 writes bytes as _codecs.encode(text, 'latin1') under protocol 2.
    if (isGlobal(callable, '_codecs', 'encode') && typeof args[0] === 'string') return new Uint8Array(Buffer.from(args[0], 'latin1'));
    return { kind: 'reduce', callable, args };
  };

  for (;;) {
    const op = String.fromCharCode(u8());
    switch (op) {
      case '\x80': u8(); break; // PROTO
      case '\x95': take(8); break; // FRAME: the length is only a read-ahead hint
      case '.': return pop(); // STOP
      case '(': stack.push(MARK); break;
      case 'N': stack.push(null); break;
      case '\x88': stack.push(true); break;
      case '\x89': stack.push(false); break;
      case 'K': stack.push(u8()); break; // BININT1
      case 'M': stack.push(u16()); break; // BININT2
      case 'J': stack.push(i32()); break; // BININT
      case '\x8a': stack.push(longFromBytes(take(u8()))); break; // LONG1
      case '\x8b': stack.push(longFromBytes(take(u32()))); break; // LONG4
      case 'I': { const text = line(); stack.push(text === '01' ? true : text === '00' ? false : Number(text)); break; }
      case 'L': stack.push(Number(line().replace(/L$/, ''))); break;
      case 'G': need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 'X': stack.push(utf8(u32())); break; // BINUNICODE
      case '\x8c': stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case '\x8d': { const n = Number(view.getBigUint64((need(8), pos), true)); pos += 8; stack.push(utf8(n)); break; }
      case 'T': stack.push(Buffer.from(take(u32())).toString('latin1')); break; // BINSTRING (Python 2 str)
      case 'U': stack.push(Buffer.from(take(u8())).toString('latin1')); break; // SHORT_BINSTRING
      case 'B': stack.push(new Uint8Array(take(u32()))); break; // BINBYTES
      case 'C': stack.push(new Uint8Array(take(u8()))); break; // SHORT_BINBYTES
      case '\x8e': { const n = Number(view.getBigUint64((need(8), pos), true)); pos += 8; stack.push(new Uint8Array(take(n))); break; }
      case ')': stack.push([]); break; // EMPTY_TUPLE (tuples are arrays here)
      case '\x85': stack.push([pop()]); break;
      case '\x86': { const b = pop(); const a = pop(); stack.push([a, b]); break; }
      case '\x87': { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; }
      case 't': stack.push(popToMark()); break; // TUPLE
      case ']': stack.push([]); break; // EMPTY_LIST
      case 'l': stack.push(popToMark()); break; // LIST
      case 'a': { const item = pop(); asList(top()).push(item); break; } // APPEND
      case 'e': { const items = popToMark(); asList(top()).push(...items); break; } // APPENDS
      case '}': stack.push(new Map()); break; // EMPTY_DICT
      case 'd': { const items = popToMark(); const map = new Map<PickleValue, PickleValue>(); for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i]!, items[i + 1]!); stack.push(map); break; }
      case 's': { const value = pop(); const key = pop(); const map = top(); if (!(map instanceof Map)) fail('SETITEM on a non-dict'); (map as Map<PickleValue, PickleValue>).set(key, value); break; }
      case 'u': { const items = popToMark(); const map = top(); if (!(map instanceof Map)) fail('SETITEMS on a non-dict'); for (let i = 0; i + 1 < items.length; i += 2) (map as Map<PickleValue, PickleValue>).set(items[i]!, items[i + 1]!); break; }
      case 'c': { const module = line(); const name = line(); stack.push({ kind: 'global', module, name }); break; } // GLOBAL
      case '\x93': { const name = pop(); const module = pop(); if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings'); stack.push({ kind: 'global', module: module as string, name: name as string }); break; }
      case 'R': { const args = pop(); const callable = pop(); stack.push(reduce(callable, Array.isArray(args) ? args : [args])); break; }
      case '\x81': { const args = pop(); const cls = pop(); stack.push({ kind: 'reduce', callable: cls, args: Array.isArray(args) ? args : [args] }); break; } // NEWOBJ
      case 'b': { const state = pop(); const target = top(); if (target && typeof target === 'object' && 'kind' in target && target.kind === 'reduce') target.state = state; break; } // BUILD
      case 'q': memo.set(u8(), top()); break; // BINPUT
      case 'r': memo.set(u32(), top()); break; // LONG_BINPUT
      case '\x94': memo.set(memo.size, top()); break; // MEMOIZE
      case 'h': { const key = u8(); if (!memo.has(key)) fail(`memo ${key} missing`); stack.push(memo.get(key)!); break; }
      case 'j': { const key = u32(); if (!memo.has(key)) fail(`memo ${key} missing`); stack.push(memo.get(key)!); break; }
      case '0': pop(); break; // POP
      case '2': stack.push(top()); break; // DUP
      default:
        fail(`unsupported pickle opcode 0x${op.charCodeAt(0).toString(16)}`);
    }
  }
}

export function isGlobal(value: PickleValue | undefined, module: string, name: string): boolean {
  return !!value && typeof value === 'object' && 'kind' in value && value.kind === 'global' && value.name === name && (value.module === module || value.module.replace('numpy._core', 'numpy.core') === module);
}

function isReduceOf(value: PickleValue | undefined, module: string, name: string): value is PickleReduce {
  return !!value && typeof value === 'object' && 'kind' in value && value.kind === 'reduce' && isGlobal(value.callable, module, name);
}

/** Numpy dtype descr ('<i8', '|u1', ...) of a pickled numpy.dtype object. */
function dtypeDescr(value: PickleValue | undefined): string {
  if (!isReduceOf(value, 'numpy', 'dtype')) throw new PickleFormatError('expected a numpy dtype');
  const base = String(value.args[0]);
  const state = Array.isArray(value.state) ? value.state : [];
  const order = typeof state[1] === 'string' ? state[1] : '<';
  return `${order}${base}`;
}

/** Decodes little-endian numeric bytes of a numpy integer or float dtype into numbers. */
export function numbersFromBytes(raw: Uint8Array, descr: string, where: string): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const match = /^([<>|=]?)([iuf])(\d)$/.exec(descr);
  if (!match) throw new PickleFormatError(`${where}: unsupported dtype ${descr}`);
  const little = match[1] !== '>';
  const kind = match[2]!;
  const size = Number(match[3]);
  const out: number[] = [];
  for (let offset = 0; offset + size <= raw.length; offset += size) {
    if (kind === 'f') out.push(size === 4 ? view.getFloat32(offset, little) : view.getFloat64(offset, little));
    else if (size === 1) out.push(kind === 'i' ? view.getInt8(offset) : view.getUint8(offset));
    else if (size === 2) out.push(kind === 'i' ? view.getInt16(offset, little) : view.getUint16(offset, little));
    else if (size === 4) out.push(kind === 'i' ? view.getInt32(offset, little) : view.getUint32(offset, little));
    else out.push(Number(kind === 'i' ? view.getBigInt64(offset, little) : view.getBigUint64(offset, little)));
  }
  return out;
}

/** The elements of a pickled numpy ndarray (numpy.core.multiarray._reconstruct + BUILD state), flat. */
export function ndarrayElements(value: PickleValue, where = 'pickled array'): PickleValue[] {
  if (!isReduceOf(value, 'numpy.core.multiarray', '_reconstruct') || !Array.isArray(value.state)) {
    throw new PickleFormatError(`${where}: not a pickled numpy array`);
  }
  // state = (version, shape, dtype, is_fortran, data): data is a list for object arrays, bytes otherwise.
  const [, , dtype, , data] = value.state;
  if (Array.isArray(data)) return data;
  if (data instanceof Uint8Array) return numbersFromBytes(data, dtypeDescr(dtype), where);
  throw new PickleFormatError(`${where}: array data is neither a list nor bytes`);
}

/** One element of an object array as a list of integers: a Python list, a numpy array, or numpy scalars. */
export function integerList(value: PickleValue, where: string): number[] {
  const items = Array.isArray(value) ? value : ndarrayElements(value, where);
  return items.map((item) => {
    if (typeof item === 'number' && Number.isInteger(item)) return item;
    if (typeof item === 'bigint') return Number(item);
    if (isReduceOf(item, 'numpy.core.multiarray', 'scalar') && item.args[1] instanceof Uint8Array) {
      return numbersFromBytes(item.args[1], dtypeDescr(item.args[0]), where)[0]!;
    }
    throw new PickleFormatError(`${where}: expected integers, found ${describe(item)}`);
  });
}

function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object' && 'kind' in value) return value.kind === 'global' ? `${value.module}.${value.name}` : 'an object';
  return JSON.stringify(value);
}

/**
 * Pickles a 1-D numpy object array of int lists the way numpy (protocol 2, as used by old numpy and
 * Python 2 era files) writes it: the inverse of ndarrayElements + integerList, for tests and tools.
 */
export function encodeObjectArrayPickle(lists: readonly (readonly number[])[]): Uint8Array {
  const out: number[] = [];
  const op = (code: string) => out.push(code.charCodeAt(0));
  const int = (n: number) => {
    if (n >= 0 && n < 256) out.push(0x4b, n);
    else if (n >= 0 && n < 65536) out.push(0x4d, n & 0xff, n >> 8);
    else {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      out.push(0x4a, ...b);
    }
  };
  const global = (module: string, name: string) => out.push(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
  const shortString = (text: string) => out.push(0x55, text.length, ...Buffer.from(text, 'latin1'));
  out.push(0x80, 2);
  global('numpy.core.multiarray', '_reconstruct');
  global('numpy', 'ndarray');
  int(0);
  op('\x85');
  shortString('b');
  op('\x87');
  op('R');
  op('(');
  int(1);
  int(lists.length);
  op('\x85');
  global('numpy', 'dtype');
  shortString('O8');
  op('\x89');
  op('\x88');
  op('\x87');
  op('R');
  op('(');
  int(3);
  shortString('|');
  op('N');
  op('N');
  op('N');
  int(-1);
  int(-1);
  int(63);
  op('t');
  op('b');
  op('\x89');
  op(']');
  op('(');
  for (const list of lists) {
    op(']');
    op('(');
    for (const n of list) int(n);
    op('e');
  }
  op('e');
  op('t');
  op('b');
  op('.');
  return Uint8Array.from(out);
}
