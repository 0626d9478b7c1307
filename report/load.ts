// A campaign's trials read back from MLflow: the parent run's spec (experiment.yaml) says which
// parameters were searched and what the objective is; each search run gives its params, state, final
// metrics, per-epoch history (getMetricHistory) and start/end time.
import type { MlflowClient, Run } from '../mlflow/client';
import { runsTagged } from '../mlflow/runs';
import { parseSpace } from '../search/space';
import type { Params } from '../search/space-types';
import { parseSpec, type ExperimentSpec } from '../spec';
import { HEALTH_METRICS, objectiveLabel, objectiveMetrics, REGRESSION_METRICS } from '../spec/objective';
import { epochValues, objectiveValues, outcomeMetrics, tieBreakValue, trialOutcome, trialValues, type TrialState } from '../trials';
import type { CampaignData, ReportParam, ReportRetrain, ReportTrial } from './types';

/** Per-epoch training metrics a retrain run's curves show, those it logged (docs/model-health.md): classification's or regression's. */
export const TRAINING_METRICS = ['loss', 'val_loss', 'accuracy', 'val_accuracy', ...REGRESSION_METRICS] as const;

const STATES: readonly string[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL'];
/** Parallel MLflow requests for metric histories. */
const CONCURRENCY = 8;

/**
 * Finished trials never change (their run has its end time, final tags and every epoch), so their report rows
 * are kept between reads by this process: a campaign's report is redrawn every `reportEvery` trials, and
 * reading every trial's history each time made each redraw cost O(trials) MLflow requests, O(trials²) over
 * the campaign. A row is keyed by run and by the objectives it was computed for; the oldest go first.
 */
const finishedTrials = new Map<string, ReportTrial>();
const MAX_FINISHED_TRIALS = 20_000;

async function loadTrialCached(mlflow: MlflowClient, spec: ExperimentSpec, params: readonly ReportParam[], run: Run): Promise<ReportTrial> {
  const finished = run.info.status !== 'RUNNING' && run.info.status !== 'SCHEDULED' && run.info.endTime !== undefined;
  const key = `${run.info.runId} ${JSON.stringify(spec.objective)}`;
  const cached = finished ? finishedTrials.get(key) : undefined;
  if (cached && cached.end === run.info.endTime) return cached;
  const trial = await loadTrial(mlflow, spec, params, run);
  if (finished) {
    finishedTrials.set(key, trial);
    if (finishedTrials.size > MAX_FINISHED_TRIALS) finishedTrials.delete(finishedTrials.keys().next().value!);
  }
  return trial;
}

/** The searched parameters as plot axes; fixed ones are left out (they do not vary). */
export function reportParams(spec: ExperimentSpec): ReportParam[] {
  return parseSpace(spec.search.space).params.flatMap((p): ReportParam[] => {
    if (p.type === 'categorical') return [{ name: p.name, kind: 'categorical', choices: p.choices.map(String) }];
    if (p.type === 'fixed') return [];
    return [{ name: p.name, kind: 'numeric', log: p.log, low: p.low, high: p.high }];
  });
}

/** MLflow's param texts as the parameters' values: numbers for numeric ones, the category as written for categorical ones. */
export function decodeTrialParams(params: readonly ReportParam[], stored: Record<string, string>): Params {
  const out: Params = {};
  for (const p of params) {
    const text = stored[p.name];
    if (text === undefined) continue;
    if (p.kind === 'categorical') out[p.name] = text;
    else if (text.trim() !== '' && Number.isFinite(Number(text))) out[p.name] = Number(text);
  }
  return out;
}

/** Reads everything a report shows for the campaign whose parent run is `parent`. */
export async function loadCampaign(mlflow: MlflowClient, parent: Run): Promise<CampaignData> {
  const tags = parent.data.tags;
  const campaignId = tags['tuneflow.campaign_id'] ?? '';
  const specText = (await mlflow.downloadArtifact(parent.info.runId, 'experiment.yaml')).toString('utf8');
  const spec = parseSpec(specText, 'experiment.yaml');
  const params = reportParams(spec);
  const jobRuns = (stage: string) => runsTagged(mlflow, parent.info.experimentId, { 'tuneflow.campaign_id': campaignId, 'tuneflow.stage': stage });
  const trials = await mapLimit(await jobRuns('search'), CONCURRENCY, (run) => loadTrialCached(mlflow, spec, params, run));
  trials.sort((a, b) => a.number - b.number);
  const retrains = await mapLimit(await jobRuns('retrain'), CONCURRENCY, (run) => loadRetrain(mlflow, run));
  retrains.sort((a, b) => a.sourceTrial - b.sourceTrial || a.seed - b.seed);
  let bestHyperparametersYaml: string | null = null;
  try {
    bestHyperparametersYaml = (await mlflow.downloadArtifact(parent.info.runId, 'best_hyperparameters.yaml')).toString('utf8');
  } catch {
    bestHyperparametersYaml = null; // no COMPLETE trial, or the campaign has not finished
  }
  return {
    campaignId,
    specName: spec.name,
    experimentId: parent.info.experimentId,
    parentRunId: parent.info.runId,
    status: tags['tuneflow.status'] ?? null,
    objectives: spec.objective.map((o) => ({ label: objectiveLabel(o), direction: o.direction })),
    space: spec.search.space,
    params,
    trials,
    bestHyperparametersYaml,
    retrains,
    readAt: Date.now(),
  };
}

async function loadTrial(mlflow: MlflowClient, spec: ExperimentSpec, params: readonly ReportParam[], run: Run): Promise<ReportTrial> {
  const tags = run.data.tags;
  const rawState = tags['tuneflow.state'] ?? 'RUNNING';
  const state = (STATES.includes(rawState) ? rawState : 'RUNNING') as TrialState;
  const latest = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
  // Per-epoch metrics: the objectives' (intermediate values), and with `aggregate: best` what the outcome reads at that epoch.
  const needed = [...new Set([...spec.objective.flatMap(objectiveMetrics), ...(spec.objective[0]?.aggregate === 'best' ? outcomeMetrics(spec) : [])])];
  const byStep = new Map<number, Record<string, number>>();
  for (const key of needed) {
    for (const point of await mlflow.getMetricHistory(run.info.runId, key)) {
      byStep.set(point.step, { ...byStep.get(point.step), [key]: point.value });
    }
  }
  const history = epochValues(spec, byStep);
  let values: number[] | null = null;
  let constraints: number[] | undefined;
  let tieBreak: number | undefined;
  if (state === 'COMPLETE') {
    try {
      ({ values, constraints, tieBreak } = trialOutcome(spec, latest, byStep));
    } catch {
      // A constraint metric was not recorded: the values stand, feasibility is unknown (or the objective's is missing).
      try {
        values = trialValues(spec, objectiveValues(spec, latest), history);
        tieBreak = tieBreakValue(latest);
      } catch {
        values = null;
      }
    }
  }
  return {
    number: Number(tags['tuneflow.trial_number']),
    runId: run.info.runId,
    state,
    params: decodeTrialParams(params, run.data.params),
    values,
    ...(constraints ? { constraints } : {}),
    ...(tieBreak !== undefined ? { tieBreak } : {}),
    history,
    epochs: Object.keys(history).length,
    start: run.info.startTime ?? null,
    end: run.info.endTime ?? null,
  };
}

/** A retrain run and the histories of the training and health metrics it logged (only those: its latest metrics say which). */
async function loadRetrain(mlflow: MlflowClient, run: Run): Promise<ReportRetrain> {
  const tags = run.data.tags;
  const logged = new Set(run.data.metrics.map((m) => m.key));
  const curves: ReportRetrain['curves'] = {};
  for (const key of [...TRAINING_METRICS, ...HEALTH_METRICS]) {
    if (!logged.has(key)) continue;
    curves[key] = (await mlflow.getMetricHistory(run.info.runId, key)).filter((p) => Number.isFinite(p.value)).map((p) => ({ step: p.step, value: p.value }));
  }
  return {
    runId: run.info.runId,
    sourceTrial: Number(tags['tuneflow.source_trial'] ?? tags['tuneflow.trial_number']),
    seed: Number(tags['tuneflow.seed_index'] ?? 0),
    state: tags['tuneflow.state'] ?? 'RUNNING',
    curves,
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
