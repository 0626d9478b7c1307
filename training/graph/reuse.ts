// A trial's graph engine kept between its segments. A segment ends with its engine holding exactly what
// its last checkpoint holds (the checkpoint is written from it), so the trial's next segment, when it
// runs in the same process (the worker's pool sends it to the child that ran the last one), can take
// that engine instead of building one: no graph to build, and the session keeps the executors its first
// runs created (pruned, optimized graph and kernels for the training step, validation and the weight
// pull), which a new session creates again at ~100 ms a segment on the quickstart CNN. It is taken only
// when the graph would be the same (the translated model, optimizer settings, loss) and its weights
// and optimizer state equal, bit for bit, what the segment loaded from its checkpoint; anything else (a
// PBT member handed its donor's checkpoint, a checkpoint the eager engine wrote) builds a new engine.
// Equal is checked by digest: the SHA-256 of the state the engine held when kept (pulled for the
// checkpoint at the end of the segment's last epoch) against that of the loaded checkpoint's values,
// so taking an engine costs no session run.
// A process keeps the engines of the last few trials it trained (as many as the campaign trains at once,
// at most MAX_KEPT): with one training slot a worker's segments of two trials take turns in one process.
import { createHash } from 'node:crypto';
import type { GraphEngine, GraphEngineOptions, NamedTensor } from './engine';
import type { HostTensor } from './native';

/** The most engines a process keeps, whatever the campaign's concurrency. */
export const MAX_KEPT = 4;

interface Kept {
  /** The trial's checkpoint folder. */
  trial: string;
  key: string;
  engine: GraphEngine;
  /** stateDigest of what the engine held when kept. */
  digest: string;
}

/** Oldest first. */
let kept: Kept[] = [];

/** What fixes the graph: everything in the options but names (of layers and variables: tfjs numbers them process-wide). */
export function engineKey(options: GraphEngineOptions): string {
  return JSON.stringify(options, (key, value: unknown) => (key === 'name' ? undefined : value));
}

/**
 * SHA-256 of weights and optimizer slots (tfjs's getWeights() state less `iter`): each tensor's dtype,
 * shape and bytes, so equal digests mean the same values bit for bit.
 */
export function stateDigest(weights: readonly HostTensor[], optimizer: readonly NamedTensor[]): string {
  const hash = createHash('sha256');
  const slots = optimizer.slice(1).map((s) => s.tensor);
  hash.update(`${weights.length}+${slots.length}`);
  for (const t of [...weights, ...slots]) {
    hash.update(`|${t.dtype}[${t.shape.join(',')}]`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex');
}

/**
 * Keeps `engine` for the trial's next segment, freeing the trial's older one and the oldest beyond
 * `capacity`; `state` is what it holds (its getState(), as pulled for the segment's last checkpoint).
 */
export function keepEngine(trial: string, key: string, engine: GraphEngine, capacity: number, state: { weights: HostTensor[]; optimizer: NamedTensor[] }): void {
  for (const old of kept.filter((k) => k.trial === trial && k.engine !== engine)) old.engine.dispose();
  kept = kept.filter((k) => k.trial !== trial);
  kept.push({ trial, key, engine, digest: stateDigest(state.weights, state.optimizer) });
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
  // tfjs's state: `iter`, then the slots (a fresh optimizer's lone `iter` matches only an engine without slots).
  const iterations = Number(optimizer[0]?.tensor.data[0] ?? 0);
  if (candidate.key === key && candidate.engine.iterations === iterations && candidate.digest === stateDigest(weights, optimizer)) {
    return candidate.engine;
  }
  candidate.engine.dispose();
  return null;
}
