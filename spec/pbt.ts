// `search.scheduler: {type: pbt}`: which parameters population-based training may change during training,
// and the spec checks that keep it sound (docs/pbt.md). Pure: the workflow (explore), the training engine
// (checkpoint identity) and the spec loader (errors with file:line) all read the same rule from here.
//
// The rule: a checkpoint copied from a donor must load into its recipient, so a mutable parameter may not
// change the model's architecture or its optimizer state's layout. With tuneflow's engine that means the
// training settings below (the architecture, dropout included, is saved in the checkpoint's model.json,
// so a model hyperparameter could not change anyway); `optimizer` itself is not one of them (adam's moments
// do not fit sgd). A trainable (the user's own code) declares its mutable parameters: tuneflow cannot tell
// which of them shape the model.
import { AlgorithmConfigError } from '../search/errors';
import { readPbtOptions, type PbtOptions } from '../search/schedulers/pbt';
import type { FieldIssue } from './errors';
import type { SpecInput } from './normalize';
import type { ExperimentSpec } from './types';

/**
 * Training settings (training/config.ts TRAINING_HYPERPARAMETERS, less `optimizer`, whose saved state would not fit
 * another, and `regressionLoss`, which would judge members on different scales) that PBT may change; a test keeps the two lists in step.
 */
export const PBT_TRAINING_PARAMS: readonly string[] = [
  'learningRate',
  'batchSize',
  'momentum',
  'nesterov',
  'beta1',
  'beta2',
  'epsilon',
  'weightDecay',
  'rho',
  'lrSchedule',
  'lrStepSize',
  'lrGamma',
  'lrMin',
  'warmupEpochs',
  'labelSmoothing',
];

// Hand-built specs (tests, `tuneflow train`) may leave out the search: then it is no pbt spec.
export const isPbt = (spec: ExperimentSpec): boolean => spec.search?.scheduler?.type === 'pbt';

/** The PBT options of a spec that uses it (already checked at load), else null. */
export function pbtOptions(spec: ExperimentSpec): PbtOptions | null {
  return isPbt(spec) ? readPbtOptions(spec.search.scheduler.options) : null;
}

/** Search-space parameters that take more than one value (a fixed one has nothing to explore). */
function searched(spec: ExperimentSpec): string[] {
  return Object.entries(spec.search.space)
    .filter(([, p]) => typeof p === 'object' && p.type !== 'fixed')
    .map(([name]) => name);
}

/** The parameters a parameter's `when` reads. */
function parents(spec: ExperimentSpec, name: string): string[] {
  const param = spec.search.space[name];
  return typeof param === 'object' && param.when ? Object.keys(param.when) : [];
}

/**
 * The parameters explore changes: `mutable` as written, or (engine only) every searched training setting.
 * A conditional one (momentum when optimizer is sgd) may change as long as what it depends on does not:
 * exploit copies the donor's whole configuration, so its presence follows the donor's.
 */
export function pbtMutable(spec: ExperimentSpec): string[] {
  const options = pbtOptions(spec);
  if (!options) return [];
  if (options.mutable) return [...options.mutable];
  if (spec.trainable) return [];
  const candidates = searched(spec).filter((name) => PBT_TRAINING_PARAMS.includes(name));
  return candidates.filter((name) => !parents(spec, name).some((parent) => candidates.includes(parent)));
}

/** Everything wrong with a pbt spec, each at the field to change. */
export function checkPbt(spec: ExperimentSpec, input: SpecInput): FieldIssue[] {
  if (!isPbt(spec)) return [];
  const written = typeof input.search?.scheduler === 'object';
  const optionsPath = written ? ['search', 'scheduler', 'options'] : ['search', 'scheduler'];
  let options: PbtOptions;
  try {
    options = readPbtOptions(spec.search.scheduler.options);
  } catch (error) {
    if (!(error instanceof AlgorithmConfigError)) throw error;
    const key = error.field.startsWith('options.') ? error.field.slice('options.'.length) : null;
    return [{ path: key ? [...optionsPath, key] : optionsPath, message: error.message, ...(error.message.includes('unknown option') ? { target: 'key' as const } : {}) }];
  }
  const issues: FieldIssue[] = [];
  const { populationSize, perturbationInterval } = options;
  const { budget, training } = spec;
  if (budget.maxTrials !== populationSize) {
    issues.push({ path: ['budget', 'maxTrials'], message: `must equal the pbt populationSize (${populationSize}): the population is the campaign's trials (got ${budget.maxTrials})` });
  }
  if (budget.maxConcurrentTrials !== populationSize) {
    issues.push({
      path: ['budget', 'maxConcurrentTrials'],
      message: `must equal the pbt populationSize (${populationSize}): the members train side by side and wait for each other at every boundary (got ${budget.maxConcurrentTrials})`,
    });
  }
  if (perturbationInterval >= training.epochs) {
    issues.push({ path: [...optionsPath, 'perturbationInterval'], message: `must be < training.epochs (${training.epochs}), or no member would ever exploit another (got ${perturbationInterval})` });
  }
  if (spec.objective.length > 1) {
    issues.push({ path: ['objective'], message: 'scheduler pbt ranks its population by one objective: give one objective, or use asha/hyperband for several' });
  }
  if (training.crossValidation !== undefined) {
    issues.push({
      path: ['training', 'crossValidation'],
      message: 'scheduler pbt copies one checkpoint per member, and a cross-validated trial has one per fold: leave crossValidation out, or use another scheduler',
    });
  }
  issues.push(...checkMutable(spec, options, optionsPath));
  return issues;
}

function checkMutable(spec: ExperimentSpec, options: PbtOptions, optionsPath: (string | number)[]): FieldIssue[] {
  const allowed = `PBT may change training settings only (${PBT_TRAINING_PARAMS.join(', ')})`;
  if (!options.mutable) {
    if (spec.trainable) {
      return [{ path: optionsPath, message: 'a trainable must list its mutable parameters (options.mutable: [learningRate, ...]): tuneflow cannot tell which of your parameters change the model\'s shape' }];
    }
    return pbtMutable(spec).length > 0 ? [] : [{ path: optionsPath, message: `no parameter of search.space may change during training: ${allowed}; search one of them, or list options.mutable` }];
  }
  const issues: FieldIssue[] = [];
  options.mutable.forEach((name, i) => {
    const path = [...optionsPath, 'mutable', i];
    const param = spec.search.space[name];
    if (param === undefined) issues.push({ path, message: `"${name}" is not a parameter of search.space` });
    else if (typeof param !== 'object' || param.type === 'fixed') issues.push({ path, message: `"${name}" is fixed in search.space: there is nothing to explore` });
    else if (parents(spec, name).some((parent) => options.mutable!.includes(parent))) {
      const parent = parents(spec, name).find((p) => options.mutable!.includes(p))!;
      issues.push({ path, message: `"${name}" depends on "${parent}" (when), which is mutable too: explore could leave "${name}" set where it does not apply; keep "${parent}" fixed during training` });
    }
    else if (spec.trainable) return;
    else if (name === 'optimizer') issues.push({ path, message: `"optimizer" cannot change during training: the optimizer's state (moments, accumulators) in the copied checkpoint belongs to its optimizer; ${allowed}` });
    else if (!PBT_TRAINING_PARAMS.includes(name)) {
      issues.push({ path, message: `"${name}" would change the model's shape or architecture, which is fixed in the checkpoint; ${allowed}` });
    }
  });
  return issues;
}
