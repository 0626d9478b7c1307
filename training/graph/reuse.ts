// A trial's graph engine kept between its segments. A segment ends with its engine holding exactly what
// its last checkpoint holds (the checkpoint is written from it), so the trial's next segment, when it
// runs in the same process (the worker's pool sends it to the child that ran the last one), can take
// that engine instead of building one: no graph to build, and the session keeps the executors its first
// runs created (pruned, optimized graph and kernels for the training step, validation and the weight
// pull), which a new session creates again at ~100 ms a segment on the quickstart CNN. It is taken only
// when the graph would be the same (the translated model, optimizer settings, loss) and its weights
// and optimizer state equal, bit for bit, what the segment loaded from its checkpoint; anything else (a
// PBT member handed its donor's checkpoint, a checkpoint the eager engine wrote) builds a new engine.
// A process keeps the engines of the last few trials it trained (as many as the campaign trains at once,
// at most MAX_KEPT): with one training slot a worker's segments of two trials take turns in one process.
import type { GraphEngine, GraphEngineOptions, NamedTensor } from './engine';
import type { HostTensor } from './native';

/** The most engines a process keeps, whatever the campaign's concurrency. */
export const MAX_KEPT = 4;

interface Kept {
  /** The trial's checkpoint folder. */
  trial: string;
  key: string;
  engine: GraphEngine;
}

/** Oldest first. */
let kept: Kept[] = [];

/** What fixes the graph: everything in the options but names (of layers and variables: tfjs numbers them process-wide). */
export function engineKey(options: GraphEngineOptions): string {
  return JSON.stringify(options, (key, value: unknown) => (key === 'name' ? undefined : value));
}

function sameBytes(a: HostTensor, b: HostTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join(',') !== b.shape.join(',')) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Keeps `engine` for the trial's next segment, freeing the trial's older one and the oldest beyond `capacity`. */
export function keepEngine(trial: string, key: string, engine: GraphEngine, capacity: number): void {
  for (const old of kept.filter((k) => k.trial === trial && k.engine !== engine)) old.engine.dispose();
  kept = kept.filter((k) => k.trial !== trial);
  kept.push({ trial, key, engine });
  const limit = Math.max(1, Math.min(MAX_KEPT, Math.floor(capacity)));
  while (kept.length > limit) kept.shift()!.engine.dispose();
}

/** Frees every kept engine. */
export function releaseKeptEngines(): void {
  for (const k of kept) k.engine.dispose();
  kept = [];
}

/**
 * The trial's kept engine when its graph is `key`'s and it holds exactly `weights` and `optimizer`
 * (tfjs's getWeights() formats); else null, and that engine is freed before the caller builds another.
 */
export function takeEngine(trial: string, key: string, weights: HostTensor[], optimizer: NamedTensor[]): GraphEngine | null {
  const at = kept.findIndex((k) => k.trial === trial);
  if (at < 0) return null;
  const [candidate] = kept.splice(at, 1) as [Kept];
  if (candidate.key === key) {
    const state = candidate.engine.getState();
    const iterations = Number(optimizer[0]?.tensor.data[0] ?? 0);
    const same =
      candidate.engine.iterations === iterations &&
      state.weights.length === weights.length &&
      state.weights.every((w, i) => sameBytes(w, weights[i]!)) &&
      // tfjs's state: `iter`, then the slots; a fresh optimizer's lone `iter` means zero slots.
      (optimizer.length === 1
        ? state.optimizer.slice(1).every((s) => s.tensor.data.every((v) => v === 0))
        : state.optimizer.length === optimizer.length && state.optimizer.slice(1).every((s, i) => sameBytes(s.tensor, optimizer[i + 1]!.tensor)));
    if (same) return candidate.engine;
  }
  candidate.engine.dispose();
  return null;
}
