// `tuneflow train <spec> [--set key=value ...] [--params FILE] [--epochs N] [--checkpoint-dir DIR] [--json] [--verbose]`
// and `tuneflow train --from <campaign-id> [spec] [...]`: trains ONE configuration of a spec, without Temporal or
// search, then evaluates it on the test split. With MLFLOW_TRACKING_URI set it is logged as an MLflow run (the
// spec's experiment, tag tuneflow.stage=train): its full configuration as params, metrics per epoch, test metrics.
//
// The configuration: the spec's fixed settings, `--set` overrides, then the settings of `--params FILE` (a
// campaign's best_hyperparameters.yaml, or a plain `key: value` map) or of `--from ID` (that finished campaign's
// best configuration and, without a spec argument, its spec; read from MLflow), and for every other search-space
// parameter the spec's first enqueued configuration if it has one, else the centre of the space (as
// Optuna's first trial of a space would sit): geometric mean for log parameters, arithmetic mean
// (on the grid) otherwise, the first choice of a categorical. The chosen values and where each came
// from are printed. `--set` wins over `--params` / `--from`.
//
// `--set` keys (values are YAML: `--set batchSize=64` is a number, `--set model.batchNorm=true` a boolean):
//   <param>            a hyperparameter: fixes a search-space parameter, or adds one the model or the
//                      optimizer reads (so it is recorded like any other parameter)
//   model.family       the model family; model.<key> a model option, fixed as a search-space parameter so
//                      it is recorded with the params
//   dataset.name       the data set; dataset.<key> a data set option
//   training.<key>, budget.<key>, retrain.<key>, resources.<key>, tracking.<key>, seed: that spec field
//                      (as written in the YAML, e.g. budget.maxDuration=2h)
// `applySpecOverrides` is exported so `tuneflow run --set` can apply the same rules to a whole campaign.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LineCounter, parse as parseYaml, parseDocument } from 'yaml';
import { finishedCampaign } from '../activities/lineage';
import { fixedParams } from '../activities/tracking';
import { engineTags } from '../activities/training';
import { parseExperiment } from '../catalog';
import { MlflowClient } from '../mlflow/client';
import { ensureExperiment, ensureRun, finishRun, logEpochMetrics, logMetricsOnce, paramTexts } from '../mlflow/runs';
import { buildParams, fromUnit, parseSpace, type Params, type Scalar } from '../search';
import { readSpecText, SpecError } from '../spec';
import { formatPath, SourceLocator } from '../spec/yaml-locate';
import type { ExperimentSpec } from '../spec/types';
import {
  backendInfo,
  CheckpointError,
  DATASETS,
  DatasetChecksumError,
  DatasetUnavailableError,
  InvalidConfigurationError,
  loadDataset,
  MODELS,
  modelInput,
  resolveFamily,
  TRAINING_HYPERPARAMETERS,
  TrainingDivergedError,
  TrainableError,
  trainableFor,
  TrainingOutOfMemoryError,
  trialConfiguration,
  type EpochResult,
} from '../training';
import { setConsoleVerbosity, stateDir } from './config';
import { readState } from './services/local';

/** A `--set` that cannot apply: names the key and what would work. */
export class OverrideError extends Error {
  override readonly name = 'OverrideError';
}

export interface Override {
  key: string;
  value: unknown;
}

/** `key=value` with a YAML-typed value. */
export function parseOverride(text: string): Override {
  const at = text.indexOf('=');
  if (at <= 0) throw new OverrideError(`--set ${text}: expected key=value, e.g. --set learningRate=0.01 or --set model.activation=swish`);
  const key = text.slice(0, at).trim();
  const raw = text.slice(at + 1);
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : parseYaml(raw);
  } catch {
    value = raw; // not valid YAML on its own (e.g. "a: b: c"): take it as the string it is
  }
  return { key, value };
}

const SECTIONS = ['training', 'budget', 'retrain', 'resources', 'tracking'] as const;

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

