// The heartbeat wrapper of the I/O-bound control activities: it must beat while the activity waits
// (so a dead worker is noticed after the heartbeat timeout) and stop once the activity settles.
// Temporal's MockActivityEnvironment provides the activity context; nothing else is mocked.
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { beatWhile, heartbeating } from '../../activities/heartbeat';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('beatWhile', () => {
  it('heartbeats on a timer while the work waits, and stops when it settles', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    expect(await env.run(() => beatWhile(() => sleep(250).then(() => 'done'), 20))).toBe('done');
    // One at the start, then about one per 20 ms of a 250 ms wait (timers on a busy machine run late).
    expect(beats).toBeGreaterThanOrEqual(4);
    const after = beats;
    await sleep(100);
    expect(beats).toBe(after);
  });

  it('passes a failure through and stops beating', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await expect(env.run(() => beatWhile(() => sleep(50).then(() => Promise.reject(new Error('MLflow down'))), 10))).rejects.toThrow('MLflow down');
    const after = beats;
    await sleep(60);
    expect(beats).toBe(after);
  });
});

describe('heartbeating', () => {
  it('wraps every activity: same arguments and result, one heartbeat at least', async () => {
    const env = new MockActivityEnvironment();
    let beats = 0;
    env.on('heartbeat', () => beats++);
    const wrapped = heartbeating({ add: async (a: number, b: number) => a + b, upper: async (s: string) => s.toUpperCase() });
    expect(Object.keys(wrapped)).toEqual(['add', 'upper']);
    expect(await env.run(wrapped.add, 2, 3)).toBe(5);
    expect(await env.run(wrapped.upper, 'x')).toBe('X');
    expect(beats).toBe(2);
  });
});
