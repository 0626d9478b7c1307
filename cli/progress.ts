// The live progress line of `tuneflow run`: trials done/running/pruned/failed, best so far, elapsed
// and estimated remaining time. Pure formatting, so it can be tested without a campaign.
import type { LeaderboardRow } from '../trials';
import type { CampaignProgress } from '../workflows';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function formatProgress(p: CampaignProgress): string {
  const maxTrials = p.budget?.maxTrials ?? p.trials.total;
  const t = p.trials;
  const tied = p.tiedWithBest ? `, tied with ${p.tiedWithBest} other${p.tiedWithBest > 1 ? 's' : ''}: val_loss breaks the tie` : '';
  const front = p.front ? `; Pareto front of ${p.objectives!.join(', ')}: ${p.front.length} trial${p.front.length === 1 ? '' : 's'}` : '';
  // One line (the live line is redrawn in place): `tuneflow status` prints the full note below it.
  const close = p.separation && !p.tiedWithBest ? ', others within validation noise' : '';
  const best = p.best ? `best ${p.metric}=${p.best.value.toPrecision(4)} (trial ${p.best.trialNumber}${tied}${close})${front}` : 'best -';
  const eta = p.remainingSeconds === null ? '' : `, ~${formatDuration(p.remainingSeconds)} left`;
  return (
    `[${p.phase}] trials ${t.completed + t.pruned + t.failed}/${maxTrials} done ` +
    `(${t.completed} complete, ${t.pruned} pruned, ${t.failed} failed), ${t.running} running${t.paused ? `, ${t.paused} paused` : ''} | ${best} | ` +
    `${formatDuration(p.elapsedSeconds)} elapsed${eta}` +
    (p.stopReason ? ` | stopping: ${p.stopReason}` : p.requests.length ? ` | requested: ${p.requests.join(', ')}` : '')
  );
}

/**
 * `tuneflow leaderboard`: one line a trial, best first. `front N` is its Pareto front (1: no trial dominates
 * it; one objective: tied at the best value when several share front 1).
 */
export function formatLeaderboard(rows: readonly LeaderboardRow[]): string[] {
  return rows.map((r, i) => {
    const where = r.front !== undefined ? ` front ${r.front}` : r.infeasible ? ' infeasible' : '';
    return `${i + 1}.${where} trial ${r.trialNumber} ${r.state} ${r.values?.join(', ') ?? '-'} (${r.epochs} epochs) ${JSON.stringify(r.params)}`;
  });
}