/**
 * Applies `--set` overrides to a spec's YAML and parses the result like any spec (same rules, same
 * messages, line numbers of the rewritten text). Works on the YAML document, not the normalized spec,
 * so the result is an ordinary spec text: `tuneflow run` can start a campaign from it (loadSpec's
 * `specText`). A hyperparameter override becomes a fixed search-space parameter (keeping its `when`),
 * so it is recorded like any other parameter.
 */
export function applySpecOverrides(text: string, fileName: string, overrides: readonly Override[]): { text: string; spec: ExperimentSpec } {
  // Paths to the user's code stay relative to the spec file, also in the rewritten text.
  const baseDir = resolve(dirname(fileName));
  const original = parseExperiment(text, fileName, baseDir);
  if (overrides.length === 0) return { text, spec: original };
  const doc = parseDocument(text);
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  // Family and data set first: the other keys are checked against them.
  const familyOverride = overrides.find((o) => o.key === 'model.family');
  const datasetOverride = overrides.find((o) => o.key === 'dataset.name');
  const family = familyOverride ? String(familyOverride.value) : original.model.family;
  const datasetName = datasetOverride ? String(datasetOverride.value) : original.dataset.name;
  const space = original.search.space;
  const known = knownSettings(family);
  // A user's model module or trainable reads whatever parameters it likes.
  const anyKey = Boolean(original.trainable ?? original.model.module);

  /** `model: mlp` (or `dataset: mnist`) becomes `{family: mlp, options: {}}` before an option is set. */
  const asObject = (section: 'model' | 'dataset', nameKey: 'family' | 'name') => {
    if (typeof raw[section] === 'string') {
      doc.set(section, doc.createNode({ [nameKey]: raw[section], options: {} }));
      raw[section] = { [nameKey]: raw[section] };
    }
  };
  const fixSpaceParam = (name: string, value: unknown, key: string) => {
    if (!isScalar(value)) throw new OverrideError(`--set ${key}: a hyperparameter takes a number, string or boolean, got ${JSON.stringify(value)}`);
    const current = space[name];
    const when = current && typeof current === 'object' && 'when' in current ? current.when : undefined;
    doc.setIn(['search', 'space', name], doc.createNode(when ? { type: 'fixed', value, when } : value));
  };

  for (const { key, value } of overrides) {
    const [head, ...rest] = key.split('.');
    const leaf = rest.join('.');
    if (key === 'model.family' || key === 'dataset.name') {
      const registry = key === 'model.family' ? MODELS : DATASETS;
      if (typeof value !== 'string' || !(value in registry)) {
        throw new OverrideError(`--set ${key}: unknown ${key === 'model.family' ? 'model family' : 'data set'} ${JSON.stringify(value)} (known: ${Object.keys(registry).join(', ')})`);
      }
      // Another data set's options would not apply: it starts from its defaults (plus dataset.<key> overrides).
      if (key === 'dataset.name') doc.set('dataset', doc.createNode({ name: value, options: {} }));
      else if (typeof raw.model === 'string') doc.set('model', value);
      else doc.setIn(['model', 'family'], value);
    } else if (head === 'model' && leaf) {
      if (!anyKey && !known.includes(leaf)) throw new OverrideError(`--set ${key}: model "${family}" has no option "${leaf}" (known: ${known.join(', ')})`);
      // A fixed search-space parameter (not a model option), so the value is logged with the trial's params.
      fixSpaceParam(leaf, value, key);
    } else if (head === 'dataset' && leaf) {
      const options = Object.keys(DATASETS[datasetName]?.options ?? {});
      if (!options.includes(leaf)) throw new OverrideError(`--set ${key}: data set "${datasetName}" has no option "${leaf}" (known: ${options.join(', ')})`);
      if (!datasetOverride) asObject('dataset', 'name');
      doc.setIn(['dataset', 'options', leaf], doc.createNode(value));
    } else if ((SECTIONS as readonly string[]).includes(head!) && leaf) {
      doc.setIn([head!, leaf], doc.createNode(value)); // unknown fields fail validation with the allowed ones
      // A trial's params override spec.training: fix a space parameter of the same name too.
      if (head === 'training' && leaf in space) fixSpaceParam(leaf, value, key);
    } else if (key === 'seed') {
      doc.set('seed', value);
    } else if (rest.length === 0 && (key in space || anyKey || known.includes(key))) {
      fixSpaceParam(key, value, key);
    } else {
      throw new OverrideError(
        `--set ${key}: unknown key. Use a hyperparameter of model "${family}" or the optimizer (${known.join(', ')}), ` +
          `a search-space parameter, model.<option>, dataset.<option>, ${SECTIONS.map((s) => `${s}.<field>`).join(', ')} or seed`,
      );
    }
  }
  const rewritten = doc.toString();
  return { text: rewritten, spec: parseExperiment(rewritten, `${basename(fileName)} with --set`, baseDir) };
}


