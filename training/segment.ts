// Epoch segments: train a trial from its last checkpoint for epochs (fromEpoch, toEpoch], checkpoint
// after every epoch, and make retries cheap and exact:
// - weights are initialized from the seed and each epoch's shuffle is a pure function of (seed, epoch),
//   and the optimizer state travels with the checkpoint, so 2+2 resumed epochs equal 4 straight ones
//   (on the eager engine for models without dropout, whose masks are not seeded there; on the graph
//   engine with dropout too: its masks are a function of (seed, epoch, step));
// - each epoch trains on the graph engine (training/graph/) where it covers the model, else eagerly
//   with model.fit; the result says which (`engine`) and why not graph (`engineReason`);
// - a retried segment finds the checkpoints its killed predecessor wrote, replays their metrics and
//   trains only the missing epochs.
import { createHash } from 'node:crypto';
import { mkdir, readFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel, Logs, Optimizer, Tensor } from '@tensorflow/tfjs';
import { deviceOf, loadTf, type Tf } from './backend';
import {
  checkpointPath,
  listCheckpoints,
  loadCheckpointModel,
  readCheckpointState,
  removeCheckpoints,
  removeStaleTemps,
  restoreOptimizer,
  writeCheckpoint,
  type CheckpointState,
} from './checkpoint';
import { resolveTrialConfig, type TrialConfig } from './config';
import { loadDataset, type Dataset } from './datasets';
import { CheckpointError, InvalidConfigurationError, isOutOfMemory, TrainingDivergedError, TrainingOutOfMemoryError } from './errors';
import { namedMetrics, qualityOf, targetVariance, TASK_METRICS, taskLoss, taskLossKind, taskOf, type Task } from './task';
import { modelInput, registerCustomLayers, resolveFamily, type ModelFamily } from './models';
import { moduleFamily } from './trainables/model-module';
import { healthMetrics, type LayerProbe } from './health';
import { inferenceMsPerSample } from './latency';
import { crossValidates, foldDataset, trainFolds, type Fold } from './cross-validation';
import { chooseEngine, epochMeans, keepTraining, keptTensorBytes, requestedEngine, syncToTfjs, takeTraining, trainEpoch, type EngineChoice, type HostTensor } from './graph';
import { createOptimizer, disposeOptimizer, setLearningRate } from './optimizer';
import { headArrays, splitArrays, splitTensors, tensorsOf, type SplitTensors } from './split-arrays';
import { evaluateEager, validate } from './validation';
import { HealthProbe, perExampleLoss, probeSize, type ExampleLoss } from './probe';
import { mixSeed, permutation } from './rng';
import { dependsOnTotalEpochs, learningRateAt } from './schedule';
import type { EpochResult, EvaluateRequest, SegmentRequest, SegmentResult } from './types';
import { specReadsMetric } from '../spec/objective';
import { isPbt, pbtMutable } from '../spec/pbt';
import type { ExperimentSpec } from '../spec/types';

/** Mixed into the dropout seed, so masks are a stream of their own (not the shuffle's). */
const DROPOUT_STREAM = 0x64726f70;
/** How often training yields to the event loop so timers (heartbeats) and cancellation get through. */
const YIELD_EVERY_MS = 200;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const without = <T extends object>(value: T, keys: readonly string[]): T =>
  Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key))) as T;

/**
 * Everything that determines a trial's weights; checkpoints of another configuration are refused. With
 * scheduler pbt a member's checkpoint may be its donor's (copied by the exploit step) and its mutable
 * parameters change between segments: the identity then leaves out the seed and the mutable parameters,
 * and keeps everything that fixes the model's shape (docs/pbt.md). Other specs hash exactly as before.
 */
