// The parsed search space: validation, conditional parameters, membership, and the [0, 1] encoding the
// samplers work in. Pure and small: the campaign workflow imports it.
import { SpaceError } from './errors';
import type { Params, Scalar, SearchSpace } from './space-types';

/** `when` normalized: parent name → the values that activate the parameter. */
export type Conditions = Readonly<Record<string, readonly Scalar[]>>;

interface ParamBase {
  readonly name: string;
  /** Null for an unconditional parameter. */
  readonly when: Conditions | null;
}

/** A number parameter. `points` is the size of its grid (int, or float with step); null for a continuous float. */
export interface NumericParam extends ParamBase {
  readonly type: 'float' | 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Grid spacing: always set for int (default 1), null for a continuous float. */
  readonly step: number | null;
  readonly points: number | null;
}

export interface CategoricalParam extends ParamBase {
  readonly type: 'categorical';
  readonly choices: readonly Scalar[];
}

export interface FixedParam extends ParamBase {
  readonly type: 'fixed';
  readonly value: Scalar;
}

export type Param = NumericParam | CategoricalParam | FixedParam;

export interface Space {
  /** Parents before the parameters whose `when` names them; otherwise in declaration order. */
  readonly params: readonly Param[];
  readonly byName: ReadonlyMap<string, Param>;
  /** The space as plain JSON with bare scalars written as `{type: fixed}`: what a study stores. */
  readonly definition: SearchSpace;
}

const FIELDS: Record<string, readonly string[]> = {
  float: ['type', 'low', 'high', 'log', 'step', 'when'],
  int: ['type', 'low', 'high', 'log', 'step', 'when'],
  categorical: ['type', 'choices', 'when'],
  fixed: ['type', 'value', 'when'],
};

/** Validates and normalizes a space; throws `SpaceError` naming the parameter at the first problem. */
export function parseSpace(raw: SearchSpace): Space {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SpaceError(null, 'must be a mapping of parameter name to definition');
  }
  const parsed = new Map<string, Param>();
  const definition: SearchSpace = {};
  for (const [name, spec] of Object.entries(raw)) {
    const param = parseParam(name, spec);
    parsed.set(name, param);
    definition[name] = toDefinition(param);
  }
  for (const param of parsed.values()) checkConditions(param, parsed);
  const params = topologicalOrder(parsed);
  return { params, byName: new Map(params.map((p) => [p.name, p])), definition };
}

function parseParam(name: string, spec: unknown): Param {
  if (isScalar(spec)) return { name, when: null, type: 'fixed', value: checkScalar(name, spec, 'a fixed value', []) };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new SpaceError(name, 'must be a number, string, boolean or a mapping with a type');
  }
  const fields = spec as Record<string, unknown>;
  const type = fields.type;
  const known = typeof type === 'string' ? FIELDS[type] : undefined;
  if (known === undefined) {
    throw new SpaceError(name, `type must be one of ${Object.keys(FIELDS).join(', ')} (got ${JSON.stringify(type)})`, ['type']);
  }
  const unknownField = Object.keys(fields).find((field) => !known.includes(field));
  if (unknownField !== undefined) {
    throw new SpaceError(name, `unknown field "${unknownField}" for a ${type} parameter (fields: ${known.join(', ')})`, [unknownField]);
  }
  const when = parseWhen(name, fields.when);
  switch (type) {
    case 'float':
    case 'int':
      return parseNumeric(name, type, fields, when);
    case 'categorical':
      return { name, when, type, choices: parseChoices(name, fields.choices) };
    default:
      if (!isScalar(fields.value)) throw new SpaceError(name, 'value must be a number, string or boolean', ['value']);
      return { name, when, type: 'fixed', value: checkScalar(name, fields.value, 'value', ['value']) };
  }
}

