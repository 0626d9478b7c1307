// Asks the sampler for the next configurations. Samplers are pure functions of (space, trials, seed,
// trial number), so any worker gives the same answer and a retried activity proposes the same trials.
// The computation runs in a worker thread (suggest-thread.ts): a GP or a TPE over thousands of trials
// takes seconds of synchronous CPU, and the activity's own thread must stay free to heartbeat meanwhile,
// so a killed worker is noticed after the heartbeat timeout instead of the start-to-close timeout.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createSampler, paramsKey, parseSpace, suggest, type TrialView } from '../search';
import type { Params } from '../search/space-types';
import { deserializeError, type SerializedError } from '../training/child/protocol';
import { isPacked, toView, unpackTrials } from '../trials';
import { beatWhile } from './heartbeat';
import type { SuggestInput } from './types';

/** What the thread posts back: the suggestions, or the error it threw (flattened for the trip). */
export type SuggestThreadReply = { ok: true; params: Params[] } | { ok: false; error: SerializedError };

/** The suggestions for `input`, computed in the calling thread (throws the search code's own errors). */
export function computeSuggestions(input: SuggestInput): Params[] {
  const { spec } = input;
  const space = parseSpace(spec.search.space);
  const sampler = createSampler(spec.search.sampler);
  const directions = spec.objective.map((o) => o.direction);
  // Suggestions made in this call count as running trials for the next one, so they never collide.
  const views = (list: SuggestInput['trials']): TrialView[] => (isPacked(list) ? unpackTrials(list).map(toView) : [...list]);
  // An extension's or fork's old trials come first as trials 0..k-1; the campaign's own are numbered from k.
  const warm = input.warmStart ? views(input.warmStart) : [];
  const trials: TrialView[] = [...warm, ...views(input.trials).map((t) => (warm.length ? { ...t, number: t.number + warm.length } : t))];
  const taken = new Set(trials.map((t) => paramsKey(t.params)));
  const out: Params[] = [];
  for (const [i, trialNumber] of input.numbers.entries()) {
    const fixed = input.fixed[i];
    const params = suggest({ sampler, space, trials, seed: spec.seed, trialNumber, directions, taken, ...(fixed ? { fixed } : {}) });
    out.push(params);
    trials.push({ number: trialNumber, params, state: 'RUNNING' });
    taken.add(paramsKey(params));
  }
  return out;
}

/** A thread's entry file: next to this file in dist/, else (TypeScript sources under vitest) its build. */
export function threadEntry(file: string): string {
  for (const candidate of [join(__dirname, file), join(__dirname, '..', 'dist', 'activities', file)]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find the thread entry dist/activities/${file}: run \`npm run build\` first`);
}

/** The suggestion thread's entry. */
export const suggestThreadEntry = (): string => threadEntry('suggest-thread.js');

/**
 * One finished thread kept between calls: starting a thread and loading the search code costs ~0.1 s,
 * which a campaign of many short trials would otherwise pay at every suggestion. Unreferenced while it
 * waits, so it never keeps the process alive.
 */
let idleThread: Worker | null = null;

function takeThread(): Worker {
  const thread = idleThread ?? new Worker(suggestThreadEntry(), { execArgv: [] }); // no test-runner loader flags
  idleThread = null;
  thread.ref();
  return thread;
}

function releaseThread(thread: Worker): void {
  if (idleThread) return void thread.terminate(); // another call's thread already waits
  thread.unref();
  idleThread = thread;
}

/** `computeSuggestions` in a worker thread; an abort terminates the thread mid-computation. */
export function computeInThread(input: SuggestInput, signal?: AbortSignal): Promise<Params[]> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const thread = takeThread();
    let settled = false;
    const settle = (reusable: boolean, finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      thread.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (reusable) releaseThread(thread);
      else void thread.terminate();
      finish();
    };
    const onAbort = () => settle(false, () => reject(signal!.reason));
    const onMessage = (reply: SuggestThreadReply) => settle(true, () => (reply.ok ? resolve(reply.params) : reject(deserializeError(reply.error))));
    const onError = (error: Error) => settle(false, () => reject(error)); // e.g. ERR_WORKER_OUT_OF_MEMORY: retryable
    const onExit = (code: number) => settle(false, () => reject(new Error(`the suggestion thread exited with code ${code} before it answered`)));
    signal?.addEventListener('abort', onAbort, { once: true });
    thread.on('message', onMessage).on('error', onError).on('exit', onExit);
    thread.postMessage(input);
  });
}

export async function suggestTrials(input: SuggestInput): Promise<Params[]> {
  const ctx = Context.current();
  try {
    // The heartbeats also carry a cancellation (or a timed-out attempt) to this worker, which aborts the thread.
    // A local activity (the campaign's way since patched('local-suggest')) cannot heartbeat: its worker runs the workflow.
    if (ctx.info.isLocal) return await computeInThread(input, ctx.cancellationSignal);
    return await beatWhile(() => computeInThread(input, ctx.cancellationSignal));
  } catch (err) {
    // Rebuilt from the thread's message, so matched by name: retrying cannot un-exhaust a finite space.
    if (err instanceof Error && err.name === 'SpaceExhaustedError') throw ApplicationFailure.nonRetryable(err.message, 'SpaceExhaustedError');
    throw err;
  }
}