function configHash(spec: ExperimentSpec, config: TrialConfig, seed: number, totalEpochs: number, fold: Fold | undefined): string {
  const mutable = pbtMutable(spec);
  const pbt = isPbt(spec);
  const identity = {
    dataset: spec.dataset,
    dataSeed: spec.seed,
    validationSplit: spec.training.validationSplit,
    family: config.family.name,
    module: spec.model.module,
    hyper: pbt ? without(config.hyper, mutable) : config.hyper,
    optimizer: pbt ? without(config.optimizer, mutable) : config.optimizer,
    seed: pbt ? undefined : seed,
    // Schedule settings are in `hyper`; a cosine schedule's rates also depend on the job's length.
    totalEpochs: dependsOnTotalEpochs(config.schedule) ? totalEpochs : undefined,
    // Absent without cross-validation, so the hashes of existing checkpoints do not change.
    fold,
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

/** A user's model module, loaded from under the worker's roots; undefined for a built-in family. */
async function userFamily(spec: ExperimentSpec, roots: readonly string[] | undefined): Promise<ModelFamily | undefined> {
  return spec.model.module ? moduleFamily(spec.model.module, roots) : undefined;
}

function datasetFor(spec: ExperimentSpec): Promise<Dataset> {
  return loadDataset(spec.dataset, { seed: spec.seed, validationSplit: spec.training.validationSplit });
}

/**
 * Lets timers run during long epochs, stops training at the next batch once the signal aborts, and
 * keeps every batch's loss for the health metrics (as tensors: reading each one would sync per batch).
 */
function batchHook(tf: Tf, model: LayersModel, signal: AbortSignal | undefined) {
  class BatchHook extends tf.Callback {
    private lastYield = performance.now();
    private losses: (Tensor | number)[] = [];
    override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
      const loss = logs?.loss as Tensor | number | undefined;
      if (loss !== undefined) this.losses.push(typeof loss === 'number' ? loss : tf.clone(loss));
      if (signal?.aborted) model.stopTraining = true;
      if (performance.now() - this.lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.lastYield = performance.now();
      }
    }
    dispose(): void {
      tf.dispose(this.losses.filter((l): l is Tensor => typeof l !== 'number'));
      this.losses = [];
    }
    /** The batch losses since the last call, read in one transfer. */
    async takeLosses(): Promise<number[]> {
      const taken = this.losses;
      this.losses = [];
      const tensors = taken.filter((l): l is Tensor => typeof l !== 'number');
      const stacked = tensors.length > 0 ? tf.stack(tensors) : null;
      tf.dispose(tensors);
      const values = stacked ? Array.from(await stacked.data()) : [];
      stacked?.dispose();
      let next = 0;
      return taken.map((l) => (typeof l === 'number' ? l : values[next++]!));
    }
  }
  return new BatchHook();
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('training segment aborted'), { name: 'AbortError' });
}

/**
 * What is not finite after an epoch: the loss, or else the weights. The weights are checked too because
 * the cross-entropy clips probabilities, so a model whose weights are NaN still reports a finite loss.
 * After a graph epoch the weights' values the engine just pulled (`pulled`, model.weights' order) are
 * summed here, in float64, instead of reading every weight of the tfjs model again.
 */
function divergence(tf: Tf, model: LayersModel, metrics: Record<string, number>, pulled: readonly HostTensor[] | null): string | null {
  for (const key of ['loss', 'val_loss']) {
    if (key in metrics && !Number.isFinite(metrics[key])) return key;
  }
  const weights = model.trainableWeights;
  const sums = pulled ? pulledSums(model, pulled) : tf.tidy(() => tf.stack(weights.map((w) => tf.sum(w.read()))).dataSync());
  const bad = weights.filter((_, i) => !Number.isFinite(sums[i]!)).map((w) => w.originalName);
  return bad.length > 0 ? `weights of ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ', …' : ''}` : null;
}

/**
 * The sum of each of model.trainableWeights' values, from `pulled` (model.weights' values, in order):
 * in float64, so not finite exactly when one of its float32 values is not.
 */
export function pulledSums(model: LayersModel, pulled: readonly HostTensor[]): number[] {
  const at = new Map(model.weights.map((w, i) => [w, i]));
  return model.trainableWeights.map((w) => {
    const values = pulled[at.get(w) ?? -1]?.data;
    if (!values) throw new Error(`no pulled values for weight ${w.originalName}`);
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += Number(values[i]);
    return sum;
  });
}

function compile(tf: Tf, model: LayersModel, optimizer: Optimizer, config: TrialConfig, task: Task): void {
  model.compile({ optimizer, loss: taskLoss(tf, config, task), metrics: [...TASK_METRICS[task]] });
}

/** The compiled loss per example, for the health probe's gradients. */
function exampleLoss(tf: Tf, config: TrialConfig, task: Task): ExampleLoss {
  const loss = taskLoss(tf, config, task);
  const perExample = perExampleLoss(tf, loss);
  if (!perExample) throw new InvalidConfigurationError(`model "${config.family.name}": the health probe does not know the loss "${String(loss)}"`);
  return perExample;
}