/** Where a parameter's value came from, for the printout. */
export type ParamSource = 'fixed' | 'enqueued' | 'center' | 'first choice' | '--params' | '--from';

/**
 * The configuration `train` uses: `given` settings (default: the first enqueued configuration; search
 * parameters its values leave inactive are dropped, settings outside the space are kept), else the
 * centre of the space.
 */
export function defaultParams(
  spec: ExperimentSpec,
  given: Params = spec.search.enqueue[0] ?? {},
  givenSource: ParamSource = 'enqueued',
): { params: Params; sources: Record<string, ParamSource> } {
  const space = parseSpace(spec.search.space);
  const sources: Record<string, ParamSource> = {};
  const params = buildParams(space, given, (param) => {
    sources[param.name] = param.type === 'categorical' ? 'first choice' : 'center';
    return param.type === 'categorical' ? param.choices[0]! : fromUnit(param, 0.5);
  });
  for (const [name, value] of Object.entries(given)) if (!space.byName.has(name)) params[name] = value;
  for (const name of Object.keys(params)) {
    sources[name] ??= name in given || space.byName.get(name)?.type !== 'fixed' ? givenSource : 'fixed';
  }
  return { params, sources };
}

/** Every setting a configuration may hold for `family`: its hyperparameters and the training ones. */
function knownSettings(family: string): string[] {
  return [...Object.keys(MODELS[family]?.hyperparameters ?? {}), ...Object.keys(TRAINING_HYPERPARAMETERS)];
}

/**
 * A configuration file (`--params`): a campaign's best_hyperparameters.yaml (its `params` map) or a plain
 * map of settings. Problems name the file, line, column and field.
 */
/** `family` null: the spec's own code (a model module, a trainable) reads any setting. */
export function parseParamsFile(text: string, file: string, family: string | null): Params {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const fail = (path: (string | number)[], message: string, target: 'key' | 'value' = 'value'): never => {
    const at = new SourceLocator(doc, lineCounter).position(path, target);
    throw new SpecError([{ file, line: at.line, column: at.column, path: formatPath(path), message }]);
  };
  const syntax = doc.errors[0];
  if (syntax) {
    const at = lineCounter.linePos(syntax.pos[0]);
    throw new SpecError([{ file, line: at.line, column: at.col, path: '', message: `not valid YAML (${syntax.message.split('\n')[0]})` }]);
  }
  const data: unknown = doc.toJS();
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const root = isMap(data) && 'params' in data ? ['params'] : [];
  const settings = root.length > 0 ? (data as Record<string, unknown>).params : data;
  if (!isMap(settings)) return fail(root, 'expected a map of settings such as `learningRate: 0.01` (or a best_hyperparameters.yaml with `params:`)');
  const known = family === null ? null : knownSettings(family);
  for (const [key, value] of Object.entries(settings)) {
    if (known && !known.includes(key)) fail([...root, key], `model "${family}" and the training settings have no setting "${key}" (known: ${known.join(', ')})`, 'key');
    if (!isScalar(value)) fail([...root, key], `must be a number, string or boolean, got ${JSON.stringify(value)}`);
  }
  return settings as Params;
}

