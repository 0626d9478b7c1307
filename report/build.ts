// A campaign's report as files: every plot (Vega-Lite → SVG), report.html with the plots inline,
// leaderboard.csv, trials.csv, results.yaml and the campaign's best_hyperparameters.yaml. Pure but for
// rendering: the caller writes the files (writeReport) wherever it wants them.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { stringify } from 'yaml';
import { leaderboard, type LeaderboardRow, type TrialRecord } from '../trials';
import { hypervolume, paramImportance, paretoNumbers } from './analysis';
import {
  contourPairs,
  contourSpec,
  edfSpec,
  feasibleComplete,
  historySpec,
  hypervolumeSpec,
  importanceSpec,
  intermediateSpec,
  parallelCoordinatesSpec,
  paretoSpec,
  retrainCurvesSpec,
  sliceSpec,
  timelineSpec,
  trialValue,
} from './plots';
import { renderSvg } from './render';
import { reportHtml } from './html';
import { HEALTH_METRICS } from '../spec/objective';
import { TRAINING_METRICS } from './load';
import type { CampaignData, ReportTrial } from './types';

export interface Plot {
  /** File name stem: plots/<name>.svg. */
  name: string;
  title: string;
  /** Null when the data cannot show it; `note` says why. */
  spec: TopLevelSpec | null;
  note?: string;
}

export interface RenderedPlot extends Plot {
  svg: string | null;
}

/** Which plots the data can show, and a sentence for each one it cannot. */
export function campaignPlots(data: CampaignData): Plot[] {
  const objective = data.objectives[0]!;
  const complete = data.trials.filter((t) => t.state === 'COMPLETE' && trialValue(t) !== null);
  const withValue = data.trials.filter((t) => trialValue(t) !== null);
  const withHistory = data.trials.filter((t) => t.epochs > 0);
  const importance = paramImportance(data);
  const noTrials = 'No trial has finished with a value yet.';
  const plots: Plot[] = [
    { name: 'history', title: 'Optimization history', spec: data.trials.length ? historySpec(data.trials, objective) : null, note: data.trials.length ? (withValue.length ? undefined : noTrials) : 'The campaign has no trials.' },
    { name: 'intermediate', title: 'Intermediate values', spec: withHistory.length ? intermediateSpec(data.trials, objective) : null, note: withHistory.length ? undefined : 'No trial has logged an epoch yet.' },
    { name: 'timeline', title: 'Timeline', spec: data.trials.some((t) => t.start !== null) ? timelineSpec(data.trials, data.readAt) : null, note: data.trials.length ? undefined : 'The campaign has no trials.' },
    { name: 'parallel-coordinates', title: 'Parallel coordinates', spec: complete.length && data.params.length ? parallelCoordinatesSpec(data.trials, data.params, objective) : null, note: complete.length ? (data.params.length ? undefined : 'The search space has no varying parameter.') : 'No COMPLETE trial yet.' },
    { name: 'slice', title: 'Slice plot', spec: complete.length && data.params.length ? sliceSpec(data.trials, data.params, objective) : null, note: complete.length ? undefined : 'No COMPLETE trial yet.' },
    { name: 'edf', title: 'Empirical distribution', spec: complete.length ? edfSpec(data.trials, objective) : null, note: complete.length ? undefined : 'No COMPLETE trial yet.' },
    { name: 'importance', title: 'Parameter importance', spec: importance.length ? importanceSpec(importance) : null, note: importance.length ? 'PED-ANOVA: how differently each parameter is distributed among the best 10 % of trials than among all (docs/analysis.md).' : 'Importance needs at least two COMPLETE trials with different objective values.' },
  ];
  plots.push(contourPlot(data, complete.length, importance));
  plots.push(...paretoPlots(data));
  plots.push(...retrainPlots(data));
  return plots;
}