function checkRange(fromEpoch: number, toEpoch: number): void {
  if (!Number.isInteger(fromEpoch) || fromEpoch < 0) throw new InvalidConfigurationError(`fromEpoch must be an integer >= 0, got ${fromEpoch}`);
  if (!Number.isInteger(toEpoch) || toEpoch <= fromEpoch) {
    throw new InvalidConfigurationError(`toEpoch must be an integer > fromEpoch (${fromEpoch}), got ${toEpoch}`);
  }
}

/** Trains epochs (fromEpoch, toEpoch] of one trial; see the file comment for the retry rules. */
export async function trainSegment(req: SegmentRequest): Promise<SegmentResult> {
  // k-fold cross-validation: one model per fold, each an ordinary segment in its own folder.
  return crossValidates(req) ? trainFolds(req, trainModel) : trainModel(req, undefined);
}

/** One model's segment: the trial's, or one fold's (trained on the fold's data, checkpoints marked with it). */
export async function trainModel(req: SegmentRequest, fold: Fold | undefined): Promise<SegmentResult> {
  const wallStart = performance.now();
  const { spec, params, seed, fromEpoch, toEpoch, checkpointDir: dir } = req;
  checkRange(fromEpoch, toEpoch);
  const config = resolveTrialConfig(spec, params, await userFamily(spec, req.trainablesRoots));
  const totalEpochs = req.totalEpochs ?? spec.training.epochs;
  const hash = configHash(spec, config, seed, totalEpochs, fold);

  await mkdir(dir, { recursive: true });
  await removeStaleTemps(dir);
  const existing = await listCheckpoints(dir);
  if (fromEpoch > 0 && !existing.includes(fromEpoch)) {
    const later = existing.filter((epoch) => epoch > fromEpoch);
    throw new CheckpointError(
      later.length > 0
        ? `cannot resume from epoch ${fromEpoch}: ${checkpointPath(dir, fromEpoch)} is missing but epoch ${later.join(', ')} exists; fromEpoch is wrong`
        : `cannot resume from epoch ${fromEpoch}: no checkpoint ${checkpointPath(dir, fromEpoch)}`,
    );
  }
  // A retry after a kill: continue from the newest checkpoint this segment already produced.
  const resumeEpoch = Math.max(fromEpoch, ...existing.filter((epoch) => epoch <= toEpoch));
  let resumed: CheckpointState | null = null;
  if (resumeEpoch > 0) {
    resumed = await readCheckpointState(checkpointPath(dir, resumeEpoch));
    if (resumed.configHash !== hash) {
      throw new CheckpointError(
        `${checkpointPath(dir, resumeEpoch)} was trained with another configuration (data set, model, hyperparameters, optimizer or seed); ` +
          `use a new checkpoint folder for a new trial`,
      );
    }
  }
  const epochs = (resumed?.history ?? []).filter((e) => e.epoch > fromEpoch && e.epoch <= resumeEpoch);
  for (const epoch of epochs) await req.onEpoch?.(epoch);

  const tf = await loadTf();
  registerCustomLayers(tf);
  if (resumeEpoch === toEpoch) {
    return {
      epochs,
      checkpoint: checkpointPath(dir, toEpoch),
      trainSeconds: 0,
      wallSeconds: (performance.now() - wallStart) / 1000,
      trainedEpochs: 0,
      backend: tf.getBackend(),
      device: deviceOf(tf),
      paramCount: resumed!.paramCount,
      family: resumed!.family,
    };
  }

  const dataset = fold ? foldDataset(await datasetFor(spec), fold, spec.seed) : await datasetFor(spec);
  const task = taskOf(dataset);
  const family = resolveFamily(config.family, modelInput(dataset, seed)).name;
  const history = resumed?.history.filter((e) => e.epoch <= resumeEpoch) ?? [];
  let model: LayersModel | null = null;
  let optimizer: Optimizer | null = null;
  let hook: ReturnType<typeof batchHook> | null = null;
  let choice: EngineChoice | null = null;
  let finished = false;
  /** The contentDigest of the segment's last checkpoint, written from the graph engine's state. */
  let lastDigest: string | undefined;
  const tensors: Tensor[] = [];
  let trainSeconds = 0;
  try {
    const engineSettings = { optimizer: config.optimizer, loss: taskLossKind(config, task), numClasses: dataset.numClasses };
    // The model, optimizer and engine the trial's last segment left in this process, when the checkpoint
    // this one resumes from is the one they wrote (training/graph/reuse.ts): nothing to load, compile or copy.
    const kept = resumed ? takeTraining(dir, requestedEngine() === 'graph' ? resumed.contentDigest : undefined, engineSettings) : null;
    if (kept) {
      ({ model, optimizer } = kept);
      choice = { engine: kept.engine, reason: null, options: kept.options, reused: true };
    } else {
      model = resumed
        ? await loadCheckpointModel(tf, checkpointPath(dir, resumeEpoch))
        : config.family.build(tf, modelInput(dataset, seed), config.hyper);
      optimizer = createOptimizer(tf, config.optimizer);
      compile(tf, model, optimizer, config, task);
      if (resumed) await restoreOptimizer(tf, checkpointPath(dir, resumeEpoch), optimizer);
    }
    const paramCount = model.countParams();

    const variances = { train: targetVariance(dataset.train), validation: targetVariance(dataset.validation) };
    // A fold's splits are made anew every segment (foldDataset): their arrays would never be found again.
    const keepArrays = fold === undefined;
    const trainArrays = splitArrays(dataset, dataset.train, keepArrays);
    // The graph engine where it covers the model (training/graph/); the tfjs model stays the source of
    // truth between epochs, so health, checkpoints and export are the same for both engines; validation
    // runs inside the graph engine (training/validation.ts), in inference mode as model.evaluate does.
    choice ??= await chooseEngine(tf, model, optimizer, engineSettings);
    const graph = choice.engine ? { engine: choice.engine, data: trainArrays } : null;
    // Whole-split tensors only where tfjs reads the whole split: the eager engine's epochs and validation.
    const disposedAtEnd = <T extends SplitTensors>(t: T): T => (tensors.push(t.x, t.y), t);
    const eagerTrain = graph ? null : disposedAtEnd(tensorsOf(tf, dataset, dataset.train.count, trainArrays));
    const validationArrays = dataset.validation.count > 0 ? splitArrays(dataset, dataset.validation, keepArrays) : null;
    const validation = validationArrays
      ? { arrays: validationArrays, tensors: graph ? null : disposedAtEnd(tensorsOf(tf, dataset, dataset.validation.count, validationArrays)) }
      : null;
    hook = batchHook(tf, model, req.signal);
    // The probe batch: the first examples of the validation split (of the training split without one).
    const probeArrays = validationArrays ?? trainArrays;
    const probeCount = Math.min(probeSize(dataset.train.count), validationArrays ? dataset.validation.count : dataset.train.count);
    const probeBatch = headArrays(dataset, probeArrays, probeCount);
    const { x: probeX, y: probeY } = disposedAtEnd(tensorsOf(tf, dataset, probeCount, probeBatch));
    const probe = new HealthProbe(tf, model, probeX, probeY, exampleLoss(tf, config, task));
    // The peak leaves out the tensors of other trials' kept models and optimizers (training/graph/reuse.ts).
    const measure = async () => {
      const measured = await probe.measure();
      return { ...measured, peakBytes: measured.peakBytes - keptTensorBytes() };
    };
    // On the graph engine the probe's layers come from one session run of its graph, and the peak memory
    // (the model's and the probe batch's, the same every epoch) is measured eagerly once per trial: on
    // its first trained epoch, else carried over from the checkpoint's history.
    const graphProbe = graph?.engine.probes ? probeBatch : null;
    // The eager probe counts the tensors TF.js holds; the graph engine's data are arrays outside TF.js, and
    // count as the eager engine's data tensors do (docs/model-health.md: the epoch's data are part of the peak).
    const graphData = graph ? [trainArrays, validationArrays].reduce((sum, a) => sum + (a ? a.x.byteLength + a.y.byteLength : 0), 0) : 0;
    let peakBytes = [...history].reverse().find((e) => e.metrics.peak_memory_bytes !== undefined)?.metrics.peak_memory_bytes;
    // Inference latency costs six timed predictions: every epoch only when the spec ranks or constrains by it, else the last.
    const latencyEveryEpoch = specReadsMetric(spec, 'inference_ms_per_sample');

    for (let epoch = resumeEpoch + 1; epoch <= toEpoch; epoch++) {
      if (req.signal?.aborted) throw abortError(req.signal);
      const epochStart = performance.now();
      const lr = learningRateAt(config.optimizer.learningRate, config.schedule, epoch, totalEpochs);
      setLearningRate(optimizer, lr);
      const order = permutation(dataset.train.count, mixSeed(seed, epoch));
      // The graph engine gathers each batch natively; the eager path fits a shuffled copy of the data.
      const run = graph
        ? { on: 'graph' as const, ...graph }
        : {
            on: 'eager' as const,
            shuffled: tf.tidy(() => {
              const indices = tf.tensor1d(order, 'int32');
              return { x: tf.gather(eagerTrain!.x, indices), y: tf.gather(eagerTrain!.y, indices) };
            }),
          };
      let logs: Logs;
      let fitSeconds: number;
      let probed: LayerProbe[];
      let healthSeconds: number;
      let graphLosses: number[] | null = null;
      let pulled: HostTensor[] | null = null;
      try {
        const fitStart = performance.now();
        if (run.on === 'graph') {
          // Same batches as fit() with shuffle off; dropout masks seeded by (trial, epoch, step).
          const step = { order, batchSize: config.optimizer.batchSize, learningRate: lr, seedBase: mixSeed(seed, epoch, DROPOUT_STREAM) };
          const stats = await trainEpoch(run.engine, run.data, step, req.signal);
          if (req.signal?.aborted) throw abortError(req.signal);
          logs = epochMeans(stats);
          graphLosses = stats.losses;
          pulled = await syncToTfjs(tf, run.engine, model, optimizer);
        } else {
          const fitted = await model.fit(run.shuffled.x, run.shuffled.y, { epochs: 1, batchSize: config.optimizer.batchSize, shuffle: false, verbose: 0, callbacks: [hook] });
          logs = Object.fromEntries(Object.entries(fitted.history).map(([key, values]) => [key, Number(values[0])]));
        }
        fitSeconds = (performance.now() - fitStart) / 1000;
        if (req.signal?.aborted) throw abortError(req.signal);
        // While the epoch's shuffled copy is alive, so the peak counts everything a training step holds.
        const probeStart = performance.now();
        if (graph && graphProbe) {
          // The graph's layers from the start, so the probe's executor is made in the segment that built the engine.
          probed = graph.engine.probe(graphProbe.x, graphProbe.y);
          peakBytes ??= (await measure()).peakBytes + graphData;
        } else {
          ({ layers: probed, peakBytes } = await measure());
        }
        healthSeconds = (performance.now() - probeStart) / 1000;
      } finally {
        if (run.on === 'eager') tf.dispose([run.shuffled.x, run.shuffled.y]);
      }
      trainSeconds += fitSeconds;

      const trained = task === 'classification' ? [logs.acc ?? logs.accuracy!] : TASK_METRICS[task].map((name) => logs[name]!);
      const metrics: Record<string, number> = { loss: logs.loss!, ...namedMetrics(task, trained, '', variances.train) };
      if (validation) {
        const val = await validate(tf, graph?.engine ?? null, model, validation);
        metrics.val_loss = val.loss;
        Object.assign(metrics, namedMetrics(task, val.values, 'val_', variances.validation));
        metrics.val_examples = dataset.validation.count;
        if (epoch === totalEpochs || latencyEveryEpoch) {
          // The probe batch is the validation split's first rows, at least as many as the timing predicts.
          metrics.inference_ms_per_sample = await inferenceMsPerSample(tf, model, probeX);
        }
      }
      const diverged = divergence(tf, model, metrics, pulled);
      if (diverged) throw new TrainingDivergedError(epoch, metrics, diverged);
      const healthStart = performance.now();
      Object.assign(
        metrics,
        healthMetrics({ layers: probed, batchLosses: graphLosses ?? (await hook.takeLosses()), accuracy: qualityOf(task, metrics), paramCount }),
      );
      const seconds = (performance.now() - epochStart) / 1000;
      metrics.epoch_seconds = seconds;
      // The trial's training time so far, over every segment (the checkpoint's history holds the earlier epochs).
      metrics.train_seconds = history.reduce((sum, e) => sum + e.seconds, seconds);
      metrics.samples_per_second = dataset.train.count / fitSeconds;
      metrics.param_count = paramCount;
      metrics.peak_memory_bytes = peakBytes!;
      metrics.lr = lr;
      metrics.health_seconds = healthSeconds + (performance.now() - healthStart) / 1000;

      const result: EpochResult = { epoch, endedAt: Date.now(), seconds, metrics };
      history.push(result);
      // The segment's last checkpoint names its files' digest when the graph engine wrote it: the next
      // segment takes this one's model, optimizer and engine only from a checkpoint naming the same.
      const state = { format: 1 as const, epoch, seed, configHash: hash, paramCount, backend: tf.getBackend(), family, history };
      ({ contentDigest: lastDigest } = await writeCheckpoint(tf, dir, model, optimizer, state, { digest: graph !== null && epoch === toEpoch }));
      epochs.push(result);
      await req.onEpoch?.(result);
    }

    // Keep segment boundaries only: a retry of this segment needs epoch-<toEpoch> (and epoch-<fromEpoch>).
    await removeCheckpoints(
      dir,
      (await listCheckpoints(dir)).filter((epoch) => epoch > fromEpoch && epoch < toEpoch),
    );
    finished = true;
    return {
      epochs,
      checkpoint: checkpointPath(dir, toEpoch),
      trainSeconds,
      wallSeconds: (performance.now() - wallStart) / 1000,
      trainedEpochs: toEpoch - resumeEpoch,
      backend: tf.getBackend(),
      device: deviceOf(tf),
      paramCount,
      family,
      engine: choice.engine ? 'graph' : 'eager',
      ...(choice.reason ? { engineReason: choice.reason } : {}),
      ...(choice.reused ? { engineReused: true } : {}),
    };
  } catch (error) {
    if (isOutOfMemory(error)) throw new TrainingOutOfMemoryError(error instanceof Error ? error.message : String(error), { cause: error });
    throw error;
  } finally {
    // A finished graph segment's engine, model and optimizer hold what its last checkpoint does: kept for
    // the trial's next segment (for as many trials as the campaign trains at once: their segments may
    // take turns in this process). Anything else is freed.
    hook?.dispose();
    tf.dispose(tensors);
    if (finished && choice?.engine && choice.options && lastDigest !== undefined) {
      keepTraining(dir, { engine: choice.engine, options: choice.options, model: model!, optimizer: optimizer! }, lastDigest, spec.budget.maxConcurrentTrials);
    } else {
      choice?.engine?.dispose();
      model?.dispose();
      if (optimizer) disposeOptimizer(optimizer);
    }
  }
}

