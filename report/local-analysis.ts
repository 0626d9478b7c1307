// Small analyses the plots need. Stand-ins: a shared `analysis/` library (importance, best-so-far, EDF,
// Pareto) is being written separately; when it lands, these three functions are what it replaces
// (same names, same shapes), and the plot builders do not change.
import type { Direction } from '../trials';
import type { ReportParam, ReportTrial } from './types';

const better = (a: number, b: number, direction: Direction) => (direction === 'minimize' ? a < b : a > b);

/** Best first-objective value among COMPLETE trials up to each one, in trial order. */
export function bestSoFar(trials: readonly ReportTrial[], direction: Direction): { trial: number; best: number }[] {
  const out: { trial: number; best: number }[] = [];
  let best: number | null = null;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    const v = t.state === 'COMPLETE' ? t.values?.[0] : undefined;
    if (v !== undefined && Number.isFinite(v) && (best === null || better(v, best, direction))) best = v;
    if (best !== null) out.push({ trial: t.number, best });
  }
  return out;
}

/** Empirical distribution of the COMPLETE trials' first objective: fraction of trials with a value <= v. */
export function empiricalDistribution(trials: readonly ReportTrial[]): { value: number; fraction: number }[] {
  const values = completedValues(trials).map((t) => t.value).sort((a, b) => a - b);
  return values.map((value, i) => ({ value, fraction: (i + 1) / values.length }));
}

/**
 * A rough importance per parameter: the share of the objective's variance that the parameter's value
 * explains (eta squared over up to 4 quantile bins of a numeric one, one group per category), normalized
 * to sum 1. No interactions; an fANOVA in analysis/ replaces it.
 */
export function paramImportance(trials: readonly ReportTrial[], params: readonly ReportParam[]): { param: string; importance: number }[] {
  const done = completedValues(trials);
  if (done.length < 2) return [];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const total = done.map((d) => d.value);
  const mu = mean(total);
  const sst = total.reduce((s, x) => s + (x - mu) ** 2, 0);
  if (!(sst > 0)) return [];
  const raw = params.map((p) => {
    const rows = done.filter((d) => d.trial.params[p.name] !== undefined);
    const groups = new Map<string, number[]>();
    if (p.kind === 'categorical') {
      for (const r of rows) groups.set(String(r.trial.params[p.name]), [...(groups.get(String(r.trial.params[p.name])) ?? []), r.value]);
    } else {
      const sorted = [...rows].sort((a, b) => Number(a.trial.params[p.name]) - Number(b.trial.params[p.name]));
      const bins = Math.min(4, sorted.length);
      sorted.forEach((r, i) => {
        const key = String(Math.floor((i * bins) / sorted.length));
        groups.set(key, [...(groups.get(key) ?? []), r.value]);
      });
    }
    let ssb = 0;
    for (const g of groups.values()) ssb += g.length * (mean(g) - mu) ** 2;
    return { param: p.name, importance: groups.size > 1 ? ssb / sst : 0 };
  });
  const sum = raw.reduce((s, r) => s + r.importance, 0);
  return raw.map((r) => ({ param: r.param, importance: sum > 0 ? r.importance / sum : 0 })).sort((a, b) => b.importance - a.importance);
}

function completedValues(trials: readonly ReportTrial[]): { trial: ReportTrial; value: number }[] {
  return trials.flatMap((t) => {
    const v = t.state === 'COMPLETE' ? t.values?.[0] : undefined;
    return v !== undefined && Number.isFinite(v) ? [{ trial: t, value: v }] : [];
  });
}
