// The architectures users tune: residual cnn/mlp, parallel convolution branches, self-attention on lstm
// outputs, the transformer family and the cnn-lstm hybrid with its three fusions. Each trains for real on
// tiny data, learns (loss falls), reloads from its checkpoint with its custom layers, and a resumed run
// equals a straight one.
import { beforeAll, describe, expect, test } from 'vitest';
import { checkModelOptions, evaluateCheckpoint, loadTf, trainSegment, type SegmentRequest } from '../../training';
import { checkpointWeights, maxDifference, npyDataset, segmentRequest, tokenSequences, useTempCache, type SpecParts } from './helpers';

beforeAll(async () => {
  useTempCache();
  await loadTf();
});

const SHAPES = { name: 'synthetic-shapes', options: { trainSize: 400, testSize: 100 } };
let tokens: SpecParts['dataset'];
const sequences = () => (tokens ??= npyDataset('tokens-arch', tokenSequences, { kind: 'sequence' }));

type Result = Awaited<ReturnType<typeof trainSegment>>;
const losses = (r: Result) => r.epochs.map((e) => e.metrics.loss!);

/** Trains epochs 1-3 straight and as 1 + 2 from the checkpoint; returns the straight run after checking both agree. */
async function trainAndResume(parts: SpecParts, learningRate = 0.01): Promise<{ result: Result; request: SegmentRequest }> {
  const spec = { ...parts, training: { learningRate, batchSize: 32 } };
  const straight = await trainSegment(segmentRequest(spec, { toEpoch: 3 }));
  const first = segmentRequest(spec, { toEpoch: 1 });
  await trainSegment(first);
  const resumed = await trainSegment({ ...first, fromEpoch: 1, toEpoch: 3 });
  expect(maxDifference(await checkpointWeights(straight.checkpoint), await checkpointWeights(resumed.checkpoint))).toBeLessThan(1e-4);
  expect(resumed.epochs.at(-1)!.metrics.loss).toBeCloseTo(straight.epochs.at(-1)!.metrics.loss!, 4);
  return { result: straight, request: segmentRequest(spec, { toEpoch: 3 }) };
}

/** The checkpoint reloaded through tfjs (custom layers included) scores what training measured. */
async function expectReloads({ result, request }: { result: Result; request: SegmentRequest }): Promise<void> {
  const reloaded = await evaluateCheckpoint({ spec: request.spec, params: request.params, checkpoint: result.checkpoint, split: 'validation' });
  expect(reloaded.val_loss).toBeCloseTo(result.epochs.at(-1)!.metrics.val_loss!, 4);
}

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
    expect(checkModelOptions('cnn', { branches: [3, 4] })?.problem).toMatch(/must be a list of 1 to 8 odd kernel sizes/);
    expect(checkModelOptions('cnn', { branches: '3,5,7', residual: true })).toBeNull();
    expect(checkModelOptions('cnn-lstm', { fusion: 'sum' })?.problem).toMatch(/concat, attention, gated/);
  });
});