interface TrainReport {
  params: Params;
  paramSources: Record<string, ParamSource | 'set'>;
  model: string;
  dataset: string;
  epochs: ({ epoch: number } & Record<string, number>)[];
  test: Record<string, number>;
  samplesPerSecond: number;
  backend: string;
  /** `graph` or `eager` (tuneflow's engine; null for a trainable or when no epoch was trained). */
  engine: 'graph' | 'eager' | null;
  /** Why the engine was `eager`. */
  engineReason: string | null;
  /** The npm package behind the backend, e.g. @tensorflow/tfjs-node. */
  backendPackage: string;
  /** Parameters of the model (tuneflow's engine; null for a trainable). */
  paramCount: number | null;
  trainSeconds: number;
  wallSeconds: number;
  checkpoint: string | null;
  /** The MLflow run, when MLFLOW_TRACKING_URI is set. */
  mlflow: { experimentId: string; runId: string } | null;
}

const USER_ERRORS = [OverrideError, InvalidConfigurationError, DatasetUnavailableError, DatasetChecksumError, CheckpointError, TrainableError];

/** `tuneflow train` runs the user's own spec on their own machine: their code may live anywhere. */
const OWN_MACHINE = ['/'];

/**
 * Prints the data set (tuneflow's engine loads it) and names the model: `shown` for the console (`auto ->
 * cnn`), `model` for the report (the family that trained, or the user's code).
 */
async function describeData(spec: ExperimentSpec, out: (line: string) => void): Promise<{ shown: string; model: string; regression?: boolean }> {
  const same = (name: string) => ({ shown: name, model: name });
  if (spec.trainable) return same(spec.trainable.kind === 'command' ? `command [${spec.trainable.command.join(' ')}]` : `function ${spec.trainable.module.path}#${spec.trainable.module.export}`);
  const dataset = await loadDataset(spec.dataset, { seed: spec.seed, validationSplit: spec.training.validationSplit });
  out(`data:   ${dataset.name} (${dataset.kind} [${dataset.inputShape.join(', ')}], ${dataset.numClasses} ${dataset.kind === 'series' ? 'targets' : 'classes'}; ${dataset.train.count} train, ${dataset.validation.count} validation, ${dataset.test.count} test)`);
  const regression = dataset.kind === 'series';
  if (spec.model.module) return { ...same(`module ${spec.model.module.path}#${spec.model.module.export}`), regression };
  const family = resolveFamily(MODELS[spec.model.family]!, modelInput(dataset, spec.seed));
  return { shown: family.name === spec.model.family ? family.name : `${spec.model.family} -> ${family.name}`, model: family.name, regression };
}
const TRAINING_ERRORS = [TrainingDivergedError, TrainingOutOfMemoryError];

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

/**
 * The MLflow run of a `train`: in the spec's experiment, tagged tuneflow.stage=train, with the fixed
 * settings a campaign's parent run logs and the full configuration a trial run logs as params.
 */
async function startTrainRun(mlflow: MlflowClient, spec: ExperimentSpec, specText: string, params: Params, from: string | undefined) {
  const experimentId = await ensureExperiment(mlflow, spec.tracking.experimentName);
  const { runId } = await ensureRun(mlflow, {
    experimentId,
    key: { 'tuneflow.stage': 'train', 'tuneflow.train_id': randomUUID() },
    runName: `train-${spec.name}`,
    tags: { ...spec.tracking.tags, 'tuneflow.spec_name': spec.name, ...(from !== undefined ? { 'tuneflow.source_campaign': from } : {}) },
    params: { ...fixedParams(spec), ...paramTexts(trialConfiguration(spec, params)) },
  });
  await mlflow.logArtifact(runId, 'experiment.yaml', specText);
  return { mlflow, experimentId, runId };
}

/** A finished campaign's spec and best configuration, read from MLflow (as `tuneflow fork` reads it). */
async function campaignBest(mlflow: MlflowClient, campaignId: string): Promise<{ specText: string; best: string }> {
  const { run, specText } = await finishedCampaign(mlflow, campaignId);
  const best = await mlflow.downloadArtifact(run.info.runId, 'best_hyperparameters.yaml').catch(() => {
    throw new OverrideError(`--from ${campaignId}: the campaign has no best_hyperparameters.yaml (no trial completed?)`);
  });
  return { specText, best: best.toString('utf8') };
}

