// The `campaign` workflow: it loads the spec, runs the sample-train-prune loop with at most
// `maxConcurrentTrials` jobs at once, continues as new when the history grows, retrains the best
// configurations and writes the summary. Every side effect is an activity (proxies.ts); the scheduler
// (pure) decides inside the workflow (jobs.ts), so all pruning decisions come from one consistent
// state (state.ts). Users steer it live through the updates in handlers.ts.
import { condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import type { CampaignResult, CampaignStatus } from '../activities/types';
import { createScheduler } from '../search/schedulers';
import { campaignStopReason } from '../search/stopping';
import { parseSpace } from '../search/space';
import type { Params } from '../search/space-types';
import { objectiveLabel } from '../spec/objective';
import { isPbt } from '../spec/pbt';
import type { ExperimentSpec } from '../spec/types';
import { countStates, leaderboard, newTrial, packTrials } from '../trials';
import { SEARCH_ATTRIBUTES, type Controls } from './control';
import { installHandlers } from './handlers';
import { failureReason, JobRunner } from './jobs';
import { Population } from './pbt';
import { control, localSampling, sampling, TrainingQueues } from './proxies';
import { CampaignState, type CampaignInput } from './state';

export type { CampaignInput, CarriedState } from './state';

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const state = new CampaignState(workflowInfo().workflowId, input.carried, Date.now());
  installHandlers(state);
  await setUp(state, input);
  const jobs = new JobRunner(state, new TrainingQueues(state.ready().spec.resources));
  state.enter('searching');
  const searched = await search(state, jobs);
  if (state.draining && !state.ready().controls.cancelRequested) {
    await state.reportRefresh;
    return await continueAsNew<typeof campaign>({ carried: state.carried() });
  }
  for (const t of state.trials.filter((x) => x.paused)) await jobs.endPaused(t);
  let end = searchEnd(state, searched);
  if ((end.status === 'COMPLETED' || end.status === 'STOPPED') && state.ready().spec.retrain.topK > 0) end = await retrainStage(state, jobs, end);
  return await finalize(state, end);
}

interface Ending {
  status: CampaignStatus;
  reason?: string;
}

function initialControls(spec: ExperimentSpec): Controls {
  const { maxTrials, maxConcurrentTrials, maxDurationSeconds } = spec.budget;
  return { paused: false, stopRequested: false, cancelRequested: false, maxTrials, maxConcurrentTrials, maxDurationSeconds, enqueued: [...spec.search.enqueue] };
}

/** Load the spec, find or create the MLflow run, read an extension's old trials: once per campaign, not per run. */
async function setUp(state: CampaignState, input: CampaignInput): Promise<void> {
  const { carried, lineage } = input;
  let specText = '';
  if (!state.spec) {
    const { carried: _carried, lineage: _lineage, ...source } = input;
    const fresh = await control.loadSpec(source);
    state.spec = fresh.spec;
    specText = fresh.specText;
  }
  const spec = state.spec;
  // Asked only with several objectives, so single-objective histories never see the marker.
  if (spec.objective.length > 1) state.paretoRanking = patched('pareto-ranking');
  if (spec.objective.length > 1) state.paretoPruning = patched('pareto-pruning');
  state.space = parseSpace(spec.search.space);
  // Asked only for pbt specs, so histories of other campaigns never see the marker.
  if (isPbt(spec) && patched('pbt')) state.pbt = new Population(spec, carried?.pbt);
  const controls = (state.controls ??= initialControls(spec));
  const tracking = carried?.tracking ?? (await control.ensureCampaignRun({ campaignId: state.workflowId, spec, specText, ...(input.specDir ? { specDir: input.specDir } : {}) }));
  const names = Object.values(SEARCH_ATTRIBUTES).map((key) => key.name);
  const searchAttributes = carried?.searchAttributes ?? (await control.searchAttributesReady({ names }));
  if (lineage && !carried) {
    const old = await control.loadWarmStart({ lineage, spec, tracking });
    // Packed once, like the campaign's own trials: they ride along with every suggestion request.
    state.warm = packTrials(old.trials.map((t) => ({ ...newTrial(t.number, t.params), state: t.state, values: t.values ?? null })));
  }
  state.setup = { spec, controls, tracking, searchAttributes, scheduler: createScheduler(spec.search.scheduler) };
}

