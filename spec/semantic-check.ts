// Checks that need several fields at once (the schema sees one field at a time). Pure: no I/O.
import type { FieldIssue } from './errors';
import type { SpecInput } from './normalize';
import { checkDataPaths, climbsOut } from './path-check';
import { checkPbt } from './pbt';
import { checkSpace } from './space-check';
import type { ExperimentSpec } from './types';

/** A data set or model setting that cannot work, found without loading data or building a model. */
export interface OptionProblem {
  key: string;
  /** What is wrong, without the key, e.g. `must be an integer >= 8, got 6`. */
  problem: string;
  /** The key is not a setting at all. */
  unknownKey?: boolean;
}

/** Registered names, when the caller knows them: a typo then fails at load time instead of mid-campaign. */
export interface KnownNames {
  datasets?: readonly string[];
  models?: readonly string[];
  samplers?: readonly string[];
  schedulers?: readonly string[];
  /** Hyperparameters a model family (with its optimizer) reads; space and model options may set only these. */
  hyperparameters?: (family: string) => readonly string[] | undefined;
  /** Metrics the training engine records each epoch; objectives must name one. */
  metrics?: readonly string[];
  /** Checks a data set's options (names and values) without loading data; null when they are fine. */
  datasetOptions?: (dataset: string, options: Record<string, unknown>) => OptionProblem | null;
  /** Checks model setting values (model options, training keys) without building a model; null when fine. */
  modelOptions?: (family: string, options: Record<string, unknown>) => OptionProblem | null;
}

/** `spec` is `input` normalized; paths point into `input`, where the user wrote the values. */
export function checkSpecSemantics(spec: ExperimentSpec, input: SpecInput, known: KnownNames = {}): FieldIssue[] {
  const issues: FieldIssue[] = checkSpace(spec.search.space, spec.search.enqueue).map((issue) => ({
    ...issue,
    path: ['search', ...issue.path],
  }));
  const { budget, training, retrain, resources } = spec;

  const firstUse = new Map<string, number>();
  spec.objective.forEach(({ metric }, index) => {
    const earlier = firstUse.get(metric);
    if (earlier === undefined) firstUse.set(metric, index);
    else issues.push({ path: ['objective', index, 'metric'], message: `repeats metric "${metric}" (already objective[${earlier}])` });
  });

  if (budget.maxConcurrentTrials > budget.maxTrials) {
    issues.push({
      path: ['budget', 'maxConcurrentTrials'],
      message: `must be <= budget.maxTrials (maxConcurrentTrials=${budget.maxConcurrentTrials}, maxTrials=${budget.maxTrials})`,
    });
  }
  const plateau = budget.stopWhen?.plateau;
  if (plateau && plateau.trials >= budget.maxTrials) {
    issues.push({
      path: ['budget', 'stopWhen', 'plateau', 'trials'],
      message: `must be < budget.maxTrials: the plateau rule compares the best value before the last ${plateau.trials} finished trials with the best after them, so it could never stop a campaign of ${budget.maxTrials} trials`,
    });
  }
  if (retrain.topK > budget.maxTrials) {
    issues.push({ path: ['retrain', 'topK'], message: `must be <= budget.maxTrials (topK=${retrain.topK}, maxTrials=${budget.maxTrials})` });
  }
  if (spec.search.enqueue.length > budget.maxTrials) {
    issues.push({
      path: ['search', 'enqueue', budget.maxTrials],
      message: `would never be tried: budget.maxTrials is ${budget.maxTrials} and search.enqueue has ${spec.search.enqueue.length} entries`,
    });
  }
  if (training.segmentEpochs > training.epochs) {
    issues.push({
      path: ['training', 'segmentEpochs'],
      message: `must be <= training.epochs (segmentEpochs=${training.segmentEpochs}, epochs=${training.epochs})`,
    });
  }
  if (resources.fallbackTaskQueue === resources.taskQueue) {
    issues.push({ path: ['resources', 'fallbackTaskQueue'], message: `must differ from resources.taskQueue ("${resources.taskQueue}")` });
  }

  const algorithmPath = (field: 'sampler' | 'scheduler'): (string | number)[] =>
    typeof input.search?.[field] === 'object' ? ['search', field, 'type'] : ['search', field];
  issues.push(
    ...checkRegistered('sampler', spec.search.sampler.type, known.samplers, algorithmPath('sampler')),
    ...checkRegistered('scheduler', spec.search.scheduler.type, known.schedulers, algorithmPath('scheduler')),
    ...checkDataPaths(spec.dataset.options),
    ...checkCodePaths(input),
    ...checkPbt(spec, input),
  );
  // A trainable brings its own model, data and metrics: tuneflow's registries do not apply to them.
  if (input.trainable) return [...issues, ...checkTrainable(spec, input)];
  const modelIssues = checkModelChoice(input);
  if (input.dataset === undefined) issues.push({ path: [], message: 'missing required field "dataset" (or a "trainable" that brings its own data)' });
  if (modelIssues.length > 0) return [...issues, ...modelIssues];
  const namePath = (field: 'dataset' | 'model', key: string): (string | number)[] =>
    typeof input[field] === 'string' ? [field] : [field, key];
  if (input.dataset !== undefined) issues.push(...checkRegistered('data set', spec.dataset.name, known.datasets, namePath('dataset', 'name')), ...checkDatasetOptions(spec, input, known));
  issues.push(...checkMetrics(spec, input, known));
  // A user's model module reads whatever keys it likes: only built-in families have a list to check against.
  if (spec.model.module) return issues;
  issues.push(...checkRegistered('model family', spec.model.family, known.models, namePath('model', 'family')));
  issues.push(...checkHyperparameters(spec, input, known), ...checkModelValues(spec, input, known));
  return issues;
}