function retrainPlots(data: CampaignData): Plot[] {
  const retrains = data.retrains ?? [];
  const curves = { name: 'training-curves', title: 'Training curves of the retrained models' };
  const health = { name: 'model-health', title: 'Model health of the retrained models' };
  if (retrains.length === 0) {
    const note = 'No retrain runs: the campaign has not retrained its best configuration (yet).';
    return [
      { ...curves, spec: null, note },
      { ...health, spec: null, note },
    ];
  }
  const logged = (metrics: readonly string[]) => retrains.some((r) => metrics.some((m) => (r.curves[m]?.length ?? 0) > 0));
  return [
    logged(TRAINING_METRICS)
      ? { ...curves, spec: retrainCurvesSpec(retrains, TRAINING_METRICS, 'Training curves: each retrain run, per epoch') }
      : { ...curves, spec: null, note: 'The retrain runs have logged no epoch yet.' },
    logged(HEALTH_METRICS)
      ? { ...health, spec: retrainCurvesSpec(retrains, HEALTH_METRICS, 'Model health: each retrain run, per epoch (docs/model-health.md)') }
      : { ...health, spec: null, note: 'The retrain runs have logged no health metric.' },
  ];
}

/** COMPLETE trials a contour needs at least: fewer do not make a surface. */
export const CONTOUR_MIN_TRIALS = 3;

function contourPlot(data: CampaignData, complete: number, importance: readonly { param: string; importance: number }[]): Plot {
  const base = { name: 'contour', title: 'Contour' };
  const numeric = data.params.filter((p) => p.kind === 'numeric').length;
  if (numeric < 2) return { ...base, spec: null, note: `A contour needs two numeric parameters; the search space has ${numeric}.` };
  if (complete < CONTOUR_MIN_TRIALS) return { ...base, spec: null, note: `A contour needs at least ${CONTOUR_MIN_TRIALS} COMPLETE trials; there ${complete === 1 ? 'is' : 'are'} ${complete}.` };
  const pairs = contourPairs(data.params, importance);
  return {
    ...base,
    spec: contourSpec(data.trials, pairs, data.objectives[0]!),
    note: `The ${pairs.length === 1 ? 'pair' : `${pairs.length} pairs`} of numeric parameters ranked highest by importance; each cell is the inverse-distance-weighted mean of the trials' ${data.objectives[0]!.label}.`,
  };
}

function paretoPlots(data: CampaignData): Plot[] {
  const front = { name: 'pareto-front', title: 'Pareto front' };
  const volume = { name: 'hypervolume', title: 'Hypervolume history' };
  if (data.objectives.length < 2) {
    const note = 'One objective: no Pareto front.';
    return [
      { ...front, spec: null, note },
      { ...volume, spec: null, note },
    ];
  }
  if (feasibleComplete(data.trials, data.objectives.length).length === 0) {
    const note = 'No feasible COMPLETE trial yet.';
    return [
      { ...front, spec: null, note },
      { ...volume, spec: null, note },
    ];
  }
  return [
    { ...front, spec: paretoSpec(data.trials, data.objectives, paretoNumbers(data)) },
    { ...volume, spec: hypervolumeSpec(hypervolume(data)), note: 'The reference point is the worst value seen per objective, so the trials that set it add no volume (docs/analysis.md).' },
  ];
}