const tooManyFailures = (state: CampaignState) => state.failed > state.ready().spec.budget.maxFailedTrials;

function deadline(state: CampaignState): number | null {
  const { maxDurationSeconds } = state.ready().controls;
  return maxDurationSeconds === null ? null : state.startedAt + maxDurationSeconds * 1000;
}

/** How many jobs may start now, given the controls (0 while paused, stopping, draining or failed). */
function freeSlots(state: CampaignState): number {
  const c = state.ready().controls;
  const searching = !c.paused && !c.stopRequested && !c.cancelRequested && !state.draining && !tooManyFailures(state);
  return searching ? c.maxConcurrentTrials - state.running : 0;
}

/** Paused trials the scheduler wants resumed now: they come before new trials. */
function promotable(state: CampaignState): number[] {
  const { scheduler } = state.ready();
  const slots = freeSlots(state);
  return slots > 0 && scheduler.promotions ? scheduler.promotions(state.schedulerContext(), slots) : [];
}

/** The search stage: start trials until the budget, a request or continue-as-new ends it; returns why it ended early. */
async function search(state: CampaignState, jobs: JobRunner): Promise<Ending> {
  const { spec, controls: c } = state.ready();
  const ending: Ending = { status: 'COMPLETED' };
  let spaceExhausted = false;
  const canStartNew = () => {
    const due = deadline(state);
    return !spaceExhausted && freeSlots(state) > 0 && state.trials.length < c.maxTrials && (due === null || Date.now() < due);
  };
  const canStart = () => canStartNew() || promotable(state).length > 0;
  const drainDue = () => workflowInfo().continueAsNewSuggested && !state.draining;

  // Trials parked by a continue-as-new resume first.
  for (const t of state.trials) if (t.state === 'RUNNING' && !t.paused) void state.work.run(() => jobs.runTrial(t));
  for (;;) {
    const due = deadline(state);
    const wake = () => canStart() || (state.running === 0 && !c.paused) || c.cancelRequested || drainDue();
    if (due !== null && Date.now() < due) await condition(wake, due - Date.now());
    else await condition(wake);
    if (drainDue()) state.draining = true;
    if (canStart()) stopIfDone(state);
    if (!canStart()) {
      if (state.running === 0 || c.cancelRequested) break;
      continue;
    }
    const promoted = promotable(state);
    if (promoted.length > 0) {
      for (const n of promoted) void state.work.run(() => jobs.promote(state.trials[n]!));
      continue;
    }
    const slots = Math.min(c.maxConcurrentTrials - state.running, c.maxTrials - state.trials.length);
    const numbers = Array.from({ length: slots }, (_, i) => state.trials.length + i);
    const fixed: (Params | null)[] = numbers.map(() => c.enqueued.shift() ?? null);
    let suggestions: Params[];
    try {
      const warmStart = state.warm ? { warmStart: state.warm } : {};
      const request = { spec, trials: packTrials(state.trials), numbers: numbers.map((n) => n + state.offset), fixed, ...warmStart };
      suggestions = patched('local-suggest') ? await localSampling.suggestTrials(request) : await sampling.suggestTrials(request);
    } catch (err) {
      // Only non-retryable failures get here: an exhausted finite space ends the search normally.
      ending.reason = failureReason(err);
      if (!ending.reason.startsWith('SpaceExhaustedError')) ending.status = 'FAILED';
      spaceExhausted = true;
      continue;
    }
    suggestions.forEach((params, i) => {
      const t = newTrial(numbers[i]!, params);
      state.trials.push(t);
      void state.work.run(() => jobs.runTrial(t));
    });
  }
  // Trials that gave their slot back finish their bookkeeping before the search ends.
  await condition(() => state.running === 0 && state.finishing === 0);
  return ending;
}

/**
 * `budget.stopWhen`: once its rule holds, the search stops as on `tuneflow stop` (running trials finish,
 * then the retrain stage), with the rule's reason. Asked only before new work would start. Behind a patch
 * marker: histories recorded before it (none of which has a stopWhen) replay as they were.
 */