function parseNumeric(name: string, type: 'float' | 'int', fields: Record<string, unknown>, when: Conditions | null): NumericParam {
  const { low, high, log = false, step } = fields;
  for (const [field, value] of [['low', low], ['high', high]] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new SpaceError(name, `${field} must be a finite number (got ${String(value)})`, [field]);
    if (type === 'int' && !Number.isInteger(value)) throw new SpaceError(name, `${field} must be an integer for an int parameter (got ${value})`, [field]);
  }
  const [lo, hi] = [low as number, high as number];
  if (!(lo < hi)) throw new SpaceError(name, `low must be < high (low=${lo}, high=${hi})`, ['low']);
  if (typeof log !== 'boolean') throw new SpaceError(name, `log must be true or false (got ${String(log)})`, ['log']);
  if (log && !(lo > 0)) throw new SpaceError(name, `low must be > 0 when log is true (low=${lo})`, ['low']);
  if (step !== undefined) {
    if (typeof step !== 'number' || !Number.isFinite(step) || !(step > 0)) throw new SpaceError(name, `step must be > 0 (got ${String(step)})`, ['step']);
    if (type === 'int' && !Number.isInteger(step)) throw new SpaceError(name, `step must be an integer for an int parameter (got ${step})`, ['step']);
    // Relative tolerance: low=-0.2, high=0.05, step=0.25 is one step even though 0.05 - -0.2 = 0.24999999999999997.
    if (step > (hi - lo) * (1 + 1e-9)) throw new SpaceError(name, `step must be <= high - low (step=${step}, high - low=${hi - lo})`, ['step']);
    // A log scale and an even grid contradict each other (Optuna refuses the pair too); int log means step 1.
    if (log && !(type === 'int' && step === 1)) {
      const why = type === 'int' ? 'an int parameter with log: true has step 1' : 'a float parameter cannot have both';
      throw new SpaceError(name, `step cannot be combined with log: true (${why})`, ['step']);
    }
  }
  const gridStep = type === 'int' ? ((step as number | undefined) ?? 1) : ((step as number | undefined) ?? null);
  const points = gridStep === null ? null : Math.floor((hi - lo) / gridStep + 1e-9) + 1;
  return { name, when, type, low: lo, high: hi, log, step: gridStep, points };
}

function parseChoices(name: string, choices: unknown): Scalar[] {
  if (!Array.isArray(choices) || choices.length === 0) throw new SpaceError(name, 'choices must be a non-empty list', ['choices']);
  const seen = new Set<string>();
  return choices.map((choice, index) => {
    if (!isScalar(choice)) throw new SpaceError(name, `choices[${index}] must be a number, string or boolean`, ['choices', index]);
    const key = scalarKey(checkScalar(name, choice, `choices[${index}]`, ['choices', index]));
    if (seen.has(key)) throw new SpaceError(name, `choices must be distinct (${JSON.stringify(choice)} is listed twice)`, ['choices', index]);
    seen.add(key);
    return choice;
  });
}

function parseWhen(name: string, when: unknown): Conditions | null {
  if (when === undefined) return null;
  if (typeof when !== 'object' || when === null || Array.isArray(when)) {
    throw new SpaceError(name, 'when must be a mapping of parameter name to a value or a list of values', ['when']);
  }
  const conditions: Record<string, Scalar[]> = {};
  for (const [parent, expected] of Object.entries(when)) {
    const values: unknown[] = Array.isArray(expected) ? expected : [expected];
    if (values.length === 0 || !values.every(isScalar)) {
      throw new SpaceError(name, `when.${parent} must be a number, string, boolean or a non-empty list of them`, ['when', parent]);
    }
    conditions[parent] = values as Scalar[];
  }
  return Object.keys(conditions).length > 0 ? conditions : null;
}

/** Every `when` names another parameter, with values that parameter can take. */
function checkConditions(param: Param, all: ReadonlyMap<string, Param>): void {
  for (const [parentName, values] of Object.entries(param.when ?? {})) {
    if (parentName === param.name) throw new SpaceError(param.name, 'when cannot name the parameter itself', ['when', parentName]);
    const parent = all.get(parentName);
    if (parent === undefined) {
      throw new SpaceError(param.name, `when names unknown parameter "${parentName}" (the space has: ${[...all.keys()].join(', ')})`, ['when', parentName]);
    }
    for (const value of values) {
      const problem = valueProblem(parent, value);
      if (problem !== null) throw new SpaceError(param.name, `when.${parentName} can never hold: ${problem}`, ['when', parentName]);
    }
  }
}

