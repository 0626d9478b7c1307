// TensorFlow's activation gradient kernels (training/native-gradients.ts) against TF.js's own: the same
// gradients, and the same training losses for a ReLU CNN and a sigmoid/tanh LSTM.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadTf, trainSegment, type Tf } from '../../training';
import { setNativeGradients } from '../../training/native-gradients';
import { npyDataset, segmentRequest, tokenSequences, useTempCache } from './helpers';

let tf: Tf;
beforeAll(async () => {
  useTempCache();
  tf = await loadTf();
});
afterAll(() => setNativeGradients(tf, true));

/** The gradient of sum(f(x) * dy) with TF.js's gradient (false) and TensorFlow's kernel (true). */
function both(f: (t: ReturnType<Tf['tensor']>) => ReturnType<Tf['tensor']>): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const x = tf.randomNormal([8, 300], 0, 4, 'float32', 1);
    const dy = tf.randomNormal([8, 300], 0, 1, 'float32', 2);
    const grad = (native: boolean) => {
      setNativeGradients(tf, native);
      return tf.grad((t) => f(t))(x, dy).dataSync() as Float32Array;
    };
    return [grad(false), grad(true)];
  });
}

describe('native activation gradients', () => {
  test('are on by default on tfjs-node, and can be switched off and on', () => {
    expect(tf.getBackend()).toBe('tensorflow');
    expect(setNativeGradients(tf, false)).toBe(false);
    expect(setNativeGradients(tf, true)).toBe(true);
  });

  test.each([
    ['relu', (t: ReturnType<Tf['tensor']>) => tf.relu(t)],
    ['relu6', (t: ReturnType<Tf['tensor']>) => tf.relu6(t)],
    ['leakyRelu', (t: ReturnType<Tf['tensor']>) => tf.leakyRelu(t, 0.2)],
    ['sigmoid', (t: ReturnType<Tf['tensor']>) => tf.sigmoid(t)],
    ['tanh', (t: ReturnType<Tf['tensor']>) => tf.tanh(t)],
  ])('%s: equal to TF.js gradient', (_name, f) => {
    const [js, native] = both(f);
    expect(js.some((v) => v !== 0)).toBe(true);
    let max = 0;
    js.forEach((v, i) => (max = Math.max(max, Math.abs(v - native[i]!))));
    expect(max).toBeLessThan(1e-6);
  });

  test('the first convolution skips its input gradient; the filter and bias gradients are unchanged', async () => {
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) });
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 3);
    conv.apply(x); // builds the weights
    const variables = conv.trainableWeights.map((w) => w.read() as ReturnType<Tf['variable']>);
    const gradients = async (native: boolean) => {
      setNativeGradients(tf, native);
      let grads: Float32Array[] = [];
      const profile = await tf.profile(() => {
        const result = tf.variableGrads(() => tf.sum(tf.square(conv.apply(x) as ReturnType<Tf['tensor']>)) as ReturnType<Tf['scalar']>, variables);
        grads = variables.map((v) => result.grads[v.name]!.dataSync() as Float32Array);
        tf.dispose([result.value, ...Object.values(result.grads)]);
      });
      return { grads, backpropInput: profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length };
    };
    const js = await gradients(false);
    const native = await gradients(true);
    expect([js.backpropInput, native.backpropInput]).toEqual([1, 0]);
    expect(js.grads.length).toBe(2);
    js.grads.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - native.grads[i]![j]!)).toBeLessThan(1e-4)));
  });

  test('a ReLU CNN and an LSTM train to the same losses either way', async () => {
    const sequences = npyDataset('tokens-native', tokenSequences, { kind: 'sequence' });
    const cases = [
      { family: 'cnn', modelOptions: { filters: 8, denseUnits: 16 } },
      { family: 'lstm', modelOptions: { embeddingSize: 8, units: 8 }, dataset: sequences },
    ];
    for (const parts of cases) {
      const losses = async (native: boolean) => {
        setNativeGradients(tf, native);
        const result = await trainSegment(segmentRequest(parts));
        return result.epochs.flatMap((e) => [e.metrics.loss!, e.metrics.val_loss!]);
      };
      const js = await losses(false);
      const native = await losses(true);
      expect(js.every(Number.isFinite), parts.family).toBe(true);
      native.forEach((loss, i) => expect(loss, `${parts.family} loss ${i}`).toBeCloseTo(js[i]!, 4));
    }
  });
});
