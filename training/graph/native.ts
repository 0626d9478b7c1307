// The graph engine's native addon (native/graph-engine/, built by `setup/graph-engine.mjs`): found
// through $TUNEFLOW_GRAPH_ENGINE_ADDON, else the path set-up recorded in <cache>/tools.json. Loading
// it never throws: a missing or broken addon is a reason to train eagerly, which the caller announces.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cacheDir } from '../cache';

export type DType = 'float32' | 'int32' | 'int64' | 'bool';
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
}
/** An op's output: [op index, output index]. */
export type Output = [number, number];
export type Attr =
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: DType }
  | { types: DType[] }
  | { shape: number[] | null }
  | { ints: number[] }
  | { s: string }
  | { tensor: HostTensor };
/** A graph under construction, then a session running it; opaque to JavaScript. */
export type EngineHandle = { readonly __graphEngine: unique symbol };

export interface TrainStepsRequest {
  x: Float32Array | Int32Array;
  xDtype: DType;
  xRow: number[];
  y: Float32Array;
  yDtype: DType;
  yRow: number[];
  order: Int32Array;
  batchSize: number;
  start: number;
  count: number;
  xFeed: Output;
  yFeed: Output;
  seedFeed?: Output;
  seedBase?: number;
  feeds: [Output, HostTensor][];
  fetches: Output[];
  targets: number[];
}

export interface GraphAddon {
  newGraph(): EngineHandle;
  addOp(handle: EngineHandle, type: string, name: string, inputs: (Output | { list: Output[] })[], attrs: Record<string, Attr>, controlInputs: number[] | null): number;
  numOutputs(handle: EngineHandle, op: number): number;
  outputShape(handle: EngineHandle, output: Output): number[] | null;
  addGradients(handle: EngineHandle, prefix: string, ys: Output[], xs: Output[]): (Output | null)[];
  startSession(handle: EngineHandle, config: Uint8Array): void;
  run(handle: EngineHandle, feeds: [Output, HostTensor][], fetches: Output[], targets: number[]): HostTensor[];
  /** Per step: each fetch (float32 scalars), then the batch's row count. */
  trainSteps(handle: EngineHandle, request: TrainStepsRequest): Promise<Float32Array>;
  /** Frees the session and the graph now; the handle is unusable afterwards. */
  close(handle: EngineHandle): void;
  /** Ops in the graph. */
  graphOps(handle: EngineHandle): number;
  version(): string;
  /** The devices a session with this ConfigProto places ops on (training/graph/devices.ts). */
  devices(config: Uint8Array): EngineDevice[];
  /** Whether the loaded TensorFlow is the CUDA build (it registers GPU kernels, with or without a GPU). */
  builtWithCuda(): boolean;
  /** The file of the TensorFlow C library this process loaded. */
  library(): string;
  /** null when dlopen(name) works from the addon, else dlerror()'s message. */
  probeLibrary(name: string): string | null;
}

export interface EngineDevice {
  /** e.g. /job:localhost/replica:0/task:0/device:GPU:0 */
  name: string;
  /** CPU or GPU */
  type: string;
  memoryBytes: number;
}

export type AddonLoad = { addon: GraphAddon; path: string } | { addon: null; reason: string };

let cached: AddonLoad | null = null;

/** Where the addon is: $TUNEFLOW_GRAPH_ENGINE_ADDON, else what set-up recorded in tools.json; or why there is none. */
export function graphAddonPath(env: NodeJS.ProcessEnv = process.env): { path: string } | { reason: string } {
  if (env.TUNEFLOW_GRAPH_ENGINE_ADDON) return { path: env.TUNEFLOW_GRAPH_ENGINE_ADDON };
  const file = join(cacheDir(env), 'tools.json');
  let entry: { addon?: unknown; error?: unknown } | undefined;
  try {
    entry = (JSON.parse(readFileSync(file, 'utf8')) as { graphEngine?: typeof entry }).graphEngine;
  } catch {
    return { reason: `set-up has not run (no ${file})` };
  }
  if (typeof entry?.addon === 'string') return { path: entry.addon };
  if (typeof entry?.error === 'string') return { reason: `set-up could not build the graph engine: ${entry.error.split('\n')[0]}` };
  return { reason: `the graph engine is not built (run \`node setup/graph-engine.mjs\` or \`npm run setup\`)` };
}

/** The addon, loaded once per process, or why not. */
export function loadGraphAddon(env: NodeJS.ProcessEnv = process.env): AddonLoad {
  if (cached) return cached;
  const found = graphAddonPath(env);
  if ('reason' in found) return (cached = { addon: null, reason: found.reason });
  try {
    const addon = createRequire(__filename)(found.path) as GraphAddon;
    return (cached = { addon, path: found.path });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return (cached = { addon: null, reason: `cannot load the graph engine ${found.path}: ${message}` });
  }
}