/** MLflow from the environment, else the local server `tuneflow run` started; null when there is none. */
function mlflowFromEnvironment(local: boolean): MlflowClient | null {
  const uri = process.env.MLFLOW_TRACKING_URI ?? (local ? readState(stateDir()).mlflow?.url : undefined);
  return uri ? new MlflowClient({ trackingUri: uri }) : null;
}

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      set: { type: 'string', multiple: true },
      params: { type: 'string' },
      from: { type: 'string' },
      epochs: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      'checkpoint-dir': { type: 'string' },
    },
  });
  setConsoleVerbosity(values.verbose);
  const json = values.json === true;
  const out = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  try {
    const from = values.from;
    if (from !== undefined && values.params !== undefined) throw new OverrideError('train: give --params FILE or --from CAMPAIGN, not both');
    if (positionals.length > 1 || (positionals.length === 0 && from === undefined)) {
      throw new OverrideError('train: give one spec file, e.g. `tuneflow train experiments/quickstart.yaml --set learningRate=0.01`, or --from CAMPAIGN');
    }
    let specPath = positionals[0];
    let text = specPath === undefined ? undefined : await readSpecText(specPath);
    let given: { text: string; file: string; source: ParamSource } | null = null;
    if (from !== undefined) {
      const mlflow = mlflowFromEnvironment(true);
      if (!mlflow) throw new OverrideError(`--from ${from}: no MLflow to read the campaign from: set MLFLOW_TRACKING_URI (or start the local services with \`tuneflow run\`)`);
      const campaign = await campaignBest(mlflow, from);
      text ??= campaign.specText;
      specPath ??= `${from}/experiment.yaml`;
      given = { text: campaign.best, file: `${from}/best_hyperparameters.yaml`, source: '--from' };
    } else if (values.params !== undefined) {
      const file = values.params;
      const paramsText = await readFile(resolve(file), 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new OverrideError(`--params ${file}: cannot read the file (${error.code ?? error.message})`);
      });
      given = { text: paramsText, file, source: '--params' };
    }
    const overrides = (values.set ?? []).map(parseOverride);
    if (values.epochs !== undefined) {
      const epochs = Number(values.epochs);
      if (!Number.isInteger(epochs) || epochs < 1) throw new OverrideError(`--epochs must be a positive integer, got ${JSON.stringify(values.epochs)}`);
      overrides.push({ key: 'training.epochs', value: epochs });
    }
    const applied = applySpecOverrides(text!, specPath!, overrides);
    const { spec } = applied;
    // A --set key names the setting after its section: model.units and training.batchSize set units and batchSize.
    const setNames = new Set(overrides.map(({ key }) => (key.startsWith('model.') || key.startsWith('training.') ? key.slice(key.indexOf('.') + 1) : key)));
    const givenParams = given ? parseParamsFile(given.text, given.file, spec.trainable || spec.model.module ? null : spec.model.family) : undefined;
    const { params, sources } = givenParams
      ? defaultParams(spec, Object.fromEntries(Object.entries(givenParams).filter(([k]) => !setNames.has(k))), given!.source)
      : defaultParams(spec);
    const paramSources: Record<string, ParamSource | 'set'> = { ...sources };
    for (const name of setNames) if (name in params) paramSources[name] = 'set';
    const tracking = process.env.MLFLOW_TRACKING_URI ? await startTrainRun(mlflowFromEnvironment(false)!, spec, applied.text, params, from) : null;
    if (tracking) out(`mlflow: run ${tracking.runId} in experiment "${spec.tracking.experimentName}"`);

    const modelName = await describeData(spec, out);
    out(`model:  ${modelName.shown}${Object.keys(spec.model.options).length ? ` ${JSON.stringify(spec.model.options)}` : ''}`);
    out(`params: ${Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)} (${paramSources[k]})`).join(', ') || '(none)'}`);

    const keep = values['checkpoint-dir'] !== undefined;
    const checkpointDir = keep ? resolve(values['checkpoint-dir']!) : await mkdtemp(join(tmpdir(), 'tuneflow-train-'));
    const abort = new AbortController();
    const onSignal = () => abort.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    // Time series (regression) record mse/mae/r2 instead of accuracies.
    const quality = modelName.regression ? ['mae', 'val_loss', 'val_mae', 'val_r2'] : ['accuracy', 'val_loss', 'val_accuracy'];
    const columns = ['epoch', 'loss', ...quality, 'epoch_seconds', 'samples_per_second'];
    if (!json) out(columns.map((c) => c.padStart(c === 'epoch' ? 5 : 12)).join(' '));
    const wallStart = performance.now();
    try {
      const trainable = trainableFor(spec);
      const job = { campaign: 'tuneflow-train', trial: 0, stage: 'search' as const };
      const result = await trainable.trainSegment({
        spec,
        params,
        seed: spec.seed,
        fromEpoch: 0,
        toEpoch: spec.training.epochs,
        checkpointDir,
        job,
        trainablesRoots: OWN_MACHINE,
        signal: abort.signal,
        onEpoch: async (e: EpochResult) => {
          if (json) out(`epoch ${e.epoch}/${spec.training.epochs}: ${Object.entries(e.metrics).map(([k, v]) => `${k}=${format(v)}`).join(' ')}`);
          else out(columns.map((c) => (c === 'epoch' ? String(e.epoch).padStart(5) : format(e.metrics[c] ?? NaN).padStart(12))).join(' '));
          if (tracking) await logEpochMetrics(tracking.mlflow, tracking.runId, [{ epoch: e.epoch, endedAt: Date.now(), metrics: e.metrics }]);
        },
      });
      const test = await trainable.evaluate({ spec, params, checkpoint: result.checkpoint, split: 'test', job, checkpointDir, epoch: spec.training.epochs, trainablesRoots: OWN_MACHINE });
      if (tracking) {
        if (result.engine) await tracking.mlflow.logBatch({ runId: tracking.runId, tags: engineTags(result) });
        await logMetricsOnce(tracking.mlflow, tracking.runId, test);
        await finishRun(tracking.mlflow, tracking.runId, 'FINISHED');
      }
      const info = await backendInfo();
      // Samples over training seconds of all epochs: each epoch trains on the same number of samples.
      const inverseRates = result.epochs.reduce((sum, e) => sum + 1 / (e.metrics.samples_per_second ?? Infinity), 0);
      const report: TrainReport = {
        params,
        paramSources,
        model: modelName.model,
        dataset: spec.dataset.name,
        epochs: result.epochs.map((e) => ({ epoch: e.epoch, ...e.metrics })),
        test,
        samplesPerSecond: result.epochs.length / inverseRates,
        backend: result.backend,
        engine: result.engine ?? null,
        engineReason: result.engineReason ?? null,
        backendPackage: info.package,
        paramCount: result.paramCount ?? null,
        trainSeconds: result.trainSeconds,
        wallSeconds: (performance.now() - wallStart) / 1000,
        checkpoint: keep ? result.checkpoint : null,
        mlflow: tracking ? { experimentId: tracking.experimentId, runId: tracking.runId } : null,
      };
      if (json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        out(`test:   ${Object.entries(test).map(([k, v]) => `${k}=${format(v)}`).join(' ')}`);
        const engine = result.engine ? `, ${result.engine} engine${result.engineReason ? ` (${result.engineReason})` : ''}` : '';
        out(`speed:  ${format(report.samplesPerSecond)} samples/s on ${info.package} (${result.backend}${engine}), ${result.paramCount} parameters, ${format(report.trainSeconds)} s training`);
        if (keep) out(`model:  ${result.checkpoint}`);
      }
      return 0;
    } catch (error) {
      if (tracking) await finishRun(tracking.mlflow, tracking.runId, abort.signal.aborted ? 'KILLED' : 'FAILED').catch(() => undefined);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      if (!keep) await rm(checkpointDir, { recursive: true, force: true });
    }
  } catch (error) {
    if (USER_ERRORS.some((type) => error instanceof type)) {
      process.stderr.write(`tuneflow train: ${(error as Error).message}\n`);
      return 2;
    }
    if (TRAINING_ERRORS.some((type) => error instanceof type)) {
      process.stderr.write(`tuneflow train: ${(error as Error).message}\n`);
      return 1;
    }
    throw error; // SpecError and the unexpected: the CLI's handler prints them
  }
}
