// Typed reads of user-supplied settings (model options, trial parameters, data set options) with
// errors that name the setting. Values arrive as YAML scalars, so numbers may be given as numbers only
// and booleans as true/false.
import { InvalidConfigurationError } from './errors';

export class OptionReader {
  constructor(
    private readonly values: Record<string, unknown>,
    /** How a key is named in errors, e.g. `dataset.options.trainSize`. */
    private readonly describe: (key: string) => string,
  ) {}

  has(key: string): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  private fail(key: string, expected: string): never {
    const problem = `must be ${expected}, got ${JSON.stringify(this.values[key])}`;
    throw new InvalidConfigurationError(`${this.describe(key)} ${problem}`, { key, problem });
  }

  number(key: string, fallback: number, range: Range = {}): number {
    return this.numeric(key, fallback, range, 'a number');
  }

  int(key: string, fallback: number, range: Range = {}): number {
    return this.numeric(key, fallback, range, 'an integer');
  }

  private numeric(key: string, fallback: number, range: Range, kind: 'a number' | 'an integer'): number {
    if (!this.has(key)) return fallback;
    const value = this.values[key];
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (kind === 'a number' || Number.isInteger(value)) &&
      (range.min === undefined || value >= range.min) &&
      (range.max === undefined || value <= range.max) &&
      (range.minExclusive === undefined || value > range.minExclusive);
    if (!ok) this.fail(key, `${kind}${describeRange(range)}`);
    return value as number;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.values[key];
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.fail(key, 'true or false');
  }

  choice<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
    if (!this.has(key)) return fallback;
    const value = this.values[key];
    const normalized = typeof value === 'string' ? value.trim() : value;
    const match = choices.find((choice) => choice === normalized || (typeof normalized === 'string' && choice.toLowerCase() === normalized.toLowerCase()));
    if (match === undefined) this.fail(key, `one of ${choices.join(', ')}`);
    return match;
  }

  /** Rejects keys nobody reads: a typo in a setting must not silently do nothing. */
  rejectUnknown(known: Iterable<string>, hint = ''): void {
    const allowed = new Set(known);
    const unknown = Object.keys(this.values).filter((key) => !allowed.has(key));
    if (unknown.length > 0) {
      const names = unknown.map((key) => this.describe(key)).join(', ');
      const known = `(known: ${[...allowed].sort().join(', ')})`;
      throw new InvalidConfigurationError(`unknown setting ${names}${hint} ${known}`, { key: unknown[0]!, problem: `is not a setting${hint} ${known}`, unknownKey: true });
    }
  }
}

interface Range {
  min?: number;
  max?: number;
  minExclusive?: number;
}

function describeRange(range: Range): string {
  const parts: string[] = [];
  if (range.minExclusive !== undefined) parts.push(`> ${range.minExclusive}`);
  if (range.min !== undefined) parts.push(`>= ${range.min}`);
  if (range.max !== undefined) parts.push(`<= ${range.max}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}
