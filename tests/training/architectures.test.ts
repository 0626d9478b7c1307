// The architectures users tune: residual cnn/mlp, parallel convolution branches, self-attention on lstm
// outputs, the transformer family and the cnn-lstm hybrid with its three fusions. Each trains for real on
// tiny data, learns (loss falls), reloads from its checkpoint with its custom layers, and a resumed run
// equals a straight one.
import { beforeAll, describe, expect, test } from 'vitest';
import { parseExperiment } from '../../catalog';
import { checkModelOptions, loadTf, trainSegment } from '../../training';
import { expectReloads, npyDataset, segmentRequest, tokenSequences, trainAndResume, useTempCache, type SpecParts } from './helpers';

beforeAll(async () => {
  useTempCache();
  await loadTf();
});

const SHAPES = { name: 'synthetic-shapes', options: { trainSize: 400, testSize: 100 } };
let tokens: SpecParts['dataset'];
const sequences = () => (tokens ??= npyDataset('tokens-arch', tokenSequences, { kind: 'sequence' }));

const losses = (r: Awaited<ReturnType<typeof trainSegment>>) => r.epochs.map((e) => e.metrics.loss!);

describe('residual and multi-branch networks', () => {
  test('cnn with residual blocks and [3, 5] branches learns, resumes exactly and has more weights than plain', async () => {
    const options = { filters: 4, denseUnits: 16, convBlocks: 2 };
    const run = await trainAndResume({ family: 'cnn', modelOptions: { ...options, residual: true, branches: [3, 5], batchNorm: true }, dataset: SHAPES }, 0.003);
    expect(losses(run.result)[2]).toBeLessThan(losses(run.result)[0]!);
    const plain = await trainSegment(segmentRequest({ family: 'cnn', modelOptions: options, dataset: SHAPES }, { toEpoch: 1 }));
    // Branches double the widths (4+4, 8+8 channels) and the shortcuts add 1x1 projections.
    expect(run.result.paramCount).toBeGreaterThan(plain.paramCount!);
    await expectReloads(run);
  });

  test('mlp with residual layers learns and resumes exactly', async () => {
    const run = await trainAndResume({ family: 'mlp', modelOptions: { units: 32, layers: 3, residual: true }, dataset: SHAPES }, 0.003);
    expect(losses(run.result)[2]).toBeLessThan(losses(run.result)[0]!);
    // flatten 256 -> projection 256x32 + 3 dense 32-wide layers + classifier
    expect(run.result.paramCount).toBe(256 * 32 + 256 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 6 + 6);
  });
});

describe('attention families', () => {
  test('lstm with self-attention over its outputs learns whether token 7 occurs and reloads', async () => {
    const run = await trainAndResume({ family: 'lstm', modelOptions: { embeddingSize: 8, units: 8, attention: true, attentionHeads: 2 }, dataset: sequences() });
    expect(losses(run.result)[2]).toBeLessThan(losses(run.result)[0]!);
    await expectReloads(run);
  });

  test('transformer learns whether token 7 occurs, resumes exactly and reloads', async () => {
    const run = await trainAndResume({ family: 'transformer', modelOptions: { embeddingSize: 16, heads: 4, blocks: 1, ffUnits: 16 }, dataset: sequences() });
    expect(losses(run.result)[2]).toBeLessThan(losses(run.result)[0]!);
    expect(run.result.epochs.at(-1)!.metrics.val_accuracy).toBeGreaterThan(0.7);
    await expectReloads(run);
  });

  test.each(['concat', 'attention', 'gated'])('cnn-lstm with %s fusion learns and reloads', async (fusion) => {
    const run = await trainAndResume({ family: 'cnn-lstm', modelOptions: { embeddingSize: 8, filters: 8, units: 8, fusion, fusionUnits: 8 }, dataset: sequences() });
    expect(losses(run.result)[2]).toBeLessThan(losses(run.result)[0]!);
    await expectReloads(run);
  });

  test('bad architecture settings fail before training, naming the setting', () => {
    expect(checkModelOptions('transformer', { embeddingSize: 30, heads: 4 })).toEqual({ key: 'heads', problem: 'must divide embeddingSize 30, got 4' });
    expect(checkModelOptions('transformer', { heads: 3 })).toBeNull(); // embeddingSize may be searched: checked when built
    expect(checkModelOptions('cnn', { branches: [3, 4] })?.problem).toMatch(/must be a list of 1 to 8 odd kernel sizes/);
    expect(checkModelOptions('cnn', { branches: '3,5,7', residual: true })).toBeNull();
    expect(checkModelOptions('cnn-lstm', { fusion: 'sum' })?.problem).toMatch(/concat, attention, gated/);
  });
});

describe('architecture settings in a spec', () => {
  const spec = (model: string, space = '{}') =>
    `name: arch\ndataset: {name: synthetic-shapes}\nmodel:\n${model}\nsearch:\n  space: ${space}\nobjective: {metric: val_loss, direction: minimize}\nbudget: {maxTrials: 1}\ntraining: {epochs: 1}\n`;

  test('a bad value fails at load with file:line:column and the field', () => {
    expect(() => parseExperiment(spec('  family: transformer\n  options: {embeddingSize: 30, heads: 4}'), 'arch.yaml')).toThrow(
      /arch\.yaml:\d+:\d+: model\.options(\.heads)?: .*must divide embeddingSize 30, got 4/,
    );
    expect(() => parseExperiment(spec('  family: cnn\n  options: {branches: [3, 4]}'), 'arch.yaml')).toThrow(/arch\.yaml:5:\d+: model\.options\.branches: must be a list of 1 to 8 odd kernel sizes/);
    expect(() => parseExperiment(spec('  family: cnn-lstm', '{fusion: {type: categorical, choices: [concat, sum]}}'), 'arch.yaml')).toThrow(/arch\.yaml:6:\d+: search\.space\.fusion.*concat, attention, gated/);
  });

  test('searchable: heads, blocks, branches as strings, fusion, residual', () => {
    const space = '{heads: {type: categorical, choices: [2, 4, 8]}, blocks: {type: int, low: 1, high: 3}, ffUnits: {type: categorical, choices: [32, 64]}}';
    expect(parseExperiment(spec('  family: transformer', space), 'arch.yaml').search.space).toHaveProperty('heads');
    const cnnSpace = '{branches: {type: categorical, choices: ["3", "3,5", "3,5,7"]}, residual: {type: categorical, choices: [false, true]}}';
    expect(parseExperiment(spec('  family: cnn', cnnSpace), 'arch.yaml').search.space).toHaveProperty('branches');
  });
});
