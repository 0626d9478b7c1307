// Reads and checks the `options` of a sampler or scheduler, so every algorithm rejects bad and unknown
// options with the same kind of message: `scheduler "median": option "nWarmupSteps" must be ...`.
import { AlgorithmConfigError } from './errors';

interface NumberBounds {
  min?: number;
  max?: number;
}

export class OptionReader {
  private readonly read = new Set<string>();
  private readonly options: Record<string, unknown>;

  /** `what` names the algorithm in messages, e.g. `scheduler "median"`. */
  constructor(
    private readonly what: string,
    options: unknown,
  ) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new AlgorithmConfigError('options', `${what}: options must be a mapping of option name to value`);
    }
    this.options = (options ?? {}) as Record<string, unknown>;
  }

  integer(name: string, fallback: number, bounds: NumberBounds = {}): number {
    return this.number(name, fallback, bounds, true);
  }

  number(name: string, fallback: number, bounds: NumberBounds = {}, integer = false): number {
    this.read.add(name);
    const value = this.options[name];
    if (value === undefined) return fallback;
    const { min, max } = bounds;
    const ok =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (min === undefined || value >= min) &&
      (max === undefined || value <= max);
    if (!ok) {
      const range = [min !== undefined ? `>= ${min}` : '', max !== undefined ? `<= ${max}` : ''].filter(Boolean).join(' and ');
      const kind = integer ? 'an integer' : 'a number';
      throw new AlgorithmConfigError(
        `options.${name}`,
        `${this.what}: option "${name}" must be ${kind}${range ? ` ${range}` : ''} (got ${JSON.stringify(value)})`,
      );
    }
    return value as number;
  }

  boolean(name: string, fallback: boolean): boolean {
    this.read.add(name);
    const value = this.options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      throw new AlgorithmConfigError(`options.${name}`, `${this.what}: option "${name}" must be true or false (got ${JSON.stringify(value)})`);
    }
    return value;
  }

  /** One of `choices` (strings). */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    this.read.add(name);
    const value = this.options[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !choices.includes(value as T)) {
      const list = choices.map((c) => JSON.stringify(c)).join(', ');
      throw new AlgorithmConfigError(`options.${name}`, `${this.what}: option "${name}" must be one of ${list} (got ${JSON.stringify(value)})`);
    }
    return value as T;
  }

  /** A nested mapping (e.g. a wrapped algorithm's `{type, options}`), unchecked inside; undefined when absent. */
  mapping(name: string): Record<string, unknown> | undefined {
    this.read.add(name);
    const value = this.options[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new AlgorithmConfigError(`options.${name}`, `${this.what}: option "${name}" must be a mapping (got ${JSON.stringify(value)})`);
    }
    return value as Record<string, unknown>;
  }

  /** Call after reading every option: anything left is unknown (usually a typo). */
  done(): void {
    const unknown = Object.keys(this.options).filter((name) => !this.read.has(name));
    if (unknown.length === 0) return;
    const known = [...this.read];
    const takes = known.length > 0 ? `known options: ${known.join(', ')}` : 'it takes no options';
    throw new AlgorithmConfigError(`options.${unknown[0]}`, `${this.what}: unknown option "${unknown[0]}" (${takes})`);
  }
}
