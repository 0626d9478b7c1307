// Padding masks over token sequences (training/models/attention.ts): what sits at a padding step (id 0)
// does not reach the attention outputs at token steps, the pooled vector or the cnn-lstm attention
// fusion; an all-padding row gives numbers, not NaN; models saved before masking (no maskPadding in their
// layer configs) load and still attend to padding; time series never mask. Real tfjs, no mocks.
import { beforeAll, describe, expect, test } from 'vitest';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { checkModelOptions, modelFamily, type Tf } from '../../training';
import { attentionLayers, MASKED_POOLING, MULTI_HEAD_SELF_ATTENTION } from '../../training/models/attention';
import { translateModel } from '../../training/graph';
import { mulberry32 } from '../../training/rng';
import { trainingTf } from './helpers';

let tf: Tf;
beforeAll(async () => {
  tf = await trainingTf();
});

const STEPS = 6;
const WIDTH = 8;
/** Row 0: 3 padding steps, then tokens; row 1: all tokens; row 2: all padding. */
const TOKENS = [0, 0, 0, 5, 9, 2, 4, 1, 7, 3, 8, 6, 0, 0, 0, 0, 0, 0];
const isPadding = (row: number, step: number) => TOKENS[row * STEPS + step] === 0;

function randomValues(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => 2 * random() - 1);
}

/** x [3, STEPS, WIDTH]: the same values at token steps for both seeds, different ones at padding steps. */
function inputsDifferingAtPadding(seed: number): Tensor {
  const base = randomValues(3 * STEPS * WIDTH, 1);
  const noise = randomValues(3 * STEPS * WIDTH, seed);
  const x = base.map((v, i) => (isPadding(Math.floor(i / (STEPS * WIDTH)), Math.floor(i / WIDTH) % STEPS) ? 5 * noise[i]! : v));
  return tf.tensor3d(x, [3, STEPS, WIDTH]);
}

const tokenIds = () => tf.tensor2d(TOKENS, [3, STEPS], 'int32');
const values = (t: Tensor) => Array.from(t.dataSync());

/** The outputs of rows 0 and 1 at their token steps (row 2 has none). */
function atTokens(out: Tensor): number[] {
  const data = out.dataSync();
  return Array.from(data).filter((_, i) => Math.floor(i / (STEPS * WIDTH)) < 2 && !isPadding(Math.floor(i / (STEPS * WIDTH)), Math.floor(i / WIDTH) % STEPS));
}

describe('masked attention and pooling layers', () => {
  test('self-attention with the mask: token steps do not see what is at padding steps; without it they do', () => {
    const { MultiHeadSelfAttention } = attentionLayers(tf);
    const masked = new MultiHeadSelfAttention({ heads: 2, seed: 4, maskPadding: true });
    const plain = new MultiHeadSelfAttention({ heads: 2, seed: 4 });
    const [a, b, tokens] = [inputsDifferingAtPadding(2), inputsDifferingAtPadding(3), tokenIds()];
    const run = (layer: typeof masked, x: Tensor) => (layer === masked ? layer.apply([x, tokens]) : layer.apply(x)) as Tensor;
    const [maskedA, maskedB] = [run(masked, a), run(masked, b)];
    expect(atTokens(maskedA)).toEqual(atTokens(maskedB));
    // Same weights (same seed), no mask: the padding steps' different values move every output.
    const [plainA, plainB] = [run(plain, a), run(plain, b)];
    expect(Math.max(...atTokens(plainA).map((v, i) => Math.abs(v - atTokens(plainB)[i]!)))).toBeGreaterThan(1e-3);
    // The all-padding row attends uniformly to its padding steps: numbers, no NaN.
    expect(values(maskedA).every(Number.isFinite)).toBe(true);
    // Row 1 has no padding: the mask changes nothing there.
    const row1 = (t: Tensor) => values(t).slice(STEPS * WIDTH, 2 * STEPS * WIDTH);
    row1(maskedA).forEach((v, i) => expect(v).toBeCloseTo(row1(plainA)[i]!, 5));
    expect(masked.getConfig()).toMatchObject({ maskPadding: true });
    expect(plain.getConfig()).not.toHaveProperty('maskPadding');
  });

  test('masked pooling: avg is the mean over token steps, max their maximum, an all-padding row 0', () => {
    const { MaskedPooling } = attentionLayers(tf);
    const [a, b, tokens] = [inputsDifferingAtPadding(2), inputsDifferingAtPadding(3), tokenIds()];
    const x = a.arraySync() as number[][][];
    for (const op of ['avg', 'max'] as const) {
      const layer = new MaskedPooling({ op });
      const [pooledA, pooledB] = [layer.apply([a, tokens]) as Tensor, layer.apply([b, tokens]) as Tensor];
      expect(pooledA.shape).toEqual([3, WIDTH]);
      expect(values(pooledA)).toEqual(values(pooledB));
      const expected = [0, 1].flatMap((row) =>
        Array.from({ length: WIDTH }, (_, f) => {
          const kept = x[row]!.filter((_, step) => !isPadding(row, step)).map((s) => s[f]!);
          return op === 'avg' ? kept.reduce((s, v) => s + v, 0) / kept.length : Math.max(...kept);
        }),
      );
      values(pooledA).slice(0, 2 * WIDTH).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      expect(values(pooledA).slice(2 * WIDTH).map(Math.abs)).toEqual(new Array(WIDTH).fill(0)); // -0 for max (-1e9 x 0)
    }
    expect(() => new MaskedPooling({ op: 'sum' as 'avg' })).toThrow(/op must be one of avg, max, got "sum"/);
  });

  test('cnn-lstm attention fusion with the mask gives padding steps no weight', () => {
    const { Fusion } = attentionLayers(tf);
    const masked = new Fusion({ mode: 'attention', units: 4, seed: 2, maskPadding: true });
    const plain = new Fusion({ mode: 'attention', units: 4, seed: 2 });
    const recurrent = tf.tensor2d(randomValues(3 * 5, 9), [3, 5]);
    const [a, b, tokens] = [inputsDifferingAtPadding(2), inputsDifferingAtPadding(3), tokenIds()];
    const firstRows = (t: Tensor) => values(t).slice(0, 2 * (WIDTH + 5));
    expect(firstRows(masked.apply([a, recurrent, tokens]) as Tensor)).toEqual(firstRows(masked.apply([b, recurrent, tokens]) as Tensor));
    const [plainA, plainB] = [firstRows(plain.apply([a, recurrent]) as Tensor), firstRows(plain.apply([b, recurrent]) as Tensor)];
    expect(Math.max(...plainA.map((v, i) => Math.abs(v - plainB[i]!)))).toBeGreaterThan(1e-3);
    expect(values(masked.apply([a, recurrent, tokens]) as Tensor).every(Number.isFinite)).toBe(true);
  });
});

