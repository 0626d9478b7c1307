// Validates parsed YAML against schemas/experiment.schema.json and turns ajv's errors into plain English,
// one per real problem: branch noise from `if`/`anyOf` is folded away and alternatives are merged.
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import experimentSchema from '../schemas/experiment.schema.json';
import { closestMatch, describeValue, joinAlternatives } from './describe';
import type { FieldIssue } from './errors';
import type { SpecInput } from './normalize';
import { pathFromPointer } from './yaml-locate';

export { experimentSchema };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // verbose: errors carry their schema and data, which the translation below needs.
  compiled ??= new Ajv2020({ strict: true, allErrors: true, verbose: true }).compile(experimentSchema);
  return compiled;
}

export function validateAgainstSchema(data: unknown): { valid: true; input: SpecInput } | { valid: false; issues: FieldIssue[] } {
  const validate = validator();
  if (validate(data)) return { valid: true, input: data as SpecInput };
  return { valid: false, issues: translateErrors(validate.errors ?? [], data) };
}

const TYPE_WORDS: Record<string, string> = { object: 'mapping', array: 'list' };
const typeWord = (type: string): string => TYPE_WORDS[type] ?? type;

/** Plain-English descriptions of the schema's patterns, read from the schema so they cannot drift apart. */
const PATTERN_PHRASES = new Map<string, string>([
  [
    experimentSchema.properties.name.pattern,
    'must start with a letter or digit, use only letters, digits, ".", "_" and "-", and have at most 100 characters',
  ],
  [experimentSchema.$defs.duration.then.pattern, 'must be a duration like 90s, 30m, 2h, 1d or 1h30m'],
  [
    experimentSchema.$defs.parameterName.pattern,
    'must start with a letter or "_", use only letters, digits, "_", "." and "-", and have at most 100 characters',
  ],
]);

export function translateErrors(errors: readonly ErrorObject[], data: unknown): FieldIssue[] {
  // Where an `if: {type: T}` chose the `else` branch, T was also acceptable: mention it in the type error.
  const alternativeTypes = new Map<string, string[]>();
  for (const error of errors) {
    const ifType = (error.parentSchema as { if?: { type?: string } } | undefined)?.if?.type;
    if (error.keyword === 'if' && error.params.failingKeyword === 'else' && ifType !== undefined) {
      alternativeTypes.set(error.instancePath, [...(alternativeTypes.get(error.instancePath) ?? []), ifType]);
    }
  }

  const skipped = new Set<ErrorObject>();
  const mergedTypes = new Map<ErrorObject, string[]>();
  for (const error of errors) {
    if (error.keyword === 'anyOf') {
      // Branches that only failed on type at the same place collapse into one "must be A, B or C".
      const branches = errors.filter(
        (other) =>
          other !== error &&
          other.schemaPath.startsWith(`${error.schemaPath}/`) &&
          (other.instancePath === error.instancePath || other.instancePath.startsWith(`${error.instancePath}/`)),
      );
      const onlyTypes = branches.every((other) => other.keyword === 'type' && other.instancePath === error.instancePath);
      skipped.add(error);
      if (onlyTypes && branches.length > 0) {
        branches.slice(1).forEach((other) => skipped.add(other));
        mergedTypes.set(branches[0] as ErrorObject, branches.map((other) => String(other.params.type)));
      }
    }
    if (error.keyword === 'propertyNames') {
      // The name's own pattern error is reported at the map; the propertyNames error says which key.
      for (const other of errors) {
        if (other !== error && other.instancePath === error.instancePath && other.data === error.params.propertyName) skipped.add(other);
      }
    }
  }

  const issues: FieldIssue[] = [];
  for (const error of errors) {
    if (error.keyword === 'if' || skipped.has(error)) continue;
    const path = pathFromPointer(error.instancePath, data);
    const types = mergedTypes.get(error) ?? (error.keyword === 'type' ? [String(error.params.type)] : []);
    issues.push(describeError(error, path, [...types, ...(alternativeTypes.get(error.instancePath) ?? [])]));
  }
  return mostSpecific(dedupe(issues));
}

function describeError(error: ErrorObject, path: (string | number)[], types: string[]): FieldIssue {
  const got = `(got ${describeValue(error.data)})`;
  const params = error.params as Record<string, unknown>;
  const parentProperties = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
  switch (error.keyword) {
    case 'type':
      return { path, message: `must be ${joinAlternatives(types.map(typeWord))} ${got}` };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const suggestion = closestMatch(key, parentProperties);
      const hint = suggestion === undefined ? '' : `; did you mean "${suggestion}"?`;
      return {
        path: [...path, key],
        target: 'key',
        message: `unknown key "${key}" (allowed: ${parentProperties.join(', ')})${hint}`,
      };
    }
    case 'required': {
      const field = String(params.missingProperty);
      const choices = (error.parentSchema as { properties?: Record<string, { enum?: unknown[] }> }).properties?.[field]?.enum;
      return { path, message: `missing required field "${field}"${choices ? ` (one of ${choices.join(', ')})` : ''}` };
    }
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')} ${got}` };
    case 'const':
      return { path, message: `must be ${describeValue(params.allowedValue)} ${got}` };
    case 'pattern':
      return { path, message: `${PATTERN_PHRASES.get(String(params.pattern)) ?? `must match the pattern ${String(params.pattern)}`} ${got}` };
    case 'propertyNames': {
      const name = String(params.propertyName);
      const phrase = PATTERN_PHRASES.get(experimentSchema.$defs.parameterName.pattern) as string;
      return { path: [...path, name], target: 'key', message: `invalid name "${name}": ${phrase}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${String(params.comparison)} ${String(params.limit)} ${got}` };
    case 'minItems':
    case 'minLength':
    case 'minProperties':
      return { path, message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} entries` };
    case 'uniqueItems': {
      const [later, earlier] = [Number(params.i), Number(params.j)];
      const repeated = (error.data as unknown[])[later];
      return { path: [...path, later], message: `repeats ${describeValue(repeated)} (same as item ${earlier})` };
    }
    default:
      return { path, message: error.message ?? `is invalid (${error.keyword})` };
  }
}

function issueKey(issue: FieldIssue): string {
  return JSON.stringify([issue.path, issue.target ?? 'value']);
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issueKey(issue)}${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * An unknown key inside a parameter is reported by the generic parameter schema and by its typed branch;
 * keep the branch's report, whose list of allowed keys is the shorter, exact one.
 */
function mostSpecific(issues: FieldIssue[]): FieldIssue[] {
  const unknownKeyReports = new Map<string, FieldIssue>();
  for (const issue of issues) {
    if (!issue.message.startsWith('unknown key')) continue;
    const current = unknownKeyReports.get(issueKey(issue));
    if (current === undefined || issue.message.length < current.message.length) unknownKeyReports.set(issueKey(issue), issue);
  }
  return issues.filter((issue) => !issue.message.startsWith('unknown key') || unknownKeyReports.get(issueKey(issue)) === issue);
}