function stopIfDone(state: CampaignState): void {
  const { spec, controls: c } = state.ready();
  const rule = spec.budget.stopWhen;
  if (!rule || c.stopRequested || c.cancelRequested) return;
  const reason = campaignStopReason(state.trials, rule, spec.objective[0]!.direction, objectiveLabel(spec.objective[0]!));
  if (reason === null || !patched('stop-when')) return;
  c.stopRequested = true;
  c.stopReason = `${reason} (after ${state.trials.length} trials)`;
}

/** Why the search stage ended, as the result reports it: failures and requests outrank the budget. */
function searchEnd(state: CampaignState, searched: Ending): Ending {
  const { spec, controls: c } = state.ready();
  const n = state.trials.length;
  if (tooManyFailures(state)) return { status: 'FAILED', reason: `${state.failed} failed trial(s), more than budget.maxFailedTrials=${spec.budget.maxFailedTrials}` };
  if (c.cancelRequested) return { status: 'CANCELLED', reason: 'cancelled by request' };
  if (c.stopRequested) return { status: 'STOPPED', reason: c.stopReason ?? `stopped by request after ${n} trials` };
  if (!searched.reason && n < c.maxTrials) return { ...searched, reason: `budget.maxDuration reached after ${n} trials` };
  return searched;
}

/** Retrain the top-k trials, `retrain.seeds` times each, at most `maxConcurrentTrials` at once. */
async function retrainStage(state: CampaignState, jobs: JobRunner, end: Ending): Promise<Ending> {
  const { spec, controls: c } = state.ready();
  state.enter('retraining');
  // Several objectives: the Pareto front first, in ranked order (docs/objectives.md).
  const top = state.ranked().slice(0, spec.retrain.topK).map((r) => r.trial);
  const queue = top.flatMap((t) => Array.from({ length: spec.retrain.seeds }, (_, seedIndex) => ({ t, seedIndex })));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const { t, seedIndex } = queue[next++]!;
      state.retrainResults.push(await jobs.retrain(t, seedIndex));
    }
  };
  await state.work.run(() => Promise.all(Array.from({ length: Math.min(c.maxConcurrentTrials, queue.length) }, worker)));
  return c.cancelRequested ? { status: 'CANCELLED', reason: 'cancelled by request during retrain' } : end;
}

/** The result, the leaderboard and the summary on the campaign's MLflow run. */
async function finalize(state: CampaignState, end: Ending): Promise<CampaignResult> {
  const { spec, tracking } = state.ready();
  state.enter('finalizing');
  const counts = countStates(state.trials);
  const ranked = state.ranked();
  const best = ranked[0]?.trial;
  const tied = ranked.filter((r) => r.front === 1).length - 1;
  const separation = state.separationMessage(ranked);
  const front = spec.objective.length > 1 ? ranked.filter((r) => r.front === 1).map(({ trial: t }) => state.shown({ trialNumber: t.number, params: t.params, values: t.values! })) : null;
  const retrainRuns = state.retrainResults;
  const result: CampaignResult = {
    workflowId: state.workflowId,
    status: end.status,
    ...(end.reason ? { reason: end.reason } : {}),
    best: best ? state.shown({ trialNumber: best.number, params: best.params, value: best.values![0]!, ...(front ? { values: best.values! } : {}) }) : null,
    ...(front ? { front } : {}),
    ...(!front && tied > 0 ? { tiedWithBest: tied } : {}),
    ...(separation ? { separation } : {}),
    trials: { completed: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL },
    retrain: retrainRuns
      .sort((a, b) => a.trialNumber - b.trialNumber || a.seedIndex - b.seedIndex)
      .map(({ trialNumber, params, metrics }) => ({ trialNumber, params, metrics })),
    mlflow: tracking,
    timing: { wallSeconds: (Date.now() - state.startedAt) / 1000, trainSeconds: state.trainSeconds },
  };
  const rows = leaderboard(state.trials, state.directions()).map((row) => state.shown(row));
  await state.reportRefresh; // a redraw still running must not land after the final report
  await control.finalizeCampaign({ campaignId: state.workflowId, tracking, spec, leaderboard: rows, result, retrainRuns });
  state.enter('done');
  return result;
}
