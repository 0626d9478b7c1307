// The schema file itself: valid under ajv strict mode, closed everywhere, documented, in step with the defaults.
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, test } from 'vitest';
import { experimentSchema, SPEC_DEFAULTS } from '../../spec';

type SchemaNode = Record<string, unknown>;

/**
 * Every subschema that describes data, with a JSON-pointer-like location for failure messages.
 * `if` schemas are left out: they are tests that pick a branch, not descriptions of what may be written.
 */
function subschemas(node: unknown, at = '#'): Array<[string, SchemaNode]> {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [];
  const found: Array<[string, SchemaNode]> = [[at, node as SchemaNode]];
  for (const [key, value] of Object.entries(node)) {
    if (['properties', '$defs'].includes(key)) {
      for (const [name, child] of Object.entries(value as SchemaNode)) found.push(...subschemas(child, `${at}/${key}/${name}`));
    } else if (['allOf', 'anyOf', 'oneOf'].includes(key)) {
      (value as unknown[]).forEach((child, index) => found.push(...subschemas(child, `${at}/${key}/${index}`)));
    } else if (['items', 'additionalProperties', 'propertyNames', 'then', 'else'].includes(key)) {
      found.push(...subschemas(value, `${at}/${key}`));
    }
  }
  return found;
}

describe('schemas/experiment.schema.json', () => {
  test('compiles under ajv strict mode (2020-12)', () => {
    expect(() => new Ajv2020({ strict: true, allErrors: true }).compile(experimentSchema)).not.toThrow();
    expect(experimentSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  test('every mapping with named fields is closed: unknown keys are errors', () => {
    const open = subschemas(experimentSchema)
      .filter(([, node]) => node.properties !== undefined && node.additionalProperties !== false)
      .map(([at]) => at);
    expect(open).toEqual([]);
  });

  test('every named field has a description, for editor completion', () => {
    const undocumented: string[] = [];
    const defs = experimentSchema.$defs as Record<string, SchemaNode>;
    for (const [at, node] of subschemas(experimentSchema)) {
      for (const [name, field] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) {
        const ref = typeof field.$ref === 'string' ? defs[field.$ref.replace('#/$defs/', '')] : undefined;
        if (field.description === undefined && ref?.description === undefined) undocumented.push(`${at}/properties/${name}`);
      }
    }
    expect(undocumented).toEqual([]);
  });

  test('the defaults shown to editors are the ones spec/defaults.ts applies', () => {
    const props = experimentSchema.properties;
    const defs = experimentSchema.$defs;
    expect(props.seed.default).toBe(SPEC_DEFAULTS.seed);
    expect(props.description.default).toBe(SPEC_DEFAULTS.description);
    expect(defs.search.properties.sampler.default).toBe(SPEC_DEFAULTS.sampler.type);
    expect(defs.search.properties.scheduler.default).toBe(SPEC_DEFAULTS.scheduler.type);
    expect(defs.budget.properties.maxTrials.default).toBe(SPEC_DEFAULTS.budget.maxTrials);
    for (const [field, value] of Object.entries(SPEC_DEFAULTS.training)) {
      expect((defs.training.properties as Record<string, { default?: unknown }>)[field]?.default, field).toBe(value);
    }
    expect(defs.retrain.properties.seeds.default).toBe(SPEC_DEFAULTS.retrain.seeds);
    expect(defs.resources.properties.taskQueue.default).toBe(SPEC_DEFAULTS.resources.taskQueue);
  });
});
