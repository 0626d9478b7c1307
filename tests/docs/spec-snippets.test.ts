// Every YAML spec snippet in the docs must be accepted by the spec loader: a snippet's keys are laid
// over a small valid spec and the result parsed, so a documented field the schema rejects (as
// `fallbackAfterSeconds:` once was) fails here. Blocks whose top-level keys are not spec fields
// (other YAML files) are skipped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseExperiment } from '../../catalog';
import experimentSchema from '../../schemas/experiment.schema.json';

const root = join(__dirname, '..', '..');
const specKeys = new Set(Object.keys(experimentSchema.properties));
// Small and valid for every model family: its one parameter is a training setting all of them read.
const base = parse(`
name: docs
dataset: {name: synthetic-shapes, options: {trainSize: 200, testSize: 50, imageSize: 8}}
model: mlp
search:
  space: {learningRate: {type: float, low: 1.0e-3, high: 1.0e-1, log: true}}
objective: {metric: val_loss, direction: minimize}
budget: {maxTrials: 2}
training: {epochs: 1}
`) as Record<string, unknown>;

function snippets(): [string, string][] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return files.flatMap((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m, i) => alternatives(m[1]!).map((alt, k): [string, string] => [`${file} #${i + 1}${k ? `.${k + 1}` : ''}`, alt]));
  });
}

/** A block that lists alternatives repeats a top-level key (`objective: ...` twice): each is checked alone. */
function alternatives(block: string): string[] {
  const out: string[][] = [[]];
  let seen = new Set<string>();
  for (const line of block.split('\n')) {
    const key = /^([A-Za-z]\w*):/.exec(line)?.[1];
    if (key && seen.has(key)) {
      out.push([]);
      seen = new Set();
    }
    if (key) seen.add(key);
    out.at(-1)!.push(line);
  }
  return out.map((lines) => lines.join('\n'));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The base spec with the snippet's sections laid over it; a section the snippet gives replaces the base's keys it names. */
function overlay(snippet: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(snippet)) {
    out[key] = isObject(value) && isObject(base[key]) ? { ...(base[key] as object), ...value } : value;
  }
  return out;
}

const specSnippets = snippets().filter(([, text]) => {
  const doc = parse(text) as unknown;
  return isObject(doc) && Object.keys(doc).length > 0 && Object.keys(doc).every((k) => specKeys.has(k));
});

describe('spec snippets in the docs', () => {
  it('finds snippets to check', () => {
    expect(specSnippets.length).toBeGreaterThan(3);
  });

  it.each(specSnippets)('%s is accepted by the spec loader', (where, text) => {
    const spec = stringify(overlay(parse(text) as Record<string, unknown>));
    expect(() => parseExperiment(spec, where)).not.toThrow();
  });
});