/** Kahn's algorithm, always taking the earliest-declared ready parameter, so the order is stable. */
function topologicalOrder(parsed: ReadonlyMap<string, Param>): Param[] {
  const pending = [...parsed.values()];
  const placed = new Set<string>();
  const order: Param[] = [];
  while (pending.length > 0) {
    const index = pending.findIndex((p) => Object.keys(p.when ?? {}).every((parent) => placed.has(parent)));
    if (index < 0) throw new SpaceError(pending[0]!.name, `conditions form a cycle: ${describeCycle(pending)}`, ['when']);
    const [next] = pending.splice(index, 1) as [Param];
    placed.add(next.name);
    order.push(next);
  }
  return order;
}

/** `a -> b -> a`, following `when` links among parameters that could not be ordered. */
function describeCycle(stuck: readonly Param[]): string {
  const byName = new Map(stuck.map((p) => [p.name, p]));
  const trail: string[] = [];
  let current: Param | undefined = stuck[0];
  while (current !== undefined && !trail.includes(current.name)) {
    trail.push(current.name);
    current = Object.keys(current.when ?? {})
      .map((parent) => byName.get(parent))
      .find((p): p is Param => p !== undefined);
  }
  const start = current === undefined ? 0 : trail.indexOf(current.name);
  return [...trail.slice(start), trail[start]].join(' -> ');
}

