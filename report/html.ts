// report.html: one self-contained page (no scripts, no network): summary, best configuration,
// leaderboard and every plot as inline SVG, with a sentence where a plot cannot be drawn.
import type { LeaderboardRow } from '../trials';
import type { RenderedPlot } from './build';
import type { CampaignData } from './types';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number | undefined | null) => (v === undefined || v === null ? '' : Number.isFinite(v) ? String(Number(v.toPrecision(5))) : String(v));

export function reportHtml(data: CampaignData, rows: readonly LeaderboardRow[], plots: readonly RenderedPlot[]): string {
  const e = escapeHtml;
  const counts = { COMPLETE: 0, PRUNED: 0, FAIL: 0, RUNNING: 0 } as Record<string, number>;
  for (const t of data.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  const top = rows[0]?.state === 'COMPLETE' && !rows[0].infeasible ? rows[0] : null;
  const names = data.params.map((p) => p.name);
  const several = data.objectives.length > 1;
  const objectiveText = data.objectives.map((o) => `${o.label} (${o.direction})`).join(', ');
  const best = top
    ? (several ? `<p>The top-ranked trial of the Pareto front (${rows.filter((r) => r.front === 1).length} trials, front 1 in the leaderboard and pareto.csv; docs/objectives.md).</p>` : '') +
      `<p>Trial ${top.trialNumber}: ${data.objectives.map((o, k) => `${e(o.label)} = <b>${num(top.values?.[k])}</b>`).join(', ')}</p>
<table><tr>${Object.keys(top.params).map((k) => `<th>${e(k)}</th>`).join('')}</tr><tr>${Object.values(top.params).map((v) => `<td>${e(String(v))}</td>`).join('')}</tr></table>` +
      (data.bestHyperparametersYaml ? `<details><summary>best_hyperparameters.yaml (every setting it trained with)</summary><pre>${e(data.bestHyperparametersYaml)}</pre></details>` : '')
    : '<p>No COMPLETE trial: there is no best configuration yet.</p>';
  // Several objectives: each ranked trial's Pareto front (1: no trial dominates it).
  const frontCell = (r: LeaderboardRow) => (several ? `<td>${r.front ?? ''}</td>` : '');
  const board = `<table><tr><th>rank</th>${several ? '<th>front</th>' : ''}<th>trial</th><th>state</th>${data.objectives.map((o) => `<th>${e(o.label)}</th>`).join('')}<th>epochs</th>${names.map((n) => `<th>${e(n)}</th>`).join('')}</tr>
${rows.map((r, i) => `<tr><td>${i + 1}</td>${frontCell(r)}<td>${r.trialNumber}</td><td>${r.state}${r.infeasible ? ' (infeasible)' : ''}</td>${data.objectives.map((_, k) => `<td>${num(r.values?.[k])}</td>`).join('')}<td>${r.epochs}</td>${names.map((n) => `<td>${e(r.params[n] === undefined ? '' : String(r.params[n]))}</td>`).join('')}</tr>`).join('\n')}</table>`;
  const figures = plots
    .map((p) => `<section class="plot"><h3>${e(p.title)}</h3>${p.svg ?? ''}${p.note ? `<p class="note">${e(p.note)}</p>` : ''}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tuneflow report: ${e(data.specName)} (${e(data.campaignId)})</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}
.note{color:#666;font-style:italic}.plot{margin:1.5em 0;overflow-x:auto}pre{background:#f7f7f7;padding:.8em}
</style></head><body>
<h1>${e(data.specName)}</h1>
<h2>Summary</h2>
<p>Campaign <code>${e(data.campaignId)}</code>, status <b>${e(data.status ?? 'RUNNING')}</b>; objective ${e(objectiveText)}.</p>
<p>${data.trials.length} trials: ${counts.COMPLETE} complete, ${counts.PRUNED} pruned, ${counts.FAIL} failed${counts.RUNNING ? `, ${counts.RUNNING} running` : ''}.
MLflow experiment ${e(data.experimentId)}, parent run <code>${e(data.parentRunId)}</code>. Read ${e(new Date(data.readAt).toISOString())}.</p>
<h2>Best configuration</h2>
${best}
<h2>Leaderboard</h2>
${board}
<h2>Plots</h2>
${figures}
${data.objectives.length > 1 ? '<p class="note">Every plot but the Pareto front and the hypervolume draws the first objective.</p>' : ''}
</body></html>
`;
}