export async function renderPlots(plots: readonly Plot[]): Promise<RenderedPlot[]> {
  const out: RenderedPlot[] = [];
  for (const plot of plots) {
    if (!plot.spec) {
      out.push({ ...plot, svg: null });
      continue;
    }
    try {
      out.push({ ...plot, svg: await renderSvg(plot.spec) });
    } catch (err) {
      out.push({ ...plot, svg: null, note: `Could not be drawn: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return out;
}

function toRecord(t: ReportTrial): TrialRecord {
  return { number: t.number, params: t.params, state: t.state, runId: t.runId, epochsDone: t.epochs, history: t.history, values: t.values, reason: null, paused: false, ...(t.constraints ? { constraints: t.constraints } : {}), ...(t.tieBreak !== undefined ? { tieBreak: t.tieBreak } : {}) };
}

/** Every trial, best first: the campaign's own ranking (trials/ranking.ts). */
export function reportLeaderboard(data: CampaignData): LeaderboardRow[] {
  return leaderboard(data.trials.map(toRecord), data.objectives.map((o) => o.direction));
}

const cell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const csv = (header: readonly string[], rows: readonly unknown[][]) => [header.join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';

/**
 * The leaderboard as CSV (the campaign's finalize writes the same file): rank, front (1: the Pareto front;
 * one objective: tied at the best value), trial, state, one column per objective, epochs, then the params
 * (by default every name any row has, sorted).
 */
export function leaderboardCsv(rows: readonly LeaderboardRow[], objectiveLabels: readonly string[], paramNames?: readonly string[]): string {
  const names = paramNames ?? [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  return csv(
    ['rank', 'front', 'trial', 'state', ...objectiveLabels, 'epochs', ...names],
    rows.map((r, i) => [i + 1, r.front, r.trialNumber, r.state, ...objectiveLabels.map((_, k) => r.values?.[k]), r.epochs, ...names.map((n) => r.params[n])]),
  );
}

/**
 * The feasible Pareto front of a campaign with several objectives, in the campaign's ranked order (the
 * order `retrain.topK` takes them): rank, trial, one column per objective, then the params.
 */
export function paretoCsv(data: CampaignData): string {
  const names = data.params.map((p) => p.name);
  const front = reportLeaderboard(data).filter((r) => r.front === 1);
  return csv(
    ['rank', 'trial', ...data.objectives.map((o) => o.label), ...names],
    front.map((r, i) => [i + 1, r.trialNumber, ...data.objectives.map((_, k) => r.values?.[k]), ...names.map((n) => r.params[n])]),
  );
}

/** One row per trial, by number: params, state, objective values, epochs, run start/end and MLflow run id. */
export function trialsCsv(data: CampaignData): string {
  const names = data.params.map((p) => p.name);
  return csv(
    ['trial', 'state', ...data.objectives.map((o) => o.label), 'epochs', ...names, 'start', 'end', 'run_id'],
    data.trials.map((t) => [
      t.number,
      t.state,
      ...data.objectives.map((_, k) => t.values?.[k]),
      t.epochs,
      ...names.map((n) => t.params[n]),
      t.start === null ? '' : new Date(t.start).toISOString(),
      t.end === null ? '' : new Date(t.end).toISOString(),
      t.runId,
    ]),
  );
}

/** The summary: counts by state, the best trial, the objectives and where the data came from. */
export function resultsYaml(data: CampaignData, rows: readonly LeaderboardRow[]): string {
  const counts: Record<string, number> = { COMPLETE: 0, PRUNED: 0, FAIL: 0, RUNNING: 0 };
  for (const t of data.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  const top = rows[0]?.state === 'COMPLETE' && !rows[0].infeasible ? rows[0] : null;
  return stringify({
    campaign: data.campaignId,
    spec: data.specName,
    status: data.status ?? 'RUNNING',
    objectives: data.objectives,
    trials: { total: data.trials.length, complete: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL, running: counts.RUNNING },
    best: top ? { trial: top.trialNumber, values: top.values, params: top.params } : null,
    mlflow: { experimentId: data.experimentId, parentRunId: data.parentRunId },
    generatedAt: new Date(data.readAt).toISOString(),
  });
}

/** Every file of the report, by path relative to the report's folder. */
export async function buildReport(data: CampaignData): Promise<Map<string, string>> {
  const rows = reportLeaderboard(data);
  const plots = await renderPlots(campaignPlots(data));
  const files = new Map<string, string>();
  files.set('report.html', reportHtml(data, rows, plots));
  for (const p of plots) if (p.svg) files.set(`plots/${p.name}.svg`, p.svg);
  files.set('leaderboard.csv', leaderboardCsv(rows, data.objectives.map((o) => o.label), data.params.map((p) => p.name)));
  files.set('trials.csv', trialsCsv(data));
  files.set('results.yaml', resultsYaml(data, rows));
  if (data.bestHyperparametersYaml !== null) files.set('best_hyperparameters.yaml', data.bestHyperparametersYaml);
  if (data.objectives.length > 1) files.set('pareto.csv', paretoCsv(data));
  return files;
}

export async function writeReport(dir: string, files: ReadonlyMap<string, string>): Promise<string[]> {
  const written: string[] = [];
  for (const [rel, content] of files) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}
