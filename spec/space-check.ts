// Checks a search space beyond its shape (which the schema already checked): ranges, `when` conditions
// and enqueued configurations. Pure: no I/O. Paths are relative to the spec's `search` section.
import type { Params, ParamSpec, Scalar, SearchSpace } from '../search/space-types';
import { describeValue, joinAlternatives } from './describe';
import type { FieldIssue } from './errors';

type Definition = Exclude<ParamSpec, Scalar>;

export function checkSpace(space: SearchSpace, enqueue: readonly Params[] = []): FieldIssue[] {
  const definitions = new Map(Object.entries(space).map(([name, param]) => [name, asDefinition(param)]));
  const issues: FieldIssue[] = [];
  // Values are checked against a parameter only when its own range is sound, so one mistake is one message.
  const unsound = new Set<string>();
  for (const [name, definition] of definitions) {
    const rangeIssues = checkRange(name, definition);
    if (rangeIssues.length > 0) unsound.add(name);
    issues.push(...rangeIssues);
  }
  const checked: CheckedSpace = { definitions, unsound };
  for (const [name, definition] of definitions) issues.push(...checkCondition(name, definition, checked));
  issues.push(...checkConditionCycles(definitions));
  enqueue.forEach((params, index) => issues.push(...checkEnqueued(params, index, checked)));
  return issues;
}

interface CheckedSpace {
  definitions: Map<string, Definition>;
  unsound: Set<string>;
}

function asDefinition(param: ParamSpec): Definition {
  return typeof param === 'object' ? param : { type: 'fixed', value: param };
}

function checkRange(name: string, definition: Definition): FieldIssue[] {
  if (definition.type !== 'float' && definition.type !== 'int') return [];
  const at = (field: string): (string | number)[] => ['space', name, field];
  const { low, high, log, step } = definition;
  const issues: FieldIssue[] = [];
  if (!(low < high)) issues.push({ path: at('low'), message: `must be < high (low=${low}, high=${high})` });
  if (log === true && !(low > 0)) issues.push({ path: at('low'), message: `must be > 0 when log is true (low=${low})` });
  if (step !== undefined) {
    if (log === true && !(definition.type === 'int' && step === 1)) {
      const why = definition.type === 'int' ? 'an int parameter with log: true has step 1' : 'a float parameter cannot have both';
      issues.push({ path: at('step'), message: `cannot be combined with log: true (${why})` });
    } else if (low < high && step > high - low) {
      issues.push({ path: at('step'), message: `must be <= high - low (step=${step}, high - low=${high - low})` });
    }
  }
  return issues;
}

function checkCondition(name: string, definition: Definition, { definitions, unsound }: CheckedSpace): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [parentName, expected] of Object.entries(definition.when ?? {})) {
    const path = ['space', name, 'when', parentName];
    const parent = definitions.get(parentName);
    if (parentName === name) {
      issues.push({ path, target: 'key', message: 'a parameter cannot depend on itself' });
    } else if (parent === undefined) {
      issues.push({ path, target: 'key', message: unknownParameter(parentName, definitions) });
    } else if (unsound.has(parentName)) {
      continue;
    } else if (Array.isArray(expected)) {
      expected.forEach((value, index) => {
        const problem = impossibleValue(parentName, parent, value);
        if (problem !== undefined) issues.push({ path: [...path, index], message: problem });
      });
    } else {
      const problem = impossibleValue(parentName, parent, expected);
      if (problem !== undefined) issues.push({ path, message: problem });
    }
  }
  return issues;
}

/** `a` depends on `b` (through `when`) which depends on `a`: no configuration could ever activate them. */
function checkConditionCycles(definitions: Map<string, Definition>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const finished = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (finished.has(name)) return;
    const start = trail.indexOf(name);
    if (start >= 0) {
      const cycle = [...trail.slice(start), name];
      const [from, to] = [cycle[cycle.length - 2] as string, name];
      issues.push({ path: ['space', from, 'when', to], target: 'key', message: `conditions form a cycle: ${cycle.join(' -> ')}` });
      return;
    }
    for (const parent of Object.keys(definitions.get(name)?.when ?? {})) {
      if (parent !== name && definitions.has(parent)) visit(parent, [...trail, name]);
    }
    finished.add(name);
  };
  for (const name of definitions.keys()) visit(name, []);
  return issues;
}

function checkEnqueued(params: Params, index: number, { definitions, unsound }: CheckedSpace): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    const path = ['enqueue', index, name];
    const definition = definitions.get(name);
    if (definition === undefined) {
      issues.push({ path, target: 'key', message: unknownParameter(name, definitions) });
      continue;
    }
    if (unsound.has(name)) continue;
    const problem = impossibleValue(name, definition, value) ?? inactiveIn(params, definition);
    if (problem !== undefined) issues.push({ path, message: problem });
  }
  return issues;
}

/** Why `value` can never be taken by the parameter, or undefined when it can. */
function impossibleValue(name: string, definition: Definition, value: Scalar): string | undefined {
  switch (definition.type) {
    case 'categorical':
      return definition.choices.includes(value)
        ? undefined
        : `${describeValue(value)} is not a choice of "${name}" (choices: ${definition.choices.map(describeValue).join(', ')})`;
    case 'fixed':
      return value === definition.value ? undefined : `"${name}" is fixed at ${describeValue(definition.value)} (got ${describeValue(value)})`;
    case 'float':
    case 'int': {
      const kind = definition.type === 'int' ? 'an integer' : 'a number';
      const inRange = typeof value === 'number' && value >= definition.low && value <= definition.high;
      const rightKind = definition.type === 'float' || Number.isInteger(value);
      return inRange && rightKind
        ? undefined
        : `"${name}" takes ${kind} in [${definition.low}, ${definition.high}] (got ${describeValue(value)})`;
    }
  }
}

/** A conditional parameter given in a configuration whose other values switch it off. */
function inactiveIn(params: Params, definition: Definition): string | undefined {
  for (const [parentName, expected] of Object.entries(definition.when ?? {})) {
    const actual = params[parentName];
    const allowed = [expected].flat();
    if (actual !== undefined && !allowed.includes(actual)) {
      const wanted = joinAlternatives(allowed.map(describeValue));
      return `is inactive in this configuration: it applies when ${parentName} is ${wanted} (here ${parentName} is ${describeValue(actual)})`;
    }
  }
  return undefined;
}

function unknownParameter(name: string, definitions: Map<string, Definition>): string {
  const known = [...definitions.keys()];
  return `unknown parameter "${name}" (the space has: ${known.length > 0 ? known.join(', ') : 'no parameters'})`;
}
