// Training slots in child processes (training/child/pool.ts), with real children running the real engine
// from dist/ (built by `npm test` before vitest runs).
import { ensureApplicationFailure } from '@temporalio/common';
import { afterAll, describe, expect, test } from 'vitest';
import { TrainingDivergedError, TrainingProcessExitedError, TrainingProcessPool, type EpochResult, type SegmentRequest } from '../../training';
import { isRunning } from '../helpers/processes';
import { smallSpec, tempDir, useTempCache } from './helpers';

const MLP = { family: 'mlp', modelOptions: { units: 16, layers: 1 }, dataset: { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 150 } } };

useTempCache(); // read by the children: they inherit the environment when they start
const pool = new TrainingProcessPool();
afterAll(() => pool.close());

function request(overrides: Partial<SegmentRequest> = {}): SegmentRequest {
  return { spec: smallSpec(MLP), params: {}, seed: 5, fromEpoch: 0, toEpoch: 2, checkpointDir: tempDir('child'), ...overrides };
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(isRunning(pid)).toBe(false);
}

describe('TrainingProcessPool', () => {
  test('segments run in one long-lived child; epochs stream back and resume from its checkpoints', async () => {
    const dir = tempDir('child');
    const seen: EpochResult[] = [];
    let alive = 0;
    const first = await pool.trainSegment(request({ checkpointDir: dir, onEpoch: (e) => void seen.push(e) }), { onAlive: () => alive++ });
    const [child] = pool.pids();
    expect(child).not.toBe(process.pid);
    expect(pool.pids()).toEqual([child]);
    const second = await pool.trainSegment(request({ checkpointDir: dir, fromEpoch: 2, toEpoch: 4, onEpoch: (e) => void seen.push(e) }));
    expect(pool.pids()).toEqual([child]); // the same process served both segments
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(first.epochs).toEqual(seen.slice(0, 2));
    expect(second.epochs).toEqual(seen.slice(2));
    expect(second.trainedEpochs).toBe(2);
    expect(second.checkpoint).toMatch(/epoch-4$/);
    expect(alive).toBeGreaterThanOrEqual(3); // at the start and once per epoch at least
    for (const e of seen) expect(e.metrics.val_loss).toBeGreaterThan(0);
  });

  test("a trial's next segment goes to the child that ran its last one, which takes the graph engine it kept", async () => {
    const two = new TrainingProcessPool();
    try {
      const [a, b] = [tempDir('child'), tempDir('child')];
      // Two children: A's and B's first segments side by side.
      const firsts = await Promise.all([a, b].map((dir) => two.trainSegment(request({ checkpointDir: dir, toEpoch: 1 }))));
      expect(firsts.map((r) => r.engine)).toEqual(['graph', 'graph']);
      expect(two.pids()).toHaveLength(2);
      // In the order that the last-idle-first choice would give each the other's child.
      const b2 = await two.trainSegment(request({ checkpointDir: b, fromEpoch: 1, toEpoch: 2 }));
      const a2 = await two.trainSegment(request({ checkpointDir: a, fromEpoch: 1, toEpoch: 2 }));
      expect([a2.engineReused, b2.engineReused]).toEqual([true, true]);
      // A third trial in a child that last ran another: a new engine, the same results as ever.
      const c = await two.trainSegment(request({ checkpointDir: tempDir('child'), toEpoch: 1 }));
      expect(c.engineReused).toBeUndefined();
      expect(c.epochs[0]!.metrics.loss).toBe(firsts[0]!.epochs[0]!.metrics.loss);
    } finally {
      await two.close();
    }
  });

  test('errors keep their name, class and fields across the process boundary', async () => {
    const error = await pool.trainSegment(request({ params: { learningRate: 1e30 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as TrainingDivergedError).message).toMatch(/^training diverged in epoch 1: loss not finite/);
    expect((error as TrainingDivergedError).epoch).toBe(1);
    // Temporal names the failure after the constructor: the workflow's non-retryable list matches it.
    expect(ensureApplicationFailure(error).type).toBe('TrainingDivergedError');
    const invalid = await pool.trainSegment(request({ params: { unitz: 3 } })).catch((e: unknown) => e);
    expect(ensureApplicationFailure(invalid).type).toBe('InvalidConfigurationError');
    expect((invalid as Error).message).toMatch(/unknown setting "unitz"/);
    // An error thrown by the worker's onEpoch (MLflow down, say) fails the segment under its own name.
    class MlflowUnavailable extends Error {}
    const logging = await pool
      .trainSegment(request({ onEpoch: () => Promise.reject(new MlflowUnavailable('MLflow is down')) }))
      .catch((e: unknown) => e);
    expect(ensureApplicationFailure(logging).type).toBe('MlflowUnavailable');
    expect((logging as Error).message).toBe('MLflow is down');
  });

  test('an abort stops the segment with its reason and the child stays for the next job', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const dir = tempDir('child');
    const epochs: number[] = [];
    const error = await pool
      .trainSegment(
        request({
          checkpointDir: dir,
          toEpoch: 6,
          signal: controller.signal,
          onEpoch: (e) => {
            epochs.push(e.epoch);
            controller.abort(reason);
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(epochs).toEqual([1]);
    const [child] = pool.pids();
    const resumed = await pool.trainSegment(request({ checkpointDir: dir, toEpoch: 3 }));
    expect(resumed.trainedEpochs).toBe(2); // epoch 1's checkpoint survived the abort
    expect(pool.pids()).toEqual([child]);
  });

  test('a job that ignores an abort is killed after the grace time and its child replaced', async () => {
    const impatient = new TrainingProcessPool({ abortGraceMs: 1 });
    try {
      const trained = await impatient.trainSegment(request({ toEpoch: 1 }));
      const [child] = impatient.pids();
      const controller = new AbortController();
      // Evaluation does not watch the signal: only the kill ends it.
      const evaluation = impatient.evaluateCheckpoint({ spec: smallSpec(MLP), params: {}, checkpoint: trained.checkpoint, split: 'test' }, { signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(evaluation).rejects.toThrow('stop');
      await waitGone(child!);
      const metrics = await impatient.evaluateCheckpoint({ spec: smallSpec(MLP), params: {}, checkpoint: trained.checkpoint, split: 'test' });
      expect(metrics.test_accuracy).toBeGreaterThan(0);
      expect(impatient.pids()).not.toContain(child);
    } finally {
      await impatient.close();
    }
  });

  test('a SIGKILLed child fails its attempt with a retryable error; the retry resumes in a fresh child', async () => {
    const dir = tempDir('child');
    let killed = 0;
    const error = await pool
      .trainSegment(
        request({
          checkpointDir: dir,
          toEpoch: 3,
          onEpoch: () => {
            killed = pool.pids()[0]!;
            process.kill(killed, 'SIGKILL');
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingProcessExitedError);
    expect((error as Error).message).toMatch(new RegExp(`^training process ${killed} was killed by SIGKILL .* during the segment of epochs 1-3 into ${dir}`));
    expect(ensureApplicationFailure(error).type).toBe('TrainingProcessExitedError');
    expect(isRunning(killed)).toBe(false);
    const retry = await pool.trainSegment(request({ checkpointDir: dir, toEpoch: 3 }));
    expect(retry.trainedEpochs).toBe(2);
    expect(retry.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(pool.pids()).toHaveLength(1);
    expect(pool.pids()).not.toContain(killed);
  });

  test('close() ends every child', async () => {
    const own = new TrainingProcessPool();
    await Promise.all([own.trainSegment(request({ toEpoch: 1 })), own.trainSegment(request({ toEpoch: 1 }))]);
    const children = own.pids();
    expect(children).toHaveLength(2); // two concurrent jobs, two children
    await own.close();
    for (const pid of children) expect(isRunning(pid)).toBe(false);
    await expect(own.trainSegment(request())).rejects.toThrow(/pool is closed/);
  });
});
