// Maps field paths to places in the YAML source and back, so every problem can name its line and column.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';

export type FieldPath = ReadonlyArray<string | number>;

/** `search.space.lr.low`, `objective[1].metric`, `tracking.tags["team.name"]`. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** RFC 6901 JSON pointer (as in ajv's `instancePath`) → path segments; array indexes become numbers. */
export function pathFromPointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(current) ? Number(token) : token;
    path.push(segment);
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[token] : undefined;
  }
  return path;
}

export interface SourcePosition {
  line: number;
  column: number;
}

export class SourceLocator {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  positionOfOffset(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where the field at `path` is written: its key (`target: 'key'`, for unknown keys) or its value.
   * A field that is not in the file (a default, say) falls back to the nearest enclosing one that is.
   */
  position(path: FieldPath, target: 'key' | 'value' = 'value'): SourcePosition {
    let node: unknown = this.doc.contents;
    let offset = startOf(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string | number;
      node = this.resolveAlias(node);
      if (isMap(node)) {
        const pair = this.findPair(node.items as Pair[], String(segment), new Set());
        if (pair === undefined) break;
        const keyOffset = startOf(pair.key) ?? offset;
        const wantsKey = i === path.length - 1 && target === 'key';
        // `lr:` with nothing after it has an empty value node: point at the key instead.
        const valueIsWritten = startOf(pair.value) !== undefined && !(isScalar(pair.value) && pair.value.source === '');
        if (wantsKey || !valueIsWritten) {
          offset = keyOffset;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && startOf(node.items[segment]) !== undefined) {
        node = node.items[segment];
      } else {
        break;
      }
      offset = startOf(node) ?? offset;
    }
    return this.positionOfOffset(offset);
  }

  /** The path of the innermost key or value written at `offset`; used to name the field of a YAML syntax error. */
  pathAtOffset(offset: number): (string | number)[] {
    const path: (string | number)[] = [];
    let node: unknown = this.doc.contents;
    while (node !== null && node !== undefined) {
      if (isMap(node)) {
        const pair = (node.items as Pair[]).find((item) => contains(item.key, offset) || contains(item.value, offset));
        if (pair === undefined || !isScalar(pair.key)) break;
        path.push(String(pair.key.value));
        if (contains(pair.key, offset)) break;
        node = pair.value;
      } else if (isSeq(node)) {
        const index = node.items.findIndex((item) => contains(item, offset));
        if (index < 0) break;
        path.push(index);
        node = node.items[index];
      } else {
        break;
      }
    }
    return path;
  }

  private resolveAlias(node: unknown): unknown {
    if (!isAlias(node)) return node;
    return node.resolve(this.doc) ?? node;
  }

  /** The pair for `key` in a map's items, looking through `<<` merge keys when it is not written directly. */
  private findPair(items: Pair[], key: string, seen: Set<unknown>): Pair | undefined {
    const direct = items.find((pair) => isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === key);
    if (direct !== undefined) return direct;
    for (const pair of items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol') continue;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const map = isAlias(source) ? source.resolve(this.doc) : source;
        if (!isMap(map) || seen.has(map)) continue;
        seen.add(map);
        const found = this.findPair(map.items as Pair[], key, seen);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
}

function startOf(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || isPair(node)) return undefined;
  return (node as Node).range?.[0];
}

function contains(node: unknown, offset: number): boolean {
  if (node === null || typeof node !== 'object' || isPair(node)) return false;
  const range = (node as Node).range;
  return range !== undefined && range !== null && range[0] <= offset && offset < Math.max(range[1], range[0] + 1);
}
