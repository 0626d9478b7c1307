// Choosing the engine for a trial and moving state between it and the tfjs model. The graph engine
// trains a model when the addon is built, the model translates, its loss is the cross-entropy or a
// regression loss (not a family's own) and TUNEFLOW_ENGINE does not say `eager`; otherwise the trial trains eagerly and the reason is returned,
// for the log and the run's `tuneflow.engine` tag. The tfjs model stays the source of truth between
// epochs: health metrics, checkpoints and export read it after each graph epoch; validation runs in the graph.
import type { LayersModel, Optimizer, Tensor } from '@tensorflow/tfjs';
import type { Tf } from '../backend';
import type { LossKind } from '../loss';
import type { OptimizerConfig } from '../optimizer';
import type { SplitArrays } from '../split-arrays';
import { GraphEngine, type EpochStats, type GraphEngineOptions } from './engine';
import { loadGraphAddon, type HostTensor } from './native';
import { translateModel } from './translate';
import { graphProbeLayers } from '../probe';

export { EVAL_BATCH_SIZE as GRAPH_EVAL_BATCH_SIZE, GraphEngine, metricNames, type EpochStats, type Evaluation, type GraphLoss, type ProbeLayerSpec } from './engine';
export { graphAddonPath, loadGraphAddon, type HostTensor } from './native';
export { formatDevice, inspectTensorflow, type TensorflowBuild } from './devices';
export { translateModel, type GraphModel, type LayerSpec, type Translation } from './translate';
export { keepTraining, keptCount, keptTensorBytes, MAX_KEPT, releaseKeptEngines, takeTraining, type KeptTraining } from './reuse';

export type EngineName = 'graph' | 'eager';
export const ENGINES: readonly EngineName[] = ['graph', 'eager'];

/** TUNEFLOW_ENGINE: `graph` (default: the graph engine where it covers the model) or `eager`. */
export function requestedEngine(env: NodeJS.ProcessEnv = process.env): EngineName {
  const value = (env.TUNEFLOW_ENGINE ?? 'graph').trim().toLowerCase() || 'graph';
  if (value !== 'graph' && value !== 'eager') throw new Error(`TUNEFLOW_ENGINE must be "graph" or "eager", got "${env.TUNEFLOW_ENGINE}"`);
  return value;
}

export interface EngineChoice {
  engine: GraphEngine | null;
  /** Why the trial trains eagerly (null when the graph engine trains it). */
  reason: string | null;
  /** The engine's options, for keeping it after the segment (reuse.ts). */
  options?: GraphEngineOptions;
  /** Whether the engine is the one the trial's previous segment left in this process. */
  reused?: boolean;
}

async function toHost(tensor: Tensor): Promise<HostTensor> {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`graph engine: a ${tensor.dtype} weight`);
  const data = await tensor.data();
  return { dtype: tensor.dtype, shape: [...tensor.shape], data: data as Float32Array | Int32Array };
}

function fromHost(tf: Tf, value: HostTensor): Tensor {
  const data = value.data instanceof BigInt64Array ? Int32Array.from(value.data, Number) : value.data;
  return tf.tensor(data, value.shape, value.dtype === 'float32' ? 'float32' : 'int32');
}

/**
 * The graph engine for `model`, started from its weights and the optimizer's state (moments of a
 * resumed trial included), or the reason it trains eagerly.
 */
