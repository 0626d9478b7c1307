// Problems before the schema: YAML syntax, the shape of the document, hostile input, unreadable files.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSpecFile, MAX_SPEC_BYTES, SpecError } from '../../spec';
import { HEADER, problemLines } from './helpers';

describe('YAML syntax errors use the same file:line:column format', () => {
  test('duplicate keys name the map they are in', () => {
    expect(problemLines(`${HEADER}budget:\n  maxTrials: 4\n  maxTrials: 8\n`)).toEqual([
      'x.yaml:6:3: budget: duplicate key "maxTrials" (keys in a mapping must be unique)',
    ]);
    expect(problemLines(`${HEADER}seed: 1\nseed: 2\n`)).toEqual(['x.yaml:5:1: duplicate key "seed" (keys in a mapping must be unique)']);
  });

  test('bad indentation', () => {
    expect(problemLines('name: t\nbudget:\n  maxTrials: 4\n maxConcurrentTrials: 2\n')).toEqual([
      'x.yaml:4:1: YAML syntax error: all mapping items must start at the same column',
    ]);
  });

  test('unclosed quote', () => {
    expect(problemLines('name: "t\ndataset: d\n')).toEqual(['x.yaml:3:1: YAML syntax error: missing closing "quote']);
  });

  test('tabs', () => {
    expect(problemLines('name: t\nbudget:\n\tmaxTrials: 4\n')).toEqual([
      'x.yaml:3:1: YAML syntax error: tabs are not allowed for indentation (indent with spaces)',
    ]);
  });

  test('several documents in one file', () => {
    expect(problemLines(`${HEADER}---\n${HEADER}`)).toEqual([
      'x.yaml:4:1: YAML syntax error: the file holds several documents (a second "---"); a spec is one document',
    ]);
  });

  test('unknown tags are not silently turned into strings', () => {
    expect(problemLines(`${HEADER}seed: !int 3\n`)).toEqual(['x.yaml:4:7: YAML problem: unresolved tag: !int']);
  });
});

describe('the document must be one mapping', () => {
  test('an empty file', () => {
    expect(problemLines('')).toEqual(['x.yaml:1:1: the top level must be a mapping of fields such as name, dataset, model (the file is empty)']);
    expect(problemLines('# only a comment\n')).toEqual([
      'x.yaml:1:1: the top level must be a mapping of fields such as name, dataset, model (the file is empty)',
    ]);
  });

  test('a list or a scalar at the top', () => {
    expect(problemLines('- name: t\n')).toEqual(['x.yaml:1:1: the top level must be a mapping of fields such as name, dataset, model (got a list)']);
    expect(problemLines('\n"just text"\n')).toEqual([
      'x.yaml:2:1: the top level must be a mapping of fields such as name, dataset, model (got "just text")',
    ]);
  });
});

describe('hostile input', () => {
  test('alias bombs are refused with a clear message', () => {
    const bomb = [
      'name: t',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    expect(problemLines(bomb)).toEqual([
      'x.yaml:3:8: YAML aliases expand too much (more than 100 expansions): the file looks like an alias bomb',
    ]);
  });

  test('an alias without an anchor', () => {
    expect(problemLines(`${HEADER}seed: *base\n`)).toEqual(['x.yaml:4:7: YAML alias *base has no anchor &base before it']);
  });

  test('a few anchors and merge keys are fine, and errors inside them point at the source', () => {
    const text = [
      HEADER + 'search:',
      '  space:',
      '    lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}',
      '    optimizer: {type: categorical, choices: [adam, sgd]}',
      '  enqueue:',
      '    - &good {lr: 0.001, optimizer: adam}',
      '    - {<<: *good, optimizer: sgd}',
      '    - {<<: *good, lr: 2}',
      '',
    ].join('\n');
    expect(problemLines(text)).toEqual(['x.yaml:11:23: search.enqueue[2].lr: "lr" takes a number in [0.0001, 0.1] (got 2)']);
  });

  test('text over the size limit is refused before parsing', () => {
    const text = `${HEADER}description: "${'x'.repeat(1.5 * MAX_SPEC_BYTES)}"\n`;
    expect(problemLines(text)).toEqual(['x.yaml:1:1: spec file is 1.5 MB; the limit is 1 MB']);
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOfFile = async (path: string): Promise<string> => {
    const err = await loadSpecFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpecError);
    return (err as SpecError).message;
  };

  test('a huge file is refused without reading it', async () => {
    const path = join(dir, 'huge.yaml');
    writeFileSync(path, '');
    truncateSync(path, 52 * 1024 * 1024); // sparse: costs no disk
    expect(await problemsOfFile(path)).toBe(`${path}:1:1: spec file is 52 MB; the limit is 1 MB`);
  });

  test('a missing file or a directory', async () => {
    expect(await problemsOfFile(join(dir, 'nope.yaml'))).toBe(`${join(dir, 'nope.yaml')}: cannot read the spec file (no such file)`);
    expect(await problemsOfFile(dir)).toBe(`${dir}: cannot read the spec file (it is a directory)`);
  });

  test('problems name the file as it was given', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, `${HEADER}seed: -3\n`);
    expect(await problemsOfFile(path)).toBe(`${path}:4:7: seed: must be >= 0 (got -3)`);
    const err = (await loadSpecFile(path).catch((e: unknown) => e)) as SpecError;
    expect(err.problems).toEqual([{ file: path, line: 4, column: 7, path: 'seed', message: 'must be >= 0 (got -3)' }]);
    expect(err.name).toBe('SpecError');
  });
});