/** `model`: a built-in family or a module of the user's, exactly one; `export` only with `module`. */
function checkModelChoice(input: SpecInput): FieldIssue[] {
  const model = input.model;
  if (model === undefined) return [{ path: [], message: 'missing required field "model" (a built-in family, {module: ./your-model.ts}, or a "trainable")' }];
  if (typeof model === 'string') return [];
  if (model.family !== undefined && model.module !== undefined) {
    return [{ path: ['model', 'module'], target: 'key', message: 'give either "family" (a built-in model) or "module" (your model file), not both' }];
  }
  if (model.family === undefined && model.module === undefined) {
    return [{ path: ['model'], message: 'needs "family" (a built-in model such as mlp or cnn) or "module" (your model file, e.g. ./models/net.ts)' }];
  }
  if (model.export !== undefined && model.module === undefined) return [{ path: ['model', 'export'], target: 'key', message: 'only goes with "module" (the export of your model file)' }];
  return [];
}

const COMMAND_ONLY = ['cwd', 'env', 'passEnv', 'gracePeriod'] as const;

/** `trainable`: a module or a command, each with only its own fields; no `model` beside it; plain metrics. */
function checkTrainable(spec: ExperimentSpec, input: SpecInput): FieldIssue[] {
  const trainable = input.trainable!;
  const issues: FieldIssue[] = [];
  if (input.model !== undefined) issues.push({ path: ['model'], target: 'key', message: 'a trainable trains its own model: remove "model" (or the "trainable")' });
  if (trainable.module !== undefined && trainable.command !== undefined) {
    issues.push({ path: ['trainable', 'command'], target: 'key', message: 'give either "module" (a training function) or "command" (a program), not both' });
  } else if (trainable.module === undefined && trainable.command === undefined) {
    issues.push({ path: ['trainable'], message: 'needs "module" (a .ts/.js file exporting a training function) or "command" (a program, e.g. [python3, train.py])' });
  } else if (trainable.module !== undefined) {
    for (const key of COMMAND_ONLY) {
      if (trainable[key] !== undefined) issues.push({ path: ['trainable', key], target: 'key', message: `only goes with "command" (a program), not with "module"` });
    }
  } else if (trainable.export !== undefined) {
    issues.push({ path: ['trainable', 'export'], target: 'key', message: 'only goes with "module" (the function to call), not with "command"' });
  }
  // Folds are data slices tuneflow's engine cuts; a trainable loads and splits its own data.
  if (spec.training.crossValidation !== undefined) {
    issues.push({
      path: ['training', 'crossValidation'],
      message: "k-fold cross-validation needs tuneflow's engine (it cuts the folds from the data set); a trainable splits its own data: remove training.crossValidation, or use a model module (model: {module: ...})",
    });
  }
  spec.objective.forEach((objective, index) => {
    if (objective.healthWeight) {
      const path = Array.isArray(input.objective) ? ['objective', index, 'health'] : ['objective', 'health'];
      issues.push({ path, message: "health-aware objectives need tuneflow's engine (health_score); a trainable reports its own metrics" });
    }
  });
  return issues;
}