export async function chooseEngine(
  tf: Tf,
  model: LayersModel,
  optimizer: Optimizer,
  settings: { optimizer: OptimizerConfig; loss: LossKind; numClasses: number },
  env: NodeJS.ProcessEnv = process.env,
): Promise<EngineChoice> {
  if (requestedEngine(env) === 'eager') return { engine: null, reason: 'TUNEFLOW_ENGINE=eager' };
  const { loss } = settings;
  if (loss.kind === 'custom') return { engine: null, reason: 'the graph engine covers the cross-entropy and regression losses (mse, mae, huber), this model has its own' };
  const translated = translateModel(model);
  if ('reason' in translated) return { engine: null, reason: translated.reason };
  const loaded = loadGraphAddon(env);
  if (!loaded.addon) return { engine: null, reason: loaded.reason };
  const weights = await Promise.all(model.getWeights().map(toHost));
  const state = await optimizer.getWeights();
  let engine: GraphEngine | null = null;
  try {
    const optimizerState = await Promise.all(state.map(async (w) => ({ name: w.name, tensor: await toHost(w.tensor) })));
    // The health probe in the graph too, where its layers map onto the engine's weights and nodes.
    const probe = graphProbeLayers(model, translated.model) ?? undefined;
    const options = { model: translated.model, optimizer: settings.optimizer, loss, numClasses: settings.numClasses, ...(probe ? { probe } : {}) };
    engine = GraphEngine.create(loaded.addon, options, weights, undefined, optimizerState);
    return { engine, reason: null, options, reused: false };
  } catch (error) {
    // TensorFlow refused the graph (an op or gradient it lacks): eager still trains the model.
    engine?.dispose();
    return { engine: null, reason: `the graph engine failed to build this model: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    // getWeights() returns the slot variables themselves and a fresh `iter` scalar: free only that.
    tf.dispose(state.filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor));
  }
}

/**
 * Copies the engine's weights into the tfjs model and its optimizer state into the tfjs optimizer;
 * returns the weights' values as pulled (model.weights' order), for checks that need not read tfjs again.
 */
export async function syncToTfjs(tf: Tf, engine: GraphEngine, model: LayersModel, optimizer: Optimizer): Promise<HostTensor[]> {
  const { weights: values, optimizer: state } = engine.getState();
  const weights = values.map((w) => fromHost(tf, w));
  model.setWeights(weights);
  tf.dispose(weights);
  const old = await optimizer.getWeights();
  const tensors = state.map((s) => ({ name: s.name, tensor: fromHost(tf, s.tensor) }));
  await optimizer.setWeights(tensors);
  // setWeights made new slot variables from these tensors; the old ones and the inputs are no longer needed.
  tf.dispose([...old.map((w) => w.tensor), ...tensors.map((w) => w.tensor)]);
  return values;
}

/** How long one native call trains before control returns (heartbeats, cancellation). */
const CHUNK_MS = 200;

/**
 * One epoch on the graph engine: the batches of `order` in sequence, as model.fit with shuffle off
 * takes them, in chunks of about CHUNK_MS so the event loop runs in between. Stops early (returning
 * the batches done) once `signal` aborts; the caller throws.
 */
export async function trainEpoch(
  engine: GraphEngine,
  data: SplitArrays,
  step: { order: Int32Array; batchSize: number; learningRate: number; seedBase: number },
  signal?: AbortSignal,
): Promise<EpochStats> {
  const batches = Math.ceil(step.order.length / step.batchSize);
  const stats: EpochStats = { losses: [], metrics: {}, rows: [] };
  let chunk = 1;
  for (let start = 0; start < batches && !signal?.aborted; ) {
    const count = Math.min(chunk, batches - start);
    const began = performance.now();
    const done = await engine.trainSteps({ ...data, ...step, start, count });
    stats.losses.push(...done.losses);
    for (const [name, values] of Object.entries(done.metrics)) (stats.metrics[name] ??= []).push(...values);
    stats.rows.push(...done.rows);
    start += count;
    chunk = Math.max(1, Math.min(10_000, Math.round((count * CHUNK_MS) / Math.max(1, performance.now() - began))));
  }
  return stats;
}

/**
 * The epoch's loss and metrics as model.fit logs them (`loss`, then `acc` or `mse` and `mae`): batch
 * values weighted by batch size.
 */
export function epochMeans(stats: EpochStats): Record<string, number> {
  const total = stats.rows.reduce((a, b) => a + b, 0);
  const mean = (values: number[]) => values.reduce((sum, v, i) => sum + v * stats.rows[i]!, 0) / total;
  return { loss: mean(stats.losses), ...Object.fromEntries(Object.entries(stats.metrics).map(([name, values]) => [name, mean(values)])) };
}
