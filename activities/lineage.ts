// Extending and forking a finished campaign. The old campaign is read from MLflow, not from Temporal:
// a closed workflow (its input, result and history) is deleted after the namespace's retention period
// (days), while MLflow keeps the runs, their params, states and metrics, and the spec as the parent
// run's `experiment.yaml` until someone deletes them. MLflow is also what the user browses, so the
// lineage tags written here show next to the runs they describe.
import { ApplicationFailure } from '@temporalio/activity';
import type { MlflowClient, Run } from '../mlflow/client';
import { paramText, runsTagged, tagFilter } from '../mlflow/runs';
import { explainParams, parseSpace, type Param, type Space } from '../search/space';
import type { Params, Scalar } from '../search/space-types';
import type { ExperimentSpec } from '../spec/types';
import type { TrialView } from '../search/types';
import { trialConfiguration } from '../training/config';
import { objectiveMetrics } from '../spec/objective';
import { constraintValues, epochValues, objectiveValues, outcomeMetrics, trialValues, valueEpoch, type TrialState } from '../trials';
import type { WarmStart, WarmStartInput } from './types';

export const LINEAGE_TAGS = {
  /** On an extension's parent run: the campaign it continues. */
  extends: 'tuneflow.extends',
  /** On a fork's parent run: the campaign it started from. */
  forkedFrom: 'tuneflow.forked_from',
  /** Every ancestor, oldest first, comma-separated. */
  lineage: 'tuneflow.lineage',
  /** Old trials the new campaign's sampler started from, and old trials left out (not in the new space). */
  warmStartTrials: 'tuneflow.warm_start_trials',
  warmStartSkipped: 'tuneflow.warm_start_skipped',
  /** On every parent run: the spec file's folder, so an extension or a `--set` fork resolves the spec's relative paths as the original did. */
  specDir: 'tuneflow.spec_dir',
} as const;

/** Imported trials travel in the workflow history and its continue-as-new state: ~100 bytes each. */
export const MAX_WARM_START_TRIALS = 2000;
const MAX_DEPTH = 20;
const FINISHED: readonly string[] = ['COMPLETE', 'PRUNED', 'FAIL'];

/** A lineage request that cannot be met (unknown or unfinished campaign): retrying will not help. */
export class LineageError extends Error {
  override readonly name = 'LineageError';
}

/** The campaign's parent run: looked for in `experimentId` first (an extension shares it), then everywhere. */
export async function findCampaignRun(mlflow: MlflowClient, campaignId: string, experimentId?: string): Promise<Run> {
  const filter = tagFilter({ 'tuneflow.campaign_id': campaignId, 'tuneflow.stage': 'campaign' });
  const search = async (ids: string[]): Promise<Run | undefined> => {
    for (let i = 0; i < ids.length; i += 100) {
      const page = await mlflow.searchRuns({ experimentIds: ids.slice(i, i + 100), filter, maxResults: 1 });
      if (page.runs[0]) return page.runs[0];
    }
    return undefined;
  };
  const run = (experimentId ? await search([experimentId]) : undefined) ?? (await search(await mlflow.listExperimentIds()));
  if (!run) throw new LineageError(`no campaign "${campaignId}" in MLflow (no run tagged tuneflow.campaign_id=${campaignId}, tuneflow.stage=campaign)`);
  return run;
}

/** A finished campaign's parent run and spec text, for `tuneflow extend` / `fork` to build the new spec from. */
export async function finishedCampaign(mlflow: MlflowClient, campaignId: string): Promise<{ run: Run; specText: string; specDir?: string }> {
  const run = await findCampaignRun(mlflow, campaignId);
  const status = run.data.tags['tuneflow.status'];
  if (status === undefined) {
    throw new LineageError(`campaign "${campaignId}" has not finished (its MLflow run has no tuneflow.status yet); extend a running campaign with \`tuneflow extend\` while it runs`);
  }
  const specText = (await mlflow.downloadArtifact(run.info.runId, 'experiment.yaml')).toString('utf8');
  const specDir = run.data.tags[LINEAGE_TAGS.specDir];
  return { run, specText, ...(specDir ? { specDir } : {}) };
}

interface StoredTrial {
  params: Record<string, string>;
  state: TrialState;
  /** The last value of every metric. */
  metrics: Record<string, number>;
  /** Per-epoch metrics (epoch → metric → value), read when the new spec's first objective has `aggregate: best`. */
  byEpoch?: Map<number, Record<string, number>>;
}

/** Finished search trials of the campaign and, before them, of its ancestors, in trial order. */
async function storedTrials(mlflow: MlflowClient, run: Run, depth: number, historyKeys: readonly string[]): Promise<{ trials: StoredTrial[]; ancestors: string[] }> {
  const tags = run.data.tags;
  const parentId = tags[LINEAGE_TAGS.extends] ?? tags[LINEAGE_TAGS.forkedFrom];
  const earlier =
    parentId !== undefined && depth < MAX_DEPTH
      ? await storedTrials(mlflow, await findCampaignRun(mlflow, parentId, run.info.experimentId), depth + 1, historyKeys)
      : { trials: [], ancestors: [] };
  const campaignId = tags['tuneflow.campaign_id'] as string;
  const own: (StoredTrial & { number: number })[] = [];
  for (const trial of await runsTagged(mlflow, run.info.experimentId, { 'tuneflow.campaign_id': campaignId, 'tuneflow.stage': 'search' })) {
    const state = trial.data.tags['tuneflow.state'] ?? '';
    if (!FINISHED.includes(state)) continue; // a trial the old campaign never finished has no result to learn from
    own.push({
      number: Number(trial.data.tags['tuneflow.trial_number']),
      params: trial.data.params,
      state: state as TrialState,
      metrics: Object.fromEntries(trial.data.metrics.map((m) => [m.key, m.value])),
      ...(state === 'COMPLETE' && historyKeys.length > 0 ? { byEpoch: await metricsByEpoch(mlflow, trial.info.runId, historyKeys) } : {}),
    });
  }
  own.sort((a, b) => a.number - b.number);
  return { trials: [...earlier.trials, ...own], ancestors: [...earlier.ancestors, campaignId] };
}