const SEQUENCE = { kind: 'sequence' as const, inputShape: [STEPS] as [number], vocabularySize: 10, numClasses: 3, seed: 5 };

/** The model's predictions for TOKENS, before and after the embedding of token 0 (padding) is replaced. */
function paddingEmbeddingEffect(model: LayersModel): number {
  const predict = () => values(model.predict(tokenIds()) as Tensor);
  const before = predict();
  const embedding = model.layers.find((l) => l.getClassName() === 'Embedding')!;
  const table = embedding.getWeights()[0]!;
  const rows = table.arraySync() as number[][];
  rows[0] = rows[0]!.map((_, i) => 3 * Math.sin(i + 1));
  embedding.setWeights([tf.tensor2d(rows)]);
  const after = predict();
  expect([...before, ...after].every(Number.isFinite)).toBe(true);
  return Math.max(...before.map((v, i) => Math.abs(v - after[i]!)));
}

const classesOf = (model: LayersModel) => model.layers.map((l) => l.getClassName());

describe('families on token sequences', () => {
  test.each([
    ['avg', { embeddingSize: 8, heads: 2, blocks: 2, ffUnits: 8 }],
    ['max', { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 8, pooling: 'max' }],
  ] as const)('transformer (%s pooling) masks by default: the padding embedding does not reach its predictions', (_, hyper) => {
    const masked = modelFamily('transformer').build(tf, SEQUENCE, hyper);
    expect(classesOf(masked)).toContain(MASKED_POOLING);
    expect(paddingEmbeddingEffect(masked)).toBe(0);
    const plain = modelFamily('transformer').build(tf, SEQUENCE, { ...hyper, maskPadding: false });
    expect(classesOf(plain)).not.toContain(MASKED_POOLING);
    expect(paddingEmbeddingEffect(plain)).toBeGreaterThan(1e-4);
  });

  test('a transformer saved before masking (no maskPadding in its configs) loads and still attends to padding', async () => {
    const plain = modelFamily('transformer').build(tf, SEQUENCE, { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 8, maskPadding: false });
    const json = JSON.parse(JSON.stringify(plain.toJSON(null, false))) as { config: { layers: { class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[][] }[] } };
    const attention = json.config.layers.find((l) => l.class_name === MULTI_HEAD_SELF_ATTENTION)!;
    // Exactly the keys a config had before masking existed, and one input.
    expect(Object.keys(attention.config).filter((k) => !['name', 'trainable', 'dtype', 'batch_input_shape'].includes(k)).sort()).toEqual(['heads', 'seed']);
    expect(attention.inbound_nodes[0]).toHaveLength(1);
    const loaded = await tf.models.modelFromJSON({ modelTopology: json } as never);
    loaded.setWeights(plain.getWeights());
    expect(values(loaded.predict(tokenIds()) as Tensor)).toEqual(values(plain.predict(tokenIds()) as Tensor));
    expect(paddingEmbeddingEffect(loaded)).toBeGreaterThan(1e-4);
  });

  test('a masked transformer round-trips through its JSON with the mask', async () => {
    const masked = modelFamily('transformer').build(tf, SEQUENCE, { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 8 });
    const loaded = await tf.models.modelFromJSON({ modelTopology: masked.toJSON(null, false) } as never);
    loaded.setWeights(masked.getWeights());
    expect(values(loaded.predict(tokenIds()) as Tensor)).toEqual(values(masked.predict(tokenIds()) as Tensor));
    expect(paddingEmbeddingEffect(loaded)).toBe(0);
  });

  test('lstm attention and cnn-lstm attention fusion mask by default, and not with maskPadding: false', () => {
    const attentionInputs = (model: LayersModel, className: string) => model.layers.find((l) => l.getClassName() === className)!.inboundNodes[0]!.inboundLayers.length;
    const lstm = { embeddingSize: 8, units: 4, attention: true, attentionHeads: 2 };
    expect(attentionInputs(modelFamily('lstm').build(tf, SEQUENCE, lstm), MULTI_HEAD_SELF_ATTENTION)).toBe(2);
    expect(classesOf(modelFamily('lstm').build(tf, SEQUENCE, lstm))).toContain(MASKED_POOLING);
    expect(attentionInputs(modelFamily('lstm').build(tf, SEQUENCE, { ...lstm, maskPadding: false }), MULTI_HEAD_SELF_ATTENTION)).toBe(1);
    const cnnLstm = { embeddingSize: 8, filters: 4, units: 4, fusion: 'attention' };
    expect(attentionInputs(modelFamily('cnn-lstm').build(tf, SEQUENCE, cnnLstm), 'TuneflowFusion')).toBe(3);
    expect(attentionInputs(modelFamily('cnn-lstm').build(tf, SEQUENCE, { ...cnnLstm, maskPadding: false }), 'TuneflowFusion')).toBe(2);
  });

  test('time series never mask; maskPadding must be a boolean', () => {
    const series = { kind: 'series' as const, inputShape: [STEPS, 3] as [number, number], numClasses: 1, seed: 5 };
    const model = modelFamily('transformer').build(tf, series, { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 8, maskPadding: true });
    expect(classesOf(model)).not.toContain(MASKED_POOLING);
    for (const family of ['transformer', 'lstm', 'cnn-lstm']) {
      expect(checkModelOptions(family, { maskPadding: 'sometimes' })).toEqual({ key: 'maskPadding', problem: 'must be true or false, got "sometimes"' });
      expect(checkModelOptions(family, { maskPadding: 'false' })).toBeNull();
    }
  });
});

