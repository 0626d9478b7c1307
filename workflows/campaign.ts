// The `campaign` workflow: orchestration only. It loads the spec, runs the sample-train-prune loop
// with at most `maxConcurrentTrials` trials at once, retrains the best configurations and writes the
// summary. Every side effect is an activity; the scheduler (pure) decides inside the workflow, so all
// pruning decisions come from one consistent state.
import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CampaignActivities,
  CampaignResult,
  CampaignStatus,
  LeaderboardRow,
  LoadSpecInput,
  RetrainResult,
  RunRef,
  SegmentInput,
  SegmentOutput,
  Tracking,
} from '../activities/types';
import { NON_RETRYABLE_TRAINING_ERRORS } from '../activities/types';
import type { ExperimentSpec } from '../spec/types';
import { createScheduler } from '../search/schedulers';
import {
  countStates,
  leaderboard,
  newTrial,
  objectiveValues,
  rankCompleted,
  toSummary,
  type TrialRecord,
} from './trials';

/** What a campaign hands to its next run on continue-as-new. */
export interface CarriedState {
  spec: ExperimentSpec;
  tracking: Tracking;
  trials: TrialRecord[];
  trainSeconds: number;
  startedAt: number;
  /** Set when the search stage already ended (the carry happened during retrain). */
  searchEnded: boolean;
}

export interface CampaignInput extends LoadSpecInput {
  carried?: CarriedState;
}

export type CampaignPhase = 'loading' | 'searching' | 'retraining' | 'finalizing' | 'done';

export interface CampaignProgress {
  phase: CampaignPhase;
  name: string | null;
  trials: { running: number; completed: number; pruned: number; failed: number; total: number };
  best: { trialNumber: number; value: number; params: Record<string, unknown> } | null;
  metric: string | null;
  elapsedSeconds: number;
  trainSeconds: number;
  /** Rough estimate from the share of planned epochs done so far; null until something is done. */
  remainingSeconds: number | null;
}

export const statusQuery = defineQuery<CampaignProgress>('status');
export const leaderboardQuery = defineQuery<LeaderboardRow[]>('leaderboard');

const control = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '5 minutes',
  // MLflow or a worker may be down for a while: keep retrying, the campaign waits rather than loses work.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['SpecError'] },
});

function trainingActivities(taskQueue: string, scheduleToStartSeconds?: number) {
  return proxyActivities<Pick<CampaignActivities, 'trainSegment' | 'evaluateRun'>>({
    taskQueue,
    startToCloseTimeout: '24 hours',
    // A killed worker stops heartbeating; the segment is retried elsewhere from its last checkpoint.
    heartbeatTimeout: '30 seconds',
    ...(scheduleToStartSeconds ? { scheduleToStartTimeout: `${scheduleToStartSeconds} seconds` } : {}),
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes: NON_RETRYABLE_TRAINING_ERRORS,
    },
  });
}