async function metricsByEpoch(mlflow: MlflowClient, runId: string, keys: readonly string[]): Promise<Map<number, Record<string, number>>> {
  const byEpoch = new Map<number, Record<string, number>>();
  for (const key of keys) {
    for (const point of await mlflow.getMetricHistory(runId, key)) byEpoch.set(point.step, { ...byEpoch.get(point.step), [key]: point.value });
  }
  return byEpoch;
}

/** With `aggregate: best` on the first objective, the metrics a warm start reads per epoch (trials/metrics.ts trialOutcome). */
function historyKeys(spec: ExperimentSpec): string[] {
  return spec.objective[0]?.aggregate === 'best' ? [...new Set([...spec.objective.flatMap(objectiveMetrics), ...outcomeMetrics(spec)])] : [];
}

/**
 * MLflow params are strings: read each back as the new space's parameter reads it, or null when it has no
 * such value. A trial's params also hold its fixed settings (training/config.ts `trialConfiguration`): one
 * outside the new space fits when it equals the new spec's fixed setting (`fixed`), and is left out.
 */
export function decodeParams(space: Space, stored: Record<string, string>, fixed: Record<string, unknown> = {}): Params | null {
  const params: Params = {};
  for (const [name, text] of Object.entries(stored)) {
    const param = space.byName.get(name);
    if (param === undefined && name in fixed && paramText(fixed[name]) === text) continue;
    const value = param === undefined ? undefined : decodeValue(param, text);
    if (value === undefined) return null;
    params[name] = value;
  }
  return explainParams(space, params) === null ? params : null;
}

function decodeValue(param: Param, text: string): Scalar | undefined {
  switch (param.type) {
    case 'categorical':
      return param.choices.find((choice) => String(choice) === text);
    case 'fixed':
      return String(param.value) === text ? param.value : undefined;
    default: {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) ? value : undefined;
    }
  }
}

/**
 * The old campaign's finished trials that fit the new spec's space, as the sampler's history: numbered
 * 0..k-1, the new campaign's own trials continue from k. A COMPLETE trial without the new objective's
 * metrics is left out, like one whose params do not fit.
 */
export function warmStartTrials(spec: ExperimentSpec, stored: readonly StoredTrial[]): { trials: TrialView[]; skipped: number } {
  const space = parseSpace(spec.search.space);
  const fixed = trialConfiguration(spec, {});
  const fitting: TrialView[] = [];
  for (const trial of stored) {
    const params = decodeParams(space, trial.params, fixed);
    let values: number[] | undefined;
    let constraints: number[] | undefined;
    if (params !== null && trial.state === 'COMPLETE') {
      // With `aggregate: best` values and constraints come from the epochs the new campaign would read.
      const history = trial.byEpoch ? epochValues(spec, trial.byEpoch) : {};
      try {
        values = trialValues(spec, objectiveValues(spec, trial.metrics), history);
      } catch {
        values = undefined;
      }
      if (!values?.every(Number.isFinite)) continue;
      const epoch = valueEpoch(spec, history);
      try {
        constraints = constraintValues(spec, (epoch !== undefined ? trial.byEpoch?.get(epoch) : undefined) ?? trial.metrics);
      } catch {
        constraints = undefined; // the old campaign did not record a constraint metric: feasibility unknown
      }
    }
    if (params === null) continue;
    fitting.push({ number: 0, params, state: trial.state, ...(values ? { values } : {}), ...(constraints ? { constraints } : {}), intermediate: {} });
  }
  // Beyond the cap the most recent trials are kept: they are where the old search had got to.
  const kept = fitting.slice(-MAX_WARM_START_TRIALS).map((t, number) => ({ ...t, number }));
  return { trials: kept, skipped: stored.length - kept.length };
}

/** The activity: read the parent campaign, build the warm start, and tag the new campaign's run with its lineage. */
export async function loadWarmStart(mlflow: MlflowClient, input: WarmStartInput): Promise<WarmStart> {
  const { lineage, spec, tracking } = input;
  try {
    const parentRun = await findCampaignRun(mlflow, lineage.parent, tracking.experimentId);
    const { trials: stored, ancestors } = await storedTrials(mlflow, parentRun, 0, historyKeys(spec));
    const { trials, skipped } = warmStartTrials(spec, stored);
    await mlflow.logBatch({
      runId: tracking.parentRunId,
      tags: {
        [lineage.kind === 'extend' ? LINEAGE_TAGS.extends : LINEAGE_TAGS.forkedFrom]: lineage.parent,
        [LINEAGE_TAGS.lineage]: ancestors.join(','),
        [LINEAGE_TAGS.warmStartTrials]: String(trials.length),
        [LINEAGE_TAGS.warmStartSkipped]: String(skipped),
      },
    });
    return { trials, skipped, ancestors };
  } catch (err) {
    if (err instanceof LineageError) throw ApplicationFailure.nonRetryable(err.message, 'LineageError');
    throw err;
  }
}

