// Messages between a training slot's worker side (pool.ts) and its child process (main.ts), and errors
// flattened for the trip: the worker rethrows them under their own name, which Temporal turns into the
// failure type the workflow's non-retryable list matches (TrainingDivergedError, InvalidConfigurationError...).
import { NON_RETRYABLE_ERRORS } from '../errors';
import type { EpochResult, EvaluateRequest, SegmentRequest, SegmentResult } from '../types';

/** A segment request without its callbacks: those stay in the worker and are driven by messages. */
export type SegmentJob = Omit<SegmentRequest, 'onEpoch' | 'signal'>;

export type Job = { kind: 'segment'; request: SegmentJob } | { kind: 'evaluate'; request: EvaluateRequest };

export type ToChild =
  | { type: 'run'; id: number; job: Job }
  | { type: 'abort'; id: number }
  /** The worker has handled (logged) an epoch; the child's `onEpoch` resolves, or throws `error`. */
  | { type: 'epoch-done'; id: number; error?: SerializedError };

export type FromChild =
  /** Sent every few seconds while a job runs: the worker heartbeats only while its child makes progress. */
  | { type: 'alive'; id: number }
  | { type: 'epoch'; id: number; epoch: EpochResult }
  | { type: 'done'; id: number; result: SegmentResult | Record<string, number> }
  /** `retire`: this process must not serve another job (user code may still be running in it). */
  | { type: 'failed'; id: number; error: SerializedError; retire?: boolean };

export interface SerializedError {
  /** The constructor's name: what Temporal makes the failure type of (a subclass may leave `name` at "Error"). */
  type: string;
  name: string;
  message: string;
  stack?: string;
  /** Own data properties (e.g. a TrainingDivergedError's `epoch`, `metrics`, `reason`). */
  props: Record<string, unknown>;
  cause?: SerializedError;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { type: 'Error', name: 'Error', message: String(error), props: {} };
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    try {
      props[key] = JSON.parse(JSON.stringify(value)) as unknown;
    } catch {
      /* not plain data: stays behind */
    }
  }
  const out: SerializedError = { type: error.constructor.name || error.name, name: error.name, message: error.message, props };
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = serializeError(error.cause);
  return out;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** Rebuilt as real instances, so `instanceof` works in the worker as it does in the child. */
const KNOWN: Record<string, ErrorClass> = Object.fromEntries(NON_RETRYABLE_ERRORS.map((cls) => [cls.name, cls]));
const named = new Map<string, ErrorClass>();

/** A class whose constructor has this name: Temporal takes a failure's type from it. */
function errorClass(name: string): ErrorClass {
  const known = KNOWN[name];
  if (known) return known;
  let cls = named.get(name);
  if (!cls) {
    cls = { [name]: class extends Error {} }[name]!;
    named.set(name, cls);
  }
  return cls;
}

export function deserializeError(s: SerializedError): Error {
  const options = s.cause ? { cause: deserializeError(s.cause) } : undefined;
  // Construct as Error with the class's prototype: the classes' own constructors take other arguments.
  const error = Reflect.construct(Error, [s.message, options], errorClass(s.type)) as Error;
  Object.defineProperty(error, 'name', { value: s.name, writable: true, configurable: true });
  if (s.stack) error.stack = s.stack;
  return Object.assign(error, s.props);
}