function failureReason(err: unknown): string {
  let e: unknown = err;
  // ActivityFailure wraps the activity's own error; the cause says what really went wrong.
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return `${e.type}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

function isScheduleToStartTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}

/** Seed for a trial's weight init and data order: a pure function of the campaign seed and the job. */
function jobSeed(spec: ExperimentSpec, trialNumber: number, seedIndex: number): number {
  return (spec.seed * 1_000_003 + trialNumber * 7_919 + seedIndex * 104_729) % 2_147_483_647;
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const { workflowId } = workflowInfo();
  let phase: CampaignPhase = 'loading';
  let spec: ExperimentSpec | null = input.carried?.spec ?? null;
  const trials: TrialRecord[] = input.carried?.trials ?? [];
  let trainSeconds = input.carried?.trainSeconds ?? 0;
  const startedAt = input.carried?.startedAt ?? Date.now();
  let failed = trials.filter((t) => t.state === 'FAIL').length;
  let running = 0;
  let draining = false;
  let endReason: string | undefined;
  let status: CampaignStatus = 'COMPLETED';
  const retrainResults: RetrainResult[] = [];

  const progress = (): CampaignProgress => {
    const counts = countStates(trials);
    const direction = spec?.objective[0]?.direction ?? 'minimize';
    const best = rankCompleted(trials, direction)[0];
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const planned = spec ? spec.budget.maxTrials * spec.training.epochs + spec.retrain.topK * spec.retrain.seeds * spec.retrain.epochs : 0;
    const done = trials.reduce((n, t) => n + (t.state === 'RUNNING' ? t.epochsDone : spec?.training.epochs ?? 0), 0);
    return {
      phase,
      name: spec?.name ?? null,
      trials: { running: counts.RUNNING, completed: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL, total: trials.length },
      best: best ? { trialNumber: best.number, value: best.values![0]!, params: best.params } : null,
      metric: spec?.objective[0]?.metric ?? null,
      elapsedSeconds,
      trainSeconds,
      remainingSeconds: planned > 0 && done > 0 ? Math.max(0, (elapsedSeconds * (planned - done)) / done) : null,
    };
  };
  setHandler(statusQuery, progress);
  setHandler(leaderboardQuery, () => (spec ? leaderboard(trials, spec.objective[0]!.direction) : []));

  let specText = '';
  if (!spec) {
    const { carried: _carried, ...source } = input;
    const loaded = await control.loadSpec(source);
    spec = loaded.spec;
    specText = loaded.specText;
  }
  const s: ExperimentSpec = spec;
  const tracking = input.carried?.tracking ?? (await control.ensureCampaignRun({ campaignId: workflowId, spec: s, specText }));
  const direction = s.objective[0]!.direction;
  const scheduler = createScheduler(s.search.scheduler);
  const primary = trainingActivities(s.resources.taskQueue, s.resources.fallbackTaskQueue ? s.resources.fallbackAfterSeconds : undefined);
  const fallback = s.resources.fallbackTaskQueue ? trainingActivities(s.resources.fallbackTaskQueue) : null;

  /** Train on the configured queue; fall back to the CPU queue when no worker picked the segment up in time. */
  async function train(req: SegmentInput): Promise<SegmentOutput> {
    try {
      return await primary.trainSegment(req);
    } catch (err) {
      if (fallback && isScheduleToStartTimeout(err)) return await fallback.trainSegment(req);
      throw err;
    }
  }

  const ref = (trialNumber: number, stage: RunRef['stage'], seedIndex: number): RunRef => ({
    campaignId: workflowId,
    tracking,
    stage,
    trialNumber,
    seedIndex,
  });

  async function runTrial(t: TrialRecord): Promise<void> {
    running += 1;
    try {
      t.runId ??= await control.startRun({ ...ref(t.number, 'search', 0), params: t.params });
      let last: Record<string, number> | null = null;
      while (t.epochsDone < s.training.epochs) {
        if (draining) return; // parked at a segment boundary: the next run resumes it from its checkpoint
        const toEpoch = Math.min(t.epochsDone + s.training.segmentEpochs, s.training.epochs);
        const out = await train({
          ...ref(t.number, 'search', 0),
          runId: t.runId,
          spec: s,
          params: t.params,
          seed: jobSeed(s, t.number, 0),
          fromEpoch: t.epochsDone,
          toEpoch,
        });
        trainSeconds += out.trainSeconds;
        for (const e of out.epochs) t.history[e.epoch] = objectiveValues(s, e.metrics);
        t.epochsDone = toEpoch;
        last = out.epochs.at(-1)?.metrics ?? last;
        if (toEpoch < s.training.epochs) {
          const summaries = trials.map(toSummary);
          const decision = scheduler.decide({ trials: summaries, direction, maxEpochs: s.training.epochs }, t.number, toEpoch);
          if (decision === 'prune') {
            t.state = 'PRUNED';
            t.reason = `pruned by ${scheduler.name} after epoch ${toEpoch}`;
            await control.finishRun({ runId: t.runId, state: 'PRUNED', reason: t.reason });
            return;
          }
        }
      }
      t.values = last ? objectiveValues(s, last) : (t.history[s.training.epochs] ?? null);
      if (!t.values) throw new Error(`trial ${t.number} finished without metrics`);
      t.state = 'COMPLETE';
      await control.finishRun({ runId: t.runId, state: 'COMPLETE', summary: { objective: t.values[0]! } });
    } catch (err) {
      t.state = 'FAIL';
      t.reason = failureReason(err);
      failed += 1;
      if (t.runId) await control.finishRun({ runId: t.runId, state: 'FAIL', reason: t.reason });
    } finally {
      running -= 1;
    }
  }

  const searchEnded = input.carried?.searchEnded ?? false;
  if (!searchEnded) {
    phase = 'searching';
    // Trials parked by a continue-as-new resume first.
    for (const t of trials) if (t.state === 'RUNNING') void runTrial(t);
    const deadline = s.budget.maxDurationSeconds === null ? null : startedAt + s.budget.maxDurationSeconds * 1000;
    const timeLeft = () => (deadline === null ? undefined : Math.max(0, deadline - Date.now()));
    const budgetLeft = () => trials.length < s.budget.maxTrials;
    const tooManyFailures = () => failed > s.budget.maxFailedTrials;
    for (;;) {
      const left = timeLeft();
      const free = () => running < s.budget.maxConcurrentTrials;
      if (left === undefined) await condition(() => free() || tooManyFailures());
      else await condition(() => free() || tooManyFailures(), left);
      if (tooManyFailures()) {
        status = 'FAILED';
        endReason = `${failed} trials failed, more than budget.maxFailedTrials=${s.budget.maxFailedTrials}`;
        break;
      }
      if (!budgetLeft()) break;
      if (deadline !== null && Date.now() >= deadline) {
        endReason = `budget.maxDuration reached after ${trials.length} trials`;
        break;
      }
      if (workflowInfo().continueAsNewSuggested) {
        draining = true;
        break;
      }
      const slots = Math.min(s.budget.maxConcurrentTrials - running, s.budget.maxTrials - trials.length);
      const numbers = Array.from({ length: slots }, (_, i) => trials.length + i);
      let suggestions;
      try {
        suggestions = await control.suggestTrials({ spec: s, trials: trials.map(toSummary), numbers });
      } catch (err) {
        // Only non-retryable failures get here: an exhausted finite space ends the search normally.
        endReason = failureReason(err);
        if (!endReason.startsWith('SpaceExhaustedError')) status = 'FAILED';
        break;
      }
      suggestions.forEach((params, i) => {
        const t = newTrial(numbers[i]!, params);
        trials.push(t);
        void runTrial(t);
      });
    }
    await condition(() => running === 0);
    if (draining) {
      return await continueAsNew<typeof campaign>({
        carried: { spec: s, tracking, trials, trainSeconds, startedAt, searchEnded: false },
      });
    }
  }

  if (status !== 'FAILED' && s.retrain.topK > 0) {
    phase = 'retraining';
    const top = rankCompleted(trials, direction).slice(0, s.retrain.topK);
    const jobs = top.flatMap((t) => Array.from({ length: s.retrain.seeds }, (_, seedIndex) => ({ t, seedIndex })));
    let next = 0;
    const retrainOne = async (): Promise<void> => {
      while (next < jobs.length) {
        const { t, seedIndex } = jobs[next++]!;
        retrainResults.push(await retrain(t, seedIndex));
      }
    };
    await Promise.all(Array.from({ length: Math.min(s.budget.maxConcurrentTrials, jobs.length) }, retrainOne));
  }

  async function retrain(t: TrialRecord, seedIndex: number): Promise<RetrainResult> {
    const r = ref(t.number, 'retrain', seedIndex);
    const runId = await control.startRun({ ...r, params: t.params });
    const training = primary;
    let checkpoint = '';
    let metrics: Record<string, number> = {};
    try {
      for (let from = 0; from < s.retrain.epochs; from += s.training.segmentEpochs) {
        const out = await train({
          ...r,
          runId,
          spec: s,
          params: t.params,
          seed: jobSeed(s, t.number, seedIndex + 1),
          fromEpoch: from,
          toEpoch: Math.min(from + s.training.segmentEpochs, s.retrain.epochs),
        });
        trainSeconds += out.trainSeconds;
        checkpoint = out.checkpoint;
        metrics = { ...metrics, ...(out.epochs.at(-1)?.metrics ?? {}) };
      }
      const test = await training.evaluateRun({ ...r, runId, spec: s, params: t.params, checkpoint, exportModel: true });
      metrics = { ...metrics, ...test };
      await control.finishRun({ runId, state: 'COMPLETE' });
    } catch (err) {
      await control.finishRun({ runId, state: 'FAIL', reason: failureReason(err) });
      metrics = { ...metrics, failed: 1 };
    }
    return { trialNumber: t.number, seedIndex, runId, params: t.params, metrics };
  }

  phase = 'finalizing';
  const counts = countStates(trials);
  const best = rankCompleted(trials, direction)[0];
  const result: CampaignResult = {
    workflowId,
    status,
    ...(endReason ? { reason: endReason } : {}),
    best: best ? { trialNumber: best.number, params: best.params, value: best.values![0]! } : null,
    trials: { completed: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL },
    retrain: retrainResults
      .sort((a, b) => a.trialNumber - b.trialNumber || a.seedIndex - b.seedIndex)
      .map(({ trialNumber, params, metrics }) => ({ trialNumber, params, metrics })),
    mlflow: tracking,
    timing: { wallSeconds: (Date.now() - startedAt) / 1000, trainSeconds },
  };
  await control.finalizeCampaign({
    campaignId: workflowId,
    tracking,
    spec: s,
    leaderboard: leaderboard(trials, direction),
    result,
    retrainRuns: retrainResults,
  });
  phase = 'done';
  return result;
}