/** Paths to the user's code that climb out of the spec's folder with `..` (the same rule as for data files). */
function checkCodePaths(input: SpecInput): FieldIssue[] {
  const written: [(string | number)[], string | undefined][] = [
    [['model', 'module'], typeof input.model === 'object' ? input.model.module : undefined],
    [['trainable', 'module'], input.trainable?.module],
    [['trainable', 'cwd'], input.trainable?.cwd],
    ...(input.trainable?.command ?? []).map((entry, i): [(string | number)[], string] => [['trainable', 'command', i], entry]),
  ];
  return written
    .filter((entry): entry is [(string | number)[], string] => entry[1] !== undefined && climbsOut(entry[1]))
    .map(([path, value]) => ({ path, message: `path "${value}" climbs out of the spec's folder with ".."; keep your code inside the project or give an absolute path without ".."` }));
}

function checkDatasetOptions(spec: ExperimentSpec, input: SpecInput, known: KnownNames): FieldIssue[] {
  const problem = known.datasetOptions?.(spec.dataset.name, spec.dataset.options);
  if (!problem) return [];
  const written = typeof input.dataset === 'object' ? input.dataset.options : undefined;
  if (written && problem.key in written) return [{ path: ['dataset', 'options', problem.key], message: problem.problem, target: problem.unknownKey ? 'key' : 'value' }];
  // A required option that is missing is reported on the enclosing field, naming the key.
  return [{ path: written ? ['dataset', 'options'] : ['dataset'], message: `options.${problem.key} ${problem.problem}` }];
}

/**
 * Model option values, and the values a search-space parameter can take: a fixed value, every choice,
 * both ends of a range (the registries' limits are intervals, so the ends decide).
 */
function checkModelValues(spec: ExperimentSpec, input: SpecInput, known: KnownNames): FieldIssue[] {
  const check = known.modelOptions;
  if (!check) return [];
  const allowed = known.hyperparameters?.(spec.model.family);
  const readable = (key: string) => !allowed || allowed.includes(key); // unknown keys are reported above
  const issues: FieldIssue[] = [];
  const options = Object.fromEntries(Object.entries(spec.model.options).filter(([key]) => readable(key)));
  // An ignored key is left to checkIgnored: model.options' own optimizer may be the space's to choose.
  const found = check(spec.model.family, options);
  const inOptions = found?.unknownKey ? null : found;
  if (inOptions) issues.push({ path: ['model', 'options', inOptions.key], message: inOptions.problem });
  for (const [name, param] of Object.entries(spec.search.space)) {
    if (!readable(name)) continue;
    // A fixed value written as a bare scalar has no `value` field to point at.
    const bare = typeof input.search?.space?.[name] !== 'object';
    const values: [unknown, (string | number)[]][] =
      typeof param !== 'object'
        ? [[param, []]]
        : param.type === 'fixed'
          ? [[param.value, bare ? [] : ['value']]]
          : param.type === 'categorical'
            ? param.choices.map((choice, i): [unknown, (string | number)[]] => [choice, ['choices', i]])
            : [
                [param.low, ['low']],
                [param.high, ['high']],
              ];
    const problem = values.map(([value, where]) => ({ where, problem: check(spec.model.family, { [name]: value }) })).find((v) => v.problem);
    if (problem) issues.push({ path: ['search', 'space', name, ...problem.where], message: problem.problem!.problem });
    else issues.push(...checkIgnored(spec, name, values[0]![0], ['search', 'space', name], check));
  }
  for (const [key, value] of Object.entries(options)) {
    if (inOptions?.key !== key && !(key in spec.search.space)) issues.push(...checkIgnored(spec, key, value, ['model', 'options', key], check));
  }
  return issues;
}

