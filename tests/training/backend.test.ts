import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { backendInfo, loadTf } from '../../training';
import { loadBackend } from '../../training/backend';

describe('backend selection', () => {
  test('the default is the native TensorFlow backend of @tensorflow/tfjs-node', async () => {
    const tf = await loadTf();
    expect(tf.getBackend()).toBe('tensorflow');
    expect(await loadTf()).toBe(tf);
    const info = await backendInfo();
    expect(info).toMatchObject({ backend: 'tensorflow', package: '@tensorflow/tfjs-node', tfjsVersion: '4.22.0' });
    expect(info.tensorflowVersion).toMatch(/^2\.\d+\.\d+/);
    // The counterpart of the lazy-import check in idx.test.ts: once loaded, tfjs-node is in the module cache.
    expect(Object.keys(createRequire(__filename).cache).some((path) => path.includes('@tensorflow/tfjs-node'))).toBe(true);
  });

  test('a native package that does not load is an error that says to run npm run setup (no silent fallback)', async () => {
    // @tensorflow/tfjs-node-gpu is not installed on this machine.
    await expect(loadBackend({ TUNEFLOW_BACKEND: 'gpu' })).rejects.toThrow(/cannot load @tensorflow\/tfjs-node-gpu .*Run `npm run setup`/);
    await expect(loadBackend({ TUNEFLOW_BACKEND: 'tpu' })).rejects.toThrow(/TUNEFLOW_BACKEND must be "cpu" or "gpu", got "tpu"/);
  });
});