/** Loss and accuracy of a checkpoint on the test or validation split: `test_loss`, `test_accuracy` (or `val_*`). */
export async function evaluateCheckpoint(req: EvaluateRequest): Promise<Record<string, number>> {
  const tf = await loadTf();
  registerCustomLayers(tf);
  const config = resolveTrialConfig(req.spec, req.params, await userFamily(req.spec, req.trainablesRoots));
  const dataset = await datasetFor(req.spec);
  const split = req.split === 'test' ? dataset.test : dataset.validation;
  if (split.count === 0) throw new InvalidConfigurationError(`the ${req.split} split of ${dataset.name} is empty`);
  const model = await loadCheckpointModel(tf, req.checkpoint);
  const optimizer = tf.train.sgd(0); // evaluate() needs a compiled model; nothing is trained
  const { x, y } = splitTensors(tf, dataset, split);
  const task = taskOf(dataset);
  try {
    compile(tf, model, optimizer, config, task);
    const { loss, values } = await evaluateEager(tf, model, x, y);
    const prefix = req.split === 'test' ? 'test_' : 'val_';
    return { [`${prefix}loss`]: loss, ...namedMetrics(task, values, prefix, targetVariance(split)) };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}

export interface ExportedFile {
  name: string;
  path: string;
  content: Buffer;
}

/**
 * Copies a checkpoint's model (tfjs layers format: model.json + weights.bin, loadable with
 * tf.loadLayersModel('file://<destDir>/model.json')) to `destDir`, e.g. for the best model's MLflow artifact.
 */
export async function exportModel(checkpoint: string, destDir: string): Promise<ExportedFile[]> {
  await mkdir(destDir, { recursive: true });
  const files: ExportedFile[] = [];
  for (const name of ['model.json', 'weights.bin']) {
    const path = join(destDir, name);
    await copyFile(join(checkpoint, name), path);
    files.push({ name, path, content: await readFile(path) });
  }
  return files;
}