/**
 * A setting that the optimizer or schedule of some trial where it is set would ignore (momentum with
 * adam): checked under every optimizer and schedule those trials can have, as far as `when` tells.
 */
function checkIgnored(spec: ExperimentSpec, key: string, value: unknown, path: (string | number)[], check: NonNullable<KnownNames['modelOptions']>): FieldIssue[] {
  for (const optimizer of possibleValues(spec, 'optimizer', key)) {
    for (const lrSchedule of possibleValues(spec, 'lrSchedule', key)) {
      const problem = check(spec.model.family, { optimizer, lrSchedule, [key]: value });
      if (problem?.unknownKey && problem.key === key) return [{ path, target: 'key', message: problem.problem }];
    }
  }
  return [];
}

/**
 * The values `setting` (optimizer, lrSchedule) can have in a trial where `key` is set: the search
 * space's, narrowed by the key's own `when`, else model.options', else training's; null is the default.
 */
function possibleValues(spec: ExperimentSpec, setting: 'optimizer' | 'lrSchedule', key: string): unknown[] {
  const fallback = spec.model.options[setting] ?? (setting === 'optimizer' ? spec.training.optimizer : null);
  const param = spec.search.space[setting];
  let values: unknown[] = [fallback];
  if (param !== undefined && key !== setting) {
    const definition = typeof param === 'object' ? param : { type: 'fixed' as const, value: param };
    const choices = definition.type === 'categorical' ? definition.choices : definition.type === 'fixed' ? [definition.value] : [];
    values = definition.when ? [...choices, fallback] : choices; // a conditional parameter may be absent
  }
  const own = spec.search.space[key];
  const condition = typeof own === 'object' ? own.when?.[setting] : undefined;
  if (condition !== undefined) {
    const allowed: unknown[] = Array.isArray(condition) ? condition : [condition];
    values = values.filter((value) => allowed.includes(value));
  }
  return [...new Set(values)];
}

function checkHyperparameters(spec: ExperimentSpec, input: SpecInput, known: KnownNames): FieldIssue[] {
  const allowed = known.hyperparameters?.(spec.model.family);
  if (!allowed) return [];
  const unknown = (key: string) => !allowed.includes(key);
  const hint = `(model family "${spec.model.family}" reads: ${[...allowed].sort().join(', ')})`;
  const modelOptions = typeof input.model === 'object' && input.model?.options ? Object.keys(spec.model.options) : [];
  return [
    ...Object.keys(spec.search.space)
      .filter(unknown)
      .map((key): FieldIssue => ({ path: ['search', 'space', key], target: 'key', message: `is not a hyperparameter of the model ${hint}` })),
    ...modelOptions
      .filter(unknown)
      .map((key): FieldIssue => ({ path: ['model', 'options', key], target: 'key', message: `is not a hyperparameter of the model ${hint}` })),
  ];
}

function checkMetrics(spec: ExperimentSpec, input: SpecInput, known: KnownNames): FieldIssue[] {
  if (!known.metrics) return [];
  const metrics = known.metrics;
  const check = (metric: string, path: (string | number)[]): FieldIssue[] =>
    metrics.includes(metric) ? [] : [{ path, message: `unknown metric "${metric}" (recorded: ${metrics.join(', ')})` }];
  return [
    ...spec.objective.flatMap(({ metric }, index) => check(metric, Array.isArray(input.objective) ? ['objective', index, 'metric'] : ['objective', 'metric'])),
    ...(spec.search.constraints ?? []).flatMap(({ metric }, index) => check(metric, ['search', 'constraints', index, 'metric'])),
  ];
}

function checkRegistered(kind: string, name: string, registered: readonly string[] | undefined, path: (string | number)[]): FieldIssue[] {
  if (registered === undefined || registered.includes(name)) return [];
  return [{ path, message: `unknown ${kind} "${name}" (known: ${registered.join(', ')})` }];
}
