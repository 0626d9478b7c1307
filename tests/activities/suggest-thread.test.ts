// The suggest activity computes in a worker thread so that it can heartbeat (a killed worker is then
// noticed after the 30 s heartbeat timeout) however long a suggestion takes. The real activity runs in
// Temporal's MockActivityEnvironment (the activity context) and its thread runs the built sampler code.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_EVERY_MS } from '../../activities/heartbeat';
import { suggestThreadEntry, suggestTrials } from '../../activities/suggest';
import type { SuggestInput } from '../../activities/types';
import { parseSpec } from '../../spec';
import type { ExperimentSpec } from '../../spec/types';
import { packTrials, newTrial } from '../../trials';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';

const dir = tempDir('suggest-thread');
// The thread runs the build (dist/, which `npm test` makes first); the in-thread reference runs the same
// build, so a source edited since the last build cannot make them differ.
const builtSuggest = join(dirname(suggestThreadEntry()), 'suggest.js');
const { computeSuggestions } = createRequire(__filename)(builtSuggest) as typeof import('../../activities/suggest');

const spec = (sampler: string, space: string): ExperimentSpec =>
  parseSpec(
    ['name: t', 'dataset: d', 'model: m', 'seed: 5', 'objective: {metric: val_loss, direction: minimize}', 'search:', `  sampler: ${sampler}`, `  space: ${space}`, ''].join('\n'),
    'x.yaml',
  );

/** `n` finished trials of a smooth 3-parameter problem, then `k` trials to suggest. */
function input(s: ExperimentSpec, n: number, k: number): SuggestInput {
  const trials = Array.from({ length: n }, (_, i) => {
    const x = ((i * 7919) % 1000) / 1000;
    const lr = 10 ** (-4 * (((i * 104729) % 997) / 997));
    const t = newTrial(i, { x, lr, units: 8 + ((i * 31) % 505) });
    const loss = (x - 0.3) ** 2 + Math.abs(Math.log10(lr) + 2) / 10;
    t.state = 'COMPLETE';
    t.epochsDone = 1;
    t.history = { 1: [loss] };
    t.values = [loss];
    return t;
  });
  return { spec: s, trials: packTrials(trials), numbers: Array.from({ length: k }, (_, i) => n + i), fixed: Array(k).fill(null) };
}

// A Gaussian process over 350 trials, all modelled (no cap): seconds of synchronous CPU per suggestion (O(n³)).
const slow = () =>
  input(spec('{type: gp, options: {maxModelTrials: 1000}}', '{x: {type: float, low: 0, high: 1}, lr: {type: float, low: 0.0001, high: 1, log: true}, units: {type: int, low: 8, high: 512}}'), 350, 1);

/** Runs `work` while a 50 ms ticker runs on this thread; returns its result and the longest gap between ticks. */
async function whileTicking<T>(work: () => T | Promise<T>): Promise<{ result: T; ms: number; longestGapMs: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 50);
  const start = performance.now();
  try {
    // A macrotask first, so a synchronous `work` blocks the ticker's timers as the old activity did.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const result = await work();
    const ms = performance.now() - start;
    longestGapMs = Math.max(longestGapMs, performance.now() - last);
    return { result, ms, longestGapMs };
  } finally {
    clearInterval(ticker);
  }
}

describe('suggestTrials in a worker thread', () => {
  it('heartbeats while a slow suggestion computes, and answers what the in-thread computation answers', async () => {
    const env = new MockActivityEnvironment();
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(performance.now()));
    const req = slow();
    const activity = await whileTicking(() => env.run(suggestTrials, req));
    const direct = await whileTicking(() => computeSuggestions(req));

    // Same input, same proposal: the thread runs the same pure code on a structured clone of the input.
    expect(activity.result).toEqual(direct.result);
    expect(activity.result).toHaveLength(1);
    // The computation is slow and, in the calling thread, starves every timer (the heartbeat's included)...
    expect(direct.ms).toBeGreaterThan(1_000);
    expect(direct.longestGapMs).toBeGreaterThan(0.8 * direct.ms - 100);
    // ...while the activity's thread stays free: its timers ran throughout, so it beat on schedule.
    expect(activity.longestGapMs).toBeLessThan(1_000);
    expect(beats.length).toBeGreaterThanOrEqual(1 + Math.floor((activity.ms - 1_000) / HEARTBEAT_EVERY_MS));
  });

  it('a cancelled activity ends its thread at once', async () => {
    const env = new MockActivityEnvironment();
    const running = env.run(suggestTrials, slow());
    await new Promise((resolve) => setTimeout(resolve, 500));
    const cancelledAt = performance.now();
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(performance.now() - cancelledAt).toBeLessThan(500);
    // A thread still computing would keep burning a core; the process's CPU time counts every thread.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(300);
  });

  it('an aborted computation does not keep the process alive', async () => {
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(slow()));
    const script = [
      `const { computeInThread } = require(${JSON.stringify(builtSuggest)});`,
      `const input = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'));`,
      'const ac = new AbortController();',
      "setTimeout(() => ac.abort(new Error('stop')), 300);",
      'const start = Date.now();',
      "computeInThread(input, ac.signal).catch((e) => console.log(e.message, Date.now() - start));",
    ].join('\n');
    const started = performance.now();
    const run = await runNode(['-e', script], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^stop \d+/);
    // The suggestion alone takes seconds; the process ends right after the abort.
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('an exhausted finite space is still a non-retryable SpaceExhaustedError', async () => {
    const s = spec('{type: random}', '{a: {type: categorical, choices: [1, 2]}}');
    const trials = [1, 2].map((a, i) => ({ ...newTrial(i, { a }), state: 'COMPLETE' as const, epochsDone: 1, history: { 1: [a] }, values: [a] }));
    const failure = await new MockActivityEnvironment()
      .run(suggestTrials, { spec: s, trials: packTrials(trials), numbers: [2], fixed: [null] })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('SpaceExhaustedError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it("other errors keep their class name (Temporal's failure type) and stay retryable", async () => {
    const s = spec('{type: tpe}', '{x: {type: float, low: 0, high: 1}}');
    // A bad option that only the sampler factory sees (a spec would have been rejected at load time).
    const bad = { ...s, search: { ...s.search, sampler: { ...s.search.sampler, options: { noSuchOption: 1 } } } };
    const req: SuggestInput = { spec: bad, trials: [], numbers: [0], fixed: [null] };
    const inline = (() => {
      try {
        computeSuggestions(req);
      } catch (e) {
        return e as Error;
      }
    })();
    const failure = (await new MockActivityEnvironment().run(suggestTrials, req).catch((e: unknown) => e)) as Error;
    expect(inline?.constructor.name).toBe('AlgorithmConfigError');
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect(failure.constructor.name).toBe(inline!.constructor.name);
    expect(failure.message).toBe(inline!.message);
  });
});