describe('graph engine translation of masks', () => {
  test('masked layers read the token ids as their last input; a mask from anything else stays eager, saying why', () => {
    const model = modelFamily('transformer').build(tf, SEQUENCE, { embeddingSize: 8, heads: 2, blocks: 1, ffUnits: 8, pooling: 'max' });
    const translated = translateModel(model);
    if (!('model' in translated)) throw new Error(translated.reason);
    const masked = translated.model.nodes.filter((n) => n.layer.kind === 'maskedPool' || (n.layer.kind === 'selfAttention' && n.layer.mask));
    expect(masked.map((n) => [n.layer.kind, n.inputs.length, n.inputs.at(-1)])).toEqual([
      ['selfAttention', 2, -1],
      ['maskedPool', 2, -1],
    ]);
    expect(masked[1]!.layer).toMatchObject({ op: 'Max' });
    expect(translated.model.inputDtype).toBe('int32');

    // Token ids through a layer first: not the model's input, so the engine does not know them as ids.
    const { MaskedPooling } = attentionLayers(tf);
    const input = tf.input({ shape: [STEPS] });
    const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 4 }).apply(input) as ReturnType<typeof tf.input>;
    const shifted = tf.layers.activation({ activation: 'relu', name: 'ids' }).apply(input) as ReturnType<typeof tf.input>;
    const pooled = new MaskedPooling({ op: 'avg', name: 'pool' }).apply([embedded, shifted]) as ReturnType<typeof tf.input>;
    expect(translateModel(tf.model({ inputs: input, outputs: pooled }))).toEqual({ reason: 'the graph engine does not support layer pool: a padding mask from another layer than the model\'s input' });
  });
});
