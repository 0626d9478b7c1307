// `tuneflow train` runs any trainable, as a user runs it (the built CLI in a child process): a training
// function with its evaluate stage, and a user's model module, with --set reaching the user's parameters.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const fixtures = join(root, 'tests', 'fixtures', 'trainables');
const tuneflow = (args: string[]) => runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: root });

describe('tuneflow train with your own code', () => {
  it('trains a training function and runs its evaluate stage', async () => {
    const { code, stdout, stderr } = await tuneflow(['train', join(fixtures, 'function.yaml'), '--epochs', '2', '--json']);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { model: string; params: Record<string, unknown>; epochs: { epoch: number; val_accuracy: number }[]; test: Record<string, number>; paramCount: number | null };
    expect(report.model).toBe(`function ${join(fixtures, 'logistic.ts')}#train`);
    expect(report.params.learningRate).toBe(0.2); // the first enqueued configuration
    expect(report.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(report.test.test_accuracy).toBeGreaterThan(0.8);
    expect(report.paramCount).toBeNull();
  });

  it("trains a user's model module with a parameter of its own set on the command line, and names a failure without a stack", async () => {
    const ok = await tuneflow(['train', join(fixtures, 'module-model.yaml'), '--epochs', '1', '--set', 'units=4', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { model: string; paramCount: number };
    expect(report.model).toBe(`module ${join(fixtures, 'models', 'tiny-dense.ts')}#build`);
    // 8x8 grey images, 4 hidden units (--set), 6 shapes.
    expect(report.paramCount).toBe(8 * 8 * 4 + 4 + 4 * 6 + 6);
    const params = join(tempDir('train-cli'), 'params.yaml');
    writeFileSync(params, 'mode: missing\n');
    const bad = await tuneflow(['train', join(fixtures, 'bad-function.yaml'), '--params', params]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tuneflow train: trainable .*logistic\.ts#train reported epoch 1 without the metric "val_loss"/m);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });

  it('trains a model with a layer the graph engine does not translate on the eager engine, and says which layer', async () => {
    const spec = join(tempDir('train-cli'), 'recurrent.yaml');
    const modelLine = `model: {module: ${JSON.stringify(join(fixtures, 'models', 'tiny-dense.ts'))}, export: recurrent}`;
    writeFileSync(spec, readFileSync(join(fixtures, 'module-model.yaml'), 'utf8').replace(/^model: .*$/m, modelLine));
    const { code, stdout } = await tuneflow(['train', spec, '--epochs', '1', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { model: string; engine: string; engineReason: string | null; epochs: { val_accuracy: number }[] };
    expect(report.model).toMatch(/#recurrent$/);
    expect(report).toMatchObject({ engine: 'eager', engineReason: expect.stringMatching(/GRU/) });
    expect(Number.isFinite(report.epochs[0]!.val_accuracy)).toBe(true);
  });
});