function toDefinition(param: Param): SearchSpace[string] {
  const when = param.when ? { when: Object.fromEntries(Object.entries(param.when).map(([k, v]) => [k, [...v]])) } : {};
  switch (param.type) {
    case 'fixed':
      return { type: 'fixed', value: param.value, ...when };
    case 'categorical':
      return { type: 'categorical', choices: [...param.choices], ...when };
    default:
      return {
        type: param.type,
        low: param.low,
        high: param.high,
        ...(param.log ? { log: true } : {}),
        ...(param.step !== null && !(param.type === 'int' && param.step === 1) ? { step: param.step } : {}),
        ...when,
      };
  }
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

function checkScalar(name: string, value: Scalar, what: string, field: (string | number)[]): Scalar {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new SpaceError(name, `${what} must be finite (got ${value})`, field);
  return value;
}

/** Distinguishes 1, "1" and true. */
function scalarKey(value: Scalar): string {
  return JSON.stringify(value);
}

// ---- conditions and membership -------------------------------------------------------------------

/**
 * Whether the parameter's `when` holds for these values. Assumes `params` holds only active parameters,
 * as a valid configuration (or one being built in `space.params` order) does.
 */
export function isActive(param: Param, params: Params): boolean {
  if (param.when === null) return true;
  for (const [parent, allowed] of Object.entries(param.when)) {
    const value = params[parent];
    if (value === undefined || !allowed.includes(value)) return false;
  }
  return true;
}

/**
 * The parameters a configuration must hold given the values decided so far, in `space.params` order.
 * A parameter whose parent is active but not yet decided is left out; for a complete configuration
 * this is exactly the set of keys it must have.
 */
export function activeParams(space: Space, params: Params): Param[] {
  const active: Param[] = [];
  const activeNames = new Set<string>();
  for (const param of space.params) {
    const on = Object.entries(param.when ?? {}).every(([parent, allowed]) => {
      const value = params[parent];
      return activeNames.has(parent) && value !== undefined && allowed.includes(value);
    });
    if (on) {
      active.push(param);
      activeNames.add(param.name);
    }
  }
  return active;
}

/** Why the parameter can never take this value, or null when it can. */
export function valueProblem(param: Param, value: Scalar): string | null {
  switch (param.type) {
    case 'fixed':
      return value === param.value ? null : `"${param.name}" is fixed at ${JSON.stringify(param.value)} (got ${JSON.stringify(value)})`;
    case 'categorical':
      return param.choices.includes(value)
        ? null
        : `${JSON.stringify(value)} is not a choice of "${param.name}" (choices: ${param.choices.map((c) => JSON.stringify(c)).join(', ')})`;
    default: {
      const kind = param.type === 'int' ? 'an integer' : 'a number';
      const range = `[${param.low}, ${param.high}]`;
      if (typeof value !== 'number' || !(value >= param.low && value <= param.high) || (param.type === 'int' && !Number.isInteger(value))) {
        return `"${param.name}" takes ${kind} in ${range} (got ${JSON.stringify(value)})`;
      }
      if (param.step !== null && gridIndex(param, value) === null) {
        return `"${param.name}" takes values on the grid ${param.low} + k * ${param.step} (got ${value})`;
      }
      return null;
    }
  }
}

/**
 * Why `params` is not a configuration of the space, or null when it is: every active parameter present
 * with a possible value, no inactive or unknown ones. With `partial`, missing parameters are allowed
 * (an enqueued configuration whose other parameters the sampler fills in).
 */
export function explainParams(space: Space, params: Params, options: { partial?: boolean } = {}): string | null {
  for (const [name, value] of Object.entries(params)) {
    const param = space.byName.get(name);
    if (param === undefined) return `unknown parameter "${name}" (the space has: ${[...space.byName.keys()].join(', ') || 'no parameters'})`;
    const problem = valueProblem(param, value);
    if (problem !== null) return problem;
  }
  const active = new Set<string>();
  for (const param of space.params) {
    // With `partial`, an undecided parent leaves its dependants undecided too (not inactive).
    let on = true;
    for (const [parent, allowed] of Object.entries(param.when ?? {})) {
      const value = params[parent];
      if (value === undefined && options.partial && space.byName.has(parent)) continue;
      if (!active.has(parent) || value === undefined || !allowed.includes(value)) on = false;
    }
    if (on) active.add(param.name);
    const present = params[param.name] !== undefined;
    if (on && !present && !options.partial) return `missing parameter "${param.name}"`;
    if (!on && present) return `"${param.name}" is inactive in this configuration (${describeWhen(param, params)})`;
  }
  return null;
}

/** Whether `params` is a complete, valid configuration of the space. */
export function contains(space: Space, params: Params): boolean {
  return explainParams(space, params) === null;
}

function describeWhen(param: Param, params: Params): string {
  const parts = Object.entries(param.when ?? {}).map(([parent, allowed]) => {
    const wanted = allowed.map((v) => JSON.stringify(v)).join(' or ');
    const actual = params[parent];
    return `${parent} is ${wanted} (here ${actual === undefined ? 'it is not set or inactive' : JSON.stringify(actual)})`;
  });
  return `it applies when ${parts.join(', and ')}`;
}

/** A canonical string for a configuration: equal configurations (any key order) give equal keys. */
export function paramsKey(params: Params): string {
  const names = Object.keys(params).sort();
  let key = '';
  for (const name of names) key += `${JSON.stringify(name)}:${JSON.stringify(params[name])},`;
  return key;
}

// ---- encoding ------------------------------------------------------------------------------------

/**
 * Maps a value to [0, 1]. Log parameters are encoded on the log scale. A grid of n points (int, or float
 * with step) is stretched by half a step at each end (Optuna's trick), so each point owns a cell of width
 * 1/n and a uniform u lands on every point equally often; a point encodes to its cell's centre.
 * A categorical choice i of n encodes to (i + 0.5) / n; a fixed value to 0.5.
 */
export function toUnit(param: Param, value: Scalar): number {
  switch (param.type) {
    case 'fixed':
      return 0.5;
    case 'categorical': {
      const index = choiceIndex(param, value);
      if (index < 0) throw new Error(valueProblem(param, value) ?? 'not a choice');
      return (index + 0.5) / param.choices.length;
    }
    default: {
      if (typeof value !== 'number') throw new Error(`"${param.name}" takes a number (got ${JSON.stringify(value)})`);
      if (param.log) {
        const [lo, hi] = logBounds(param);
        return clamp01((Math.log(value) - lo) / (hi - lo));
      }
      if (param.points !== null) {
        const index = Math.round((value - param.low) / param.step!);
        return (Math.min(Math.max(index, 0), param.points - 1) + 0.5) / param.points;
      }
      return clamp01((value - param.low) / (param.high - param.low));
    }
  }
}

/** The inverse of `toUnit`: any u in [0, 1] (clamped) gives a value the parameter can take. */
export function fromUnit(param: Param, u: number): Scalar {
  if (Number.isNaN(u)) throw new Error(`fromUnit("${param.name}"): u is NaN`);
  const x = clamp01(u);
  switch (param.type) {
    case 'fixed':
      return param.value;
    case 'categorical':
      return param.choices[Math.min(Math.floor(x * param.choices.length), param.choices.length - 1)]!;
    default: {
      if (param.log) {
        const [lo, hi] = logBounds(param);
        const value = Math.exp(lo + x * (hi - lo));
        return Math.min(Math.max(param.type === 'int' ? Math.round(value) : value, param.low), param.high);
      }
      if (param.points !== null) return gridValue(param, Math.min(Math.floor(x * param.points), param.points - 1));
      return Math.min(param.low + x * (param.high - param.low), param.high);
    }
  }
}

/** Index of a categorical value, -1 when it is not a choice. */
export function choiceIndex(param: CategoricalParam, value: Scalar): number {
  return param.choices.indexOf(value);
}

/** The k-th grid point (k from 0 to points - 1) of an int or stepped float parameter. */
export function gridValue(param: NumericParam, k: number): number {
  const raw = param.low + k * param.step!;
  if (param.type === 'int') return raw;
  // low + k * step picks up binary noise (0.1 + 2 * 0.1 = 0.30000000000000004): round to the inputs' decimals.
  const decimals = Math.max(decimalPlaces(param.low), decimalPlaces(param.step!));
  const clean = decimals <= 15 ? Number(raw.toFixed(decimals)) : raw;
  return Math.min(clean, param.high);
}

/** k when the value is (within rounding) the k-th grid point, else null. */
export function gridIndex(param: NumericParam, value: number): number | null {
  if (param.step === null || param.points === null) return null;
  const k = Math.round((value - param.low) / param.step);
  if (k < 0 || k >= param.points) return null;
  const tolerance = param.type === 'int' ? 0 : 1e-9 * Math.max(1, Math.abs(param.step), Math.abs(value));
  return Math.abs(gridValue(param, k) - value) <= tolerance ? k : null;
}

/** Natural-log bounds; an int range is widened by 0.5 at each end so the end values keep their share. */
function logBounds(param: NumericParam): [number, number] {
  return param.type === 'int' ? [Math.log(param.low - 0.5), Math.log(param.high + 0.5)] : [Math.log(param.low), Math.log(param.high)];
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

function decimalPlaces(x: number): number {
  const match = /^-?\d*(?:\.(\d+))?(?:e([+-]\d+))?$/i.exec(String(x));
  if (!match) return 20;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

// ---- building and enumerating configurations -----------------------------------------------------

/**
 * Builds a complete configuration in `space.params` order: values in `fixed` are kept, fixed
 * parameters take their value, every other active parameter comes from `draw`. A value in `fixed`
 * for a parameter the configuration leaves inactive is dropped. Samplers use this so conditions are
 * always honored the same way.
 */
export function buildParams(space: Space, fixed: Params, draw: (param: Param, partial: Params) => Scalar): Params {
  const params: Params = {};
  for (const param of space.params) {
    if (!isActive(param, params)) continue;
    const given = fixed[param.name];
    params[param.name] = given !== undefined ? given : param.type === 'fixed' ? param.value : draw(param, params);
  }
  return params;
}

export type Enumeration =
  | { kind: 'all'; configurations: Params[] }
  /** A continuous parameter can be active: the space is infinite. */
  | { kind: 'infinite'; param: string }
  | { kind: 'too-many'; limit: number };

/** Every configuration that keeps the `fixed` values, when the space is finite and has at most `limit`. */
export function enumerateParams(space: Space, fixed: Params, limit: number): Enumeration {
  const configurations: Params[] = [];
  const current: Params = {};
  let stop: Exclude<Enumeration, { kind: 'all' }> | null = null;
  const visit = (index: number): void => {
    if (stop) return;
    const param = space.params[index];
    if (param === undefined) {
      if (configurations.length >= limit) stop = { kind: 'too-many', limit };
      else configurations.push({ ...current });
      return;
    }
    if (!isActive(param, current)) return visit(index + 1);
    const given = fixed[param.name];
    const count = given !== undefined || param.type === 'fixed' ? 1 : param.type === 'categorical' ? param.choices.length : param.points;
    if (count === null) {
      stop = { kind: 'infinite', param: param.name };
      return;
    }
    for (let k = 0; k < count && !stop; k++) {
      current[param.name] =
        given !== undefined
          ? given
          : param.type === 'fixed'
            ? param.value
            : param.type === 'categorical'
              ? param.choices[k]!
              : gridValue(param, k);
      visit(index + 1);
    }
    delete current[param.name];
  };
  visit(0);
  return stop ?? { kind: 'all', configurations };
}
