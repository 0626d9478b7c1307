// Checks that need several fields at once (the schema sees one field at a time). Pure: no I/O.
import type { FieldIssue } from './errors';
import type { SpecInput } from './normalize';
import { checkSpace } from './space-check';
import type { ExperimentSpec } from './types';

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

  const namePath = (field: 'dataset' | 'model', key: string): (string | number)[] =>
    typeof input[field] === 'string' ? [field] : [field, key];
  const algorithmPath = (field: 'sampler' | 'scheduler'): (string | number)[] =>
    typeof input.search?.[field] === 'object' ? ['search', field, 'type'] : ['search', field];
  issues.push(
    ...checkRegistered('data set', spec.dataset.name, known.datasets, namePath('dataset', 'name')),
    ...checkRegistered('model family', spec.model.family, known.models, namePath('model', 'family')),
    ...checkRegistered('sampler', spec.search.sampler.type, known.samplers, algorithmPath('sampler')),
    ...checkRegistered('scheduler', spec.search.scheduler.type, known.schedulers, algorithmPath('scheduler')),
  );
  issues.push(...checkHyperparameters(spec, input, known), ...checkMetrics(spec, input, known));
  return issues;
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
  return spec.objective.flatMap(({ metric }, index): FieldIssue[] =>
    metrics.includes(metric)
      ? []
      : [{ path: Array.isArray(input.objective) ? ['objective', index, 'metric'] : ['objective', 'metric'], message: `unknown metric "${metric}" (recorded: ${metrics.join(', ')})` }],
  );
}

function checkRegistered(kind: string, name: string, registered: readonly string[] | undefined, path: (string | number)[]): FieldIssue[] {
  if (registered === undefined || registered.includes(name)) return [];
  return [{ path, message: `unknown ${kind} "${name}" (known: ${registered.join(', ')})` }];
}
