// The analyses the plots draw, from the analysis layer (analysis/): a report's trials seen as the
// search library's trial views, and the results in the shapes the plot builders take.
import { bestSoFar as bestSoFarOf, edf, hypervolumeHistory, importance, paretoFrontOf } from '../analysis';
import { parseSpace } from '../search/space';
import type { TrialView } from '../search/types';
import type { Direction } from '../trials';
import type { CampaignData, ReportTrial } from './types';

function view(t: ReportTrial): TrialView {
  return { number: t.number, params: t.params, state: t.state, ...(t.values ? { values: t.values } : {}), ...(t.constraints ? { constraints: t.constraints } : {}) };
}

/** The best feasible first-objective value after each finished trial, from the first one that has a value. */
export function bestSoFar(trials: readonly ReportTrial[], direction: Direction): { trial: number; best: number }[] {
  return bestSoFarOf(trials.map(view), direction).flatMap((p) => (p.best === null ? [] : [{ trial: p.number, best: p.best }]));
}

/** Empirical distribution of the COMPLETE trials' first objective: fraction of trials with a value <= v. */
export function empiricalDistribution(trials: readonly ReportTrial[]): { value: number; fraction: number }[] {
  return edf(trials.flatMap((t) => (t.state === 'COMPLETE' && t.values ? [t.values[0]!] : [])));
}

/** PED-ANOVA importance of each searched parameter (analysis/importance.ts), summing to 1. */
export function paramImportance(data: CampaignData): { param: string; importance: number }[] {
  const direction = data.objectives[0]!.direction;
  return importance(parseSpace(data.space), data.trials.map(view), direction).map((p) => ({ param: p.name, importance: p.importance }));
}

/** Trial numbers on the feasible Pareto front of every objective (analysis/pareto.ts). */
export function paretoNumbers(data: CampaignData): number[] {
  return paretoFrontOf(data.trials.map(view), data.objectives.map((o) => o.direction)).map((t) => t.number);
}

/** The front's hypervolume after each finished trial, against the worst value seen per objective (analysis/pareto.ts). */
export function hypervolume(data: CampaignData): { trial: number; hypervolume: number }[] {
  return hypervolumeHistory(data.trials.map(view), data.objectives.map((o) => o.direction)).history.map((p) => ({ trial: p.number, hypervolume: p.hypervolume }));
}
