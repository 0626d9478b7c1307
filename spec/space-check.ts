// Checks a search space beyond its shape (which the schema already checked): ranges, `when` conditions
// and enqueued configurations. Pure: no I/O. Paths are relative to the spec's `search` section.
import { SpaceError } from '../search/errors';
import { parseSpace, valueProblem, type Param } from '../search/space';
import type { Params, ParamSpec, Scalar, SearchSpace } from '../search/space-types';
import { describeValue, joinAlternatives } from './describe';
import type { FieldIssue } from './errors';

type Definition = Exclude<ParamSpec, Scalar>;

export function checkSpace(space: SearchSpace, enqueue: readonly Params[] = []): FieldIssue[] {
  const definitions = new Map(Object.entries(space).map(([name, param]) => [name, asDefinition(param)]));
  const issues: FieldIssue[] = [];
  // Values are checked against a parameter only when it is sound itself, so one mistake is one message.
  const parsed = new Map<string, Param>();
  for (const [name, definition] of definitions) {
    const param = parseAlone(name, definition);
    if ('path' in param) issues.push(param);
    else parsed.set(name, param);
  }
  const checked: CheckedSpace = { definitions, parsed };
  for (const [name, definition] of definitions) issues.push(...checkCondition(name, definition, checked));
  issues.push(...checkConditionCycles(definitions));
  enqueue.forEach((params, index) => issues.push(...checkEnqueued(params, index, checked)));
  return issues;
}

interface CheckedSpace {
  definitions: Map<string, Definition>;
  /** The parameters that parsed; the others already have an issue. */
  parsed: Map<string, Param>;
}

function asDefinition(param: ParamSpec): Definition {
  return typeof param === 'object' ? param : { type: 'fixed', value: param };
}

/**
 * The parameter on its own (conditions aside), parsed by the search package so the spec and the
 * sampler share one rule for ranges, logs and steps; a SpaceError becomes an issue at its field.
 */
function parseAlone(name: string, definition: Definition): Param | FieldIssue {
  const { when: _when, ...alone } = definition;
  try {
    return parseSpace({ [name]: alone as ParamSpec }).params[0] as Param;
  } catch (err) {
    if (!(err instanceof SpaceError)) throw err;
    const field = err.field[0];
    const problem = err.message.replace(/^parameter "[^"]*": /, '');
    const message = typeof field === 'string' && problem.startsWith(`${field} `) ? problem.slice(field.length + 1) : problem;
    return { path: ['space', name, ...err.field], message };
  }
}

function checkCondition(name: string, definition: Definition, { definitions, parsed }: CheckedSpace): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [parentName, expected] of Object.entries(definition.when ?? {})) {
    const path = ['space', name, 'when', parentName];
    const parent = definitions.get(parentName);
    if (parentName === name) {
      issues.push({ path, target: 'key', message: 'a parameter cannot depend on itself' });
    } else if (parent === undefined) {
      issues.push({ path, target: 'key', message: unknownParameter(parentName, definitions) });
    } else if (!parsed.has(parentName)) {
      continue;
    } else if (Array.isArray(expected)) {
      expected.forEach((value, index) => {
        const problem = valueProblem(parsed.get(parentName)!, value);
        if (problem !== null) issues.push({ path: [...path, index], message: problem });
      });
    } else {
      const problem = valueProblem(parsed.get(parentName)!, expected);
      if (problem !== null) issues.push({ path, message: problem });
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

function checkEnqueued(params: Params, index: number, { definitions, parsed }: CheckedSpace): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [name, value] of Object.entries(params)) {
    const path = ['enqueue', index, name];
    const definition = definitions.get(name);
    if (definition === undefined) {
      issues.push({ path, target: 'key', message: unknownParameter(name, definitions) });
      continue;
    }
    const param = parsed.get(name);
    if (param === undefined) continue;
    const problem = valueProblem(param, value) ?? inactiveIn(params, definition);
    if (problem !== undefined) issues.push({ path, message: problem });
  }
  return issues;
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
