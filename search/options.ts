// Typed reads of user-supplied options: a sampler's or scheduler's `options` here; model options, trial
// parameters and data set options in training/. Values arrive as YAML scalars, so numbers must be
// numbers; a boolean may also be the string true/false and a choice is matched in any case. An option
// that is null counts as absent. Every key looked at is recorded, so done() can refuse the others (usually a
// typo). Who words a problem, and as which error, is the caller's `errors` (search's default:
// AlgorithmConfigError, `scheduler "median": option "nWarmupSteps" must be ...`).
import { AlgorithmConfigError } from './errors';

export interface NumberBounds {
  min?: number;
  max?: number;
  minExclusive?: number;
}

/** What is wrong with the options, for an OptionErrors to word. */
export type OptionFault =
  /** `expected` reads after "must be", e.g. `an integer >= 1`; `choices` is set for a choice. */
  | { kind: 'value'; key: string; value: unknown; expected: string; choices?: readonly string[] }
  /** Keys nobody reads; `known` are the keys that are read; `hint` (may be '') says where. */
  | { kind: 'unknown'; keys: string[]; known: string[]; hint: string }
  | { kind: 'not-a-mapping'; value: unknown };

/** Makes the error thrown for a fault. */
export type OptionErrors = (fault: OptionFault) => Error;

export class OptionReader {
  private readonly read = new Set<string>();
  protected readonly options: Record<string, unknown>;

  /** `what` names the options in messages, e.g. `scheduler "median"`; `errors` words the problems. */
  constructor(
    readonly what: string,
    options: unknown,
    private readonly errors: OptionErrors = algorithmOptionErrors(what),
  ) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw errors({ kind: 'not-a-mapping', value: options });
    }
    this.options = (options ?? {}) as Record<string, unknown>;
  }

  /** Whether `name` is set (not absent, not null). */
  has(name: string): boolean {
    this.read.add(name);
    return this.options[name] !== undefined && this.options[name] !== null;
  }

  /** The keys looked at so far. */
  get keysRead(): ReadonlySet<string> {
    return this.read;
  }

  integer(name: string, fallback: number, bounds: NumberBounds = {}): number {
    return this.numeric(name, fallback, bounds, 'an integer');
  }

  number(name: string, fallback: number, bounds: NumberBounds = {}): number {
    return this.numeric(name, fallback, bounds, 'a number');
  }

  private numeric(name: string, fallback: number, bounds: NumberBounds, kind: 'a number' | 'an integer'): number {
    if (!this.has(name)) return fallback;
    const value = this.options[name];
    const { min, max, minExclusive } = bounds;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (kind === 'a number' || Number.isInteger(value)) &&
      (min === undefined || value >= min) &&
      (max === undefined || value <= max) &&
      (minExclusive === undefined || value > minExclusive);
    if (!ok) this.invalid(name, `${kind}${describeBounds(bounds)}`);
    return value as number;
  }

  boolean(name: string, fallback: boolean): boolean {
    if (!this.has(name)) return fallback;
    const value = this.options[name];
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.invalid(name, 'true or false');
  }

  /** One of `choices` (strings), returned as spelled there. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    if (!this.has(name)) return fallback;
    const value = this.options[name];
    const wanted = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    const match = choices.find((choice) => choice.toLowerCase() === wanted);
    if (match === undefined) return this.invalid(name, `one of ${choices.join(', ')}`, choices);
    return match;
  }

  /** A nested mapping (e.g. a wrapped algorithm's `{type, options}`), unchecked inside; undefined when absent. */
  mapping(name: string): Record<string, unknown> | undefined {
    if (!this.has(name)) return undefined;
    const value = this.options[name];
    if (typeof value !== 'object' || Array.isArray(value)) return this.invalid(name, 'a mapping');
    return value as Record<string, unknown>;
  }

  /** Call after reading every option: anything not read is unknown. */
  done(hint = ''): void {
    this.rejectUnknown(this.read, hint);
  }

  /** Refuses keys outside `known`: a typo in a setting must not silently do nothing. */
  rejectUnknown(known: Iterable<string>, hint = ''): void {
    const allowed = [...known];
    const unknown = Object.keys(this.options).filter((key) => !allowed.includes(key));
    if (unknown.length > 0) throw this.errors({ kind: 'unknown', keys: unknown, known: allowed, hint });
  }

  /** Throws the error for a value of `name` that is not `expected` (for subclasses reading other types). */
  protected invalid(name: string, expected: string, choices?: readonly string[]): never {
    throw this.errors({ kind: 'value', key: name, value: this.options[name], expected, ...(choices ? { choices } : {}) });
  }
}

function describeBounds({ min, max, minExclusive }: NumberBounds): string {
  const parts: string[] = [];
  if (minExclusive !== undefined) parts.push(`> ${minExclusive}`);
  if (min !== undefined) parts.push(`>= ${min}`);
  if (max !== undefined) parts.push(`<= ${max}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

/** The wording of sampler and scheduler options: `sampler "tpe": option "nStartupTrials" must be ... (got ...)`. */
export function algorithmOptionErrors(what: string): OptionErrors {
  return (fault) => {
    switch (fault.kind) {
      case 'not-a-mapping':
        return new AlgorithmConfigError('options', `${what}: options must be a mapping of option name to value`);
      case 'unknown': {
        const takes = fault.known.length > 0 ? `known options: ${fault.known.join(', ')}` : 'it takes no options';
        return new AlgorithmConfigError(`options.${fault.keys[0]}`, `${what}: unknown option "${fault.keys[0]}"${fault.hint} (${takes})`);
      }
      case 'value': {
        const expected = fault.choices ? `one of ${fault.choices.map((c) => JSON.stringify(c)).join(', ')}` : fault.expected;
        return new AlgorithmConfigError(`options.${fault.key}`, `${what}: option "${fault.key}" must be ${expected} (got ${JSON.stringify(fault.value)})`);
      }
    }
  };
}
