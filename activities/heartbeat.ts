// Heartbeats for activities that only wait on I/O (MLflow, Temporal, a file): a timer beats while one
// runs, so when its worker dies (kill -9, a lost machine) the server retries it after the heartbeat
// timeout instead of waiting out the start-to-close timeout.
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 5_000;

/** Runs `work` inside an activity, heartbeating every `everyMs` until it settles. */
export async function beatWhile<T>(work: () => Promise<T>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    ctx.heartbeat();
    return await work();
  } finally {
    clearInterval(timer);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any activity signature
type AnyActivity = (...args: any[]) => Promise<unknown>;

/** The same activities, each heartbeating while it runs (see `beatWhile`). */
export function heartbeating<A extends Record<string, AnyActivity>>(activities: A): A {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, (...args: unknown[]) => beatWhile(() => fn(...args))])) as A;
}
