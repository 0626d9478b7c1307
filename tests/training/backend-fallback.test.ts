// Its own file: vitest runs each file in a fresh process, and this switches tfjs to the pure-JS backend.
import { expect, test, vi } from 'vitest';
import { loadBackend } from '../../training/backend';

test('TUNEFLOW_ALLOW_PURE_JS=1 falls back to pure JavaScript, loudly', async () => {
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const { tf, packageName } = await loadBackend({ TUNEFLOW_BACKEND: 'gpu', TUNEFLOW_ALLOW_PURE_JS: '1' });
    expect(packageName).toBe('@tensorflow/tfjs');
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0])).toBe(5);
    const warning = stderr.mock.calls.map((call) => String(call[0])).join('');
    expect(warning).toMatch(/@tensorflow\/tfjs-node-gpu failed to load/);
    expect(warning).toMatch(/200x SLOWER/);
  } finally {
    stderr.mockRestore();
  }
});
