// Hostile and malformed specs (tests/fixtures/bad-specs/, one file per mistake) must each be refused
// with a clear message: `file:line:col: field: what is wrong`, no stack trace, nothing written. Each
// file's first line says which message fragment it must produce (`# expect: ...`), so a case cannot
// pass by failing for an unrelated reason.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_NAMES } from '../../catalog';
import { loadSpecFile, MAX_SPEC_BYTES, parseSpec, SpecError } from '../../spec';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const folder = join(root, 'tests', 'fixtures', 'bad-specs');
const dir = tempDir('bad-specs');

/** Files that cannot hold a `# expect:` comment (no text, or text that is not UTF-8). */
const EXPECT_WITHOUT_HEADER: Record<string, string> = {
  'empty-file.yaml': 'the file is empty',
  'utf16-with-bom.yaml': 'the file is UTF-16 text; save it as UTF-8',
};
/** Mistakes of the whole file (syntax, encoding, shape, a missing top-level field named in the message): no field path. */
const FILE_LEVEL = /^(yaml-(?!duplicate-param|binary-tag)|top-level-|empty-file|only-comments|non-utf8|nul-bytes|utf16|missing-name|missing-model)/;

const cases = readdirSync(folder)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => {
    const bytes = readFileSync(join(folder, name));
    const header = /^# expect: (.+)\n/.exec(bytes.subarray(0, 300).toString('latin1'))?.[1];
    return { name, expected: header ?? EXPECT_WITHOUT_HEADER[name] };
  });

/** Names and sizes of every file under `path`: what a load must leave unchanged. */
function snapshot(path: string): string[] {
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((entry) => `${entry}:${statSync(join(path, entry)).size}`)
    .sort();
}

async function rejection(path: string): Promise<SpecError> {
  const outcome = await loadSpecFile(path, { knownNames: KNOWN_NAMES }).then(
    () => new Error(`${path} was accepted`),
    (err: unknown) => err,
  );
  if (!(outcome instanceof SpecError)) throw outcome;
  return outcome;
}

const cli = (args: string[], cwd: string) => runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd });

describe('the bad-spec corpus', () => {
  it('holds at least 50 cases, each with the message it must produce', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(cases.filter((c) => c.expected === undefined).map((c) => c.name)).toEqual([]);
  });

  it.each(cases)('$name is refused with its message, a place and a field, and no stack', async ({ name, expected }) => {
    const caseDir = join(dir, name.replace(/\.yaml$/, ''));
    mkdirSync(caseDir);
    const path = join(caseDir, name);
    copyFileSync(join(folder, name), path);
    const before = snapshot(caseDir);

    const err = await rejection(path);
    expect(err.message).toContain(expected);
    expect(err.message).not.toMatch(/^\s+at /m);
    for (const line of err.message.split('\n')) expect(line.startsWith(`${path}:`), line).toBe(true);
    const first = err.problems.find((p) => p.message.includes(expected as string)) ?? err.problems[0]!;
    expect(first.line).toBeGreaterThan(0);
    expect(err.message).toContain(`${path}:${first.line}:${first.column}: `);
    if (!FILE_LEVEL.test(name)) expect(first.path, `${name} should name a field`).not.toBe('');
    expect(snapshot(caseDir)).toEqual(before);
  });

  it('leaves the committed fixtures untouched', async () => {
    const before = snapshot(folder);
    for (const { name } of cases.slice(0, 10)) await rejection(join(folder, name));
    expect(snapshot(folder)).toEqual(before);
  });
});

describe('size and shared rules', () => {
  it('refuses a 50 MB spec quickly, by its size, without parsing it', async () => {
    const path = join(dir, 'huge.yaml');
    const line = 'description: ' + 'x'.repeat(1000) + '\n';
    writeFileSync(path, line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
    const started = performance.now();
    const err = await rejection(path);
    const ms = performance.now() - started;
    expect(err.message).toMatch(new RegExp(`${path}:1:1: spec file is 50 MB; the limit is ${MAX_SPEC_BYTES / 1024 / 1024} MB`));
    expect(ms).toBeLessThan(500);
    // The same limit holds for text handed over directly (the workflow's inline spec).
    expect(() => parseSpec('#'.repeat(MAX_SPEC_BYTES + 1), 'inline.yaml')).toThrow(/spec file is 1\.0 MB; the limit is 1 MB/);
  });

  it('refuses integers written beyond 2^53, but not big floats written as such', async () => {
    const err = await rejection(join(folder, 'huge-integer-trials.yaml'));
    expect(err.problems.map((p) => p.path)).toEqual(['budget.maxTrials']);
    // diverge.yaml enqueues learningRate 1e30 on purpose: a float literal, exact as a float.
    await expect(loadSpecFile(join(root, 'tests', 'fixtures', 'specs', 'diverge.yaml'), { knownNames: KNOWN_NAMES })).resolves.toBeDefined();
  });

  it('uses the search package rule for steps: float noise in high - low is one step, not an error', () => {
    const text = 'name: t\ndataset: synthetic-shapes\nmodel: mlp\nsearch:\n  space:\n    dropout: {type: float, low: -0.2, high: 0.05, step: 0.25}\n';
    // 0.05 - -0.2 = 0.24999999999999997 < 0.25: a strict comparison would refuse what the sampler accepts.
    expect(parseSpec(text, 'noise.yaml').search.space.dropout).toMatchObject({ step: 0.25 });
    expect(() => parseSpec(text.replace('step: 0.25', 'step: 0.2501'), 'x.yaml')).toThrow(/x\.yaml:6:\d+: search\.space\.dropout\.step: must be <= high - low/);
  });
});

describe('tuneflow validate on bad specs (the built CLI)', () => {
  const sample = ['yaml-billion-laughs.yaml', 'low-above-high.yaml', 'custom-data-escapes-project.yaml', 'non-utf8-bytes.yaml', 'unknown-key-in-param.yaml'];

  it.each(sample)('%s: exit code 2, file:line:col and field on stderr, no stack', async (name) => {
    const expected = cases.find((c) => c.name === name)!.expected!;
    const caseDir = join(dir, `cli-${name}`);
    mkdirSync(caseDir);
    copyFileSync(join(folder, name), join(caseDir, name));
    const { code, stdout, stderr } = await cli(['validate', name], caseDir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(expected);
    expect(stderr).toMatch(new RegExp(`^${name.replace('.', '\\.')}:\\d+:\\d+: `));
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(readdirSync(caseDir)).toEqual([name]);
  });

  it('refuses the 50 MB file by its size within a second of work', async () => {
    const caseDir = join(dir, 'cli-huge');
    mkdirSync(caseDir);
    writeFileSync(join(caseDir, 'huge.yaml'), Buffer.alloc(50 * 1024 * 1024, 'a'));
    const { code, stderr } = await cli(['validate', 'huge.yaml'], caseDir);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('huge.yaml:1:1: spec file is 50 MB; the limit is 1 MB');
  });
});
