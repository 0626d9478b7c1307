// The ask/tell example in README.md must keep working: it is extracted from the README, type-checked
// against the sources under the project's strict settings, run against the sources, and run with Node
// against the built package (`tuneflow/search` resolved through package.json's exports).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as search from '../../search';
import { runNode } from '../helpers/run-node';

const ROOT = join(__dirname, '..', '..');
const HEADING = '## Search algorithms as a library (ask/tell)';
const IMPORT = "import { createStudy } from 'tuneflow/search';";

function example(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(HEADING);
  if (at < 0) throw new Error(`README.md has no "${HEADING}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md's "${HEADING}" section has no \`\`\`ts block`);
  return block[1]!;
}

const toCommonJs = (code: string) => ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;

/** The printed line: `{ lr: ..., layers: ... } [ value ] 40`. */
function checkOutput(printed: unknown[]): void {
  const [params, values, restored] = printed as [Record<string, number>, number[], number];
  expect(Object.keys(params).sort()).toEqual(['layers', 'lr']);
  expect(Number.isInteger(params.layers)).toBe(true);
  expect(params.lr).toBeGreaterThanOrEqual(1e-4);
  expect(params.lr).toBeLessThanOrEqual(1);
  // TPE with 40 trials gets near the optimum (0 at lr = 1e-2, layers = 3); random would rarely be this close.
  expect(values[0]).toBeLessThan(0.5);
  expect(restored).toBe(40);
}

describe('README ask/tell example', () => {
  it('is about ten lines, imports tuneflow/search and uses ask, tell, bestTrial and toJSON', () => {
    const code = example();
    expect(code.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(12);
    expect(code.startsWith(IMPORT)).toBe(true);
    for (const word of ['ask()', 'tell(', 'bestTrial', 'toJSON()']) expect(code).toContain(word);
  });

  it('type-checks against the sources with the strict compiler options', () => {
    const file = join(ROOT, 'tests', 'search', '__readme_example__.ts');
    const source = example().replace(IMPORT, `import { createStudy } from '${join(ROOT, 'search', 'index').replace(/\\/g, '/')}';`);
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => (name === file ? source : readFile(name));
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], { ...options, noEmit: true }, host);
    const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);

  it('runs against the sources and finds a good configuration', () => {
    const printed: unknown[][] = [];
    const module = { exports: {} };
    const require = (name: string) => {
      if (name !== 'tuneflow/search') throw new Error(`the README example requires ${name}`);
      return search;
    };
    const run = new Function('require', 'module', 'exports', 'console', toCommonJs(example())) as (...args: unknown[]) => void;
    run(require, module, module.exports, { log: (...args: unknown[]) => printed.push(args) });
    expect(printed).toHaveLength(1);
    checkOutput(printed[0]!);
  });

  it.runIf(existsSync(join(ROOT, 'dist', 'search', 'index.js')))('runs with Node against the built package (after npm run build)', async () => {
    // Print as JSON so the output can be checked the same way.
    const script = toCommonJs(example()).replace(/console\.log\(/, 'console.log(JSON.stringify([').replace(/\);\s*$/, ']));\n');
    const { code: status, stdout, stderr } = await runNode(['-e', script], { cwd: ROOT });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    checkOutput(JSON.parse(stdout) as unknown[]);
  });
});
