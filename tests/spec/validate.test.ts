// `tuneflow validate <spec>`: one OK line, or the problem lines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { validateSpecCommand } from '../../spec';

const dir = mkdtempSync(join(tmpdir(), 'tuneflow-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a valid spec prints a one-line summary', async () => {
  expect(await validateSpecCommand('experiments/quickstart.yaml')).toEqual({
    ok: true,
    output: 'experiments/quickstart.yaml: OK (quickstart, 6 parameters, sampler random, scheduler median)',
  });
});

test('an invalid spec prints every problem, one per line', async () => {
  const path = join(dir, 'broken.yaml');
  writeFileSync(path, 'name: broken\ndataset: d\nmodel: m\nbudget: {maxTrials: 2}\nretrain: {topK: 5}\nseed: x\n');
  expect(await validateSpecCommand(path)).toEqual({
    ok: false,
    output: `${path}:6:7: seed: must be integer (got "x")`,
  });
  writeFileSync(path, 'name: broken\ndataset: d\nmodel: m\nbudget: {maxTrials: 2, maxConcurrentTrials: 3}\nretrain: {topK: 5}\n');
  expect(await validateSpecCommand(path)).toEqual({
    ok: false,
    output: [
      `${path}:4:45: budget.maxConcurrentTrials: must be <= budget.maxTrials (maxConcurrentTrials=3, maxTrials=2)`,
      `${path}:5:17: retrain.topK: must be <= budget.maxTrials (topK=5, maxTrials=2)`,
    ].join('\n'),
  });
});

test('a missing file is an error, not a crash', async () => {
  expect(await validateSpecCommand(join(dir, 'missing.yaml'))).toEqual({
    ok: false,
    output: `${join(dir, 'missing.yaml')}: cannot read the spec file (no such file)`,
  });
});
