// A user's model module that cannot be used fails with a reason naming the file and what is wrong:
// missing, outside the worker's folders, no such export, not a function, throws on import, builds no
// model or the wrong output. Real modules loaded through the real loader, in this process.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExperiment } from '../../catalog';
import { trainableFor, TrainableError } from '../../training';
import { tempDir } from '../helpers/temp';

const fixtures = join(__dirname, '..', 'fixtures', 'trainables');
const scratch = tempDir('modules');

function specWith(module: string, exportName: string) {
  const text = `name: m\ndataset: {name: synthetic-shapes, options: {trainSize: 200, testSize: 50, imageSize: 8}}\nmodel: {module: ${module}, export: ${exportName}}\ntraining: {epochs: 1}\n`;
  return parseExperiment(text, join(fixtures, 'inline.yaml'));
}

async function failure(module: string, exportName: string, roots = [fixtures]): Promise<string> {
  const spec = specWith(module, exportName);
  const dir = join(scratch, `${exportName}-${Math.random().toString(36).slice(2)}`);
  const outcome = await trainableFor(spec)
    .trainSegment({ spec, params: {}, seed: 1, fromEpoch: 0, toEpoch: 1, checkpointDir: dir, trainablesRoots: roots })
    .then(() => new Error('trained'), (error: unknown) => error);
  expect(outcome).toBeInstanceOf(TrainableError);
  return (outcome as Error).message;
}

describe("a user's model module that cannot be used", () => {
  const dense = join(fixtures, 'models', 'tiny-dense.ts');

  it('is missing', async () => {
    expect(await failure('./models/nope.ts', 'build')).toBe(`model.module ${join(fixtures, 'models', 'nope.ts')} does not exist`);
  });

  it('lies outside the folders the worker runs code from, also through a symlink', async () => {
    expect(await failure('./models/tiny-dense.ts', 'build', [scratch])).toMatch(/^model\.module .*tiny-dense\.ts is outside the folders this worker runs code from \(.*\); start the worker with --trainables-root <folder>/);
    const link = join(scratch, 'linked');
    mkdirSync(link, { recursive: true });
    symlinkSync(dense, join(link, 'net.ts'));
    const spec = parseExperiment(`name: m\ndataset: synthetic-shapes\nmodel: {module: ./net.ts}\n`, join(link, 'spec.yaml'));
    const message = await trainableFor(spec)
      .trainSegment({ spec, params: {}, seed: 1, fromEpoch: 0, toEpoch: 1, checkpointDir: join(scratch, 'l'), trainablesRoots: [link] })
      .then(() => 'trained', (error: Error) => error.message);
    expect(message).toContain(`(really ${dense})`);
  });

  it('has no such export, listing the ones it has', async () => {
    expect(await failure('./models/tiny-dense.ts', 'buildIt')).toBe(`model.module ${dense} has no export "buildIt" (its exports: build, notAFunction, notAModel, recurrent, wrongOutput)`);
  });

  it('exports something that is not a function', async () => {
    expect(await failure('./models/tiny-dense.ts', 'notAFunction')).toBe(`model.module ${dense}: export "notAFunction" is a number, not a function`);
  });

  it('throws when it is imported', async () => {
    expect(await failure('./models/throws-on-import.ts', 'build')).toMatch(/^model\.module .*throws-on-import\.ts failed to load: .*cannot import: this module needs a GPU library that is not installed/);
  });

  it('builds something that is not a model, or a model with the wrong output', async () => {
    expect(await failure('./models/tiny-dense.ts', 'notAModel')).toBe(
      `model.module ${dense}#notAModel returned an object (Object) instead of a tf.LayersModel (build it with the \`tf\` it is given: tf.sequential or tf.model)`,
    );
    expect(await failure('./models/tiny-dense.ts', 'wrongOutput')).toMatch(/#wrongOutput built a model whose output shape is \[\[null,1\]\]; it must have one output of \d+ classes/);
  });

  it('has a syntax error: the reason names the file and the line', async () => {
    writeFileSync(join(scratch, 'broken.ts'), 'export const build = (x: number => x;\n');
    const spec = parseExperiment(`name: m\ndataset: synthetic-shapes\nmodel: {module: ./broken.ts}\n`, join(scratch, 'spec.yaml'));
    const message = await trainableFor(spec)
      .trainSegment({ spec, params: {}, seed: 1, fromEpoch: 0, toEpoch: 1, checkpointDir: join(scratch, 'b'), trainablesRoots: [scratch] })
      .then(() => 'trained', (error: Error) => error.message);
    expect(message).toMatch(/^model\.module .*broken\.ts failed to load: /);
    expect(message).toMatch(/broken\.ts:1/);
  });
});
