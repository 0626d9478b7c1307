// The `campaign` workflow: orchestration only. It loads the spec, runs the sample-train-prune loop
// with at most `maxConcurrentTrials` trials at once, retrains the best configurations and writes the
// summary. Every side effect is an activity; the scheduler (pure) decides inside the workflow, so all
// pruning decisions come from one consistent state. Users steer it live through the updates in
// control.ts (pause, resume, stop, cancel, extend, set-concurrency, enqueue).
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  CampaignActivities,
  CampaignResult,
  CampaignStatus,
  Lineage,
  LoadSpecInput,
  RetrainResult,
  RunRef,
  SegmentInput,
  SegmentOutput,
  Tracking,
} from '../activities/types';
import { NON_RETRYABLE_TRAINING_ERRORS } from '../activities/types';
import { createScheduler } from '../search/schedulers';
import { parseSpace } from '../search/space';
import type { Params } from '../search/space-types';
import type { ExperimentSpec } from '../spec/types';
import {
  cancelUpdate,
  concurrencyProblem,
  enqueueProblem,
  extendProblem,
  extendUpdate,
  enqueueUpdate,
  leaderboardQuery,
  pauseUpdate,
  resumeUpdate,
  SEARCH_ATTRIBUTES,
  searchStageProblem,
  setConcurrencyUpdate,
  statusQuery,
  stopUpdate,
  type CampaignPhase,
  type CampaignProgress,
  type Controls,
} from './control';
import { isPacked, packTrials, unpackTrials, type PackedTrials } from './carry';
import { constraintValues, countStates, leaderboard, newTrial, objectiveValues, rankCompleted, toSummary, type TrialRecord } from './trials';

/** What a campaign hands to its next run on continue-as-new. */
export interface CarriedState {
  spec: ExperimentSpec;
  tracking: Tracking;
  /** Packed (see carry.ts); runs recorded before the packing carried the records as they are. */
  trials: PackedTrials | TrialRecord[];
  controls: Controls;
  trainSeconds: number;
  startedAt: number;
  searchAttributes: boolean;
  /** An extension's or fork's old trials, packed; absent for a campaign of its own. */
  warm?: PackedTrials;
}

export interface CampaignInput extends LoadSpecInput {
  carried?: CarriedState;
  /** Continue a finished campaign (`tuneflow extend` / `fork`): its trials warm-start the sampler. */
  lineage?: Lineage;
}

// MLflow or a worker may be down for a while: keep retrying, the campaign waits rather than loses work.
const controlRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: ['SpecError', 'LineageError'] };
const control = proxyActivities<Omit<CampaignActivities, 'suggestTrials'>>({
  startToCloseTimeout: '5 minutes',
  // These beat on a timer while they wait on I/O (activities/heartbeat.ts): a killed worker's attempt is retried after 30 s.
  heartbeatTimeout: '30 seconds',
  retry: controlRetry,
});
/**
 * The sampler computes in a worker thread while the activity heartbeats (activities/suggest.ts): a killed
 * worker's attempt is retried after 30 s, and a slow suggestion (a GP over thousands of trials) has an hour.
 */
const sampling = proxyActivities<Pick<CampaignActivities, 'suggestTrials'>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: controlRetry,
});

function trainingActivities(taskQueue: string, scheduleToStartSeconds?: number) {
  return proxyActivities<Pick<CampaignActivities, 'trainSegment' | 'evaluateRun' | 'deleteCheckpoints'>>({
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
  if (isCancellation(err)) return 'cancelled';
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

function initialControls(spec: ExperimentSpec): Controls {
  return {
    paused: false,
    stopRequested: false,
    cancelRequested: false,
    maxTrials: spec.budget.maxTrials,
    maxConcurrentTrials: spec.budget.maxConcurrentTrials,
    maxDurationSeconds: spec.budget.maxDurationSeconds,
    enqueued: [...spec.search.enqueue],
  };
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  const { workflowId } = workflowInfo();
  const carried = input.carried;
  let phase: CampaignPhase = 'loading';
  let spec: ExperimentSpec | null = carried?.spec ?? null;
  let controls: Controls | null = carried?.controls ?? null;
  const trials: TrialRecord[] = !carried ? [] : isPacked(carried.trials) ? unpackTrials(carried.trials) : carried.trials;
  let trainSeconds = carried?.trainSeconds ?? 0;
  // An extension's or fork's old trials: the sampler sees them as trials 0..offset-1, and this campaign's
  // trials are shown (MLflow, results, queries) numbered from offset. Without a lineage offset is 0.
  let warm: PackedTrials | null = carried?.warm ?? null;
  let offset = warm?.count ?? 0;
  const shown = <T extends { trialNumber: number }>(row: T): T => ({ ...row, trialNumber: row.trialNumber + offset });
  const startedAt = carried?.startedAt ?? Date.now();
  let failed = trials.filter((t) => t.state === 'FAIL').length;
  let running = 0;
  const retrainResults: RetrainResult[] = [];
  // Every trial and retrain job runs inside this scope, so `cancel` stops them all at once.
  const work = new CancellationScope();

  const progress = (): CampaignProgress => {
    const counts = countStates(trials);
    const direction = spec?.objective[0]?.direction ?? 'minimize';
    const best = rankCompleted(trials, direction)[0];
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const planned = spec && controls ? controls.maxTrials * spec.training.epochs + spec.retrain.topK * spec.retrain.seeds * spec.retrain.epochs : 0;
    const done = trials.reduce((n, t) => n + (t.state === 'RUNNING' ? t.epochsDone : (spec?.training.epochs ?? 0)), 0);
    return {
      phase: phase === 'searching' && controls?.paused ? 'paused' : phase,
      name: spec?.name ?? null,
      trials: { running: counts.RUNNING, paused: counts.PAUSED, completed: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL, total: trials.length },
      budget: controls
        ? { maxTrials: controls.maxTrials, maxConcurrentTrials: controls.maxConcurrentTrials, maxDurationSeconds: controls.maxDurationSeconds }
        : null,
      best: best ? shown({ trialNumber: best.number, value: best.values![0]!, params: best.params }) : null,
      metric: spec?.objective[0]?.metric ?? null,
      elapsedSeconds,
      trainSeconds,
      remainingSeconds: planned > 0 && done > 0 ? Math.max(0, (elapsedSeconds * (planned - done)) / done) : null,
      requests: controls
        ? (['pause', 'stop', 'cancel'] as const).filter((r) => ({ pause: controls!.paused, stop: controls!.stopRequested, cancel: controls!.cancelRequested })[r])
        : [],
    };
  };
  setHandler(statusQuery, progress);
  setHandler(leaderboardQuery, () => (spec ? leaderboard(trials, spec.objective[0]!.direction).map(shown) : []));

  // Validators run before the update is recorded: a rejected request leaves nothing in the history.
  const loaded = (): Controls => {
    if (!controls) throw new Error('the campaign is still loading its spec; try again in a moment');
    return controls;
  };
  const check = (problem: string | null) => {
    if (problem) throw new Error(problem);
  };
  let space: ReturnType<typeof parseSpace> | null = spec ? parseSpace(spec.search.space) : null;
  setHandler(pauseUpdate, () => ((loaded().paused = true), progress()), {
    validator: () => check(searchStageProblem(phase, loaded()) ?? (loaded().paused ? 'the campaign is already paused' : null)),
  });
  setHandler(resumeUpdate, () => ((loaded().paused = false), progress()), {
    validator: () => check(loaded().paused ? null : 'the campaign is not paused'),
  });
  setHandler(stopUpdate, () => ((loaded().stopRequested = true), (loaded().paused = false), progress()), {
    validator: () => check(searchStageProblem(phase, loaded())),
  });
  setHandler(
    cancelUpdate,
    () => {
      loaded().cancelRequested = true;
      work.cancel();
      return progress();
    },
    { validator: () => check(loaded().cancelRequested ? 'the campaign is already being cancelled' : phase === 'finalizing' || phase === 'done' ? 'the campaign is finishing' : null) },
  );
  setHandler(
    extendUpdate,
    (req) => {
      const c = loaded();
      c.maxTrials += req.trials ?? 0;
      if (req.seconds !== undefined && c.maxDurationSeconds !== null) c.maxDurationSeconds += req.seconds;
      return progress();
    },
    { validator: (req) => check(extendProblem(req, phase, loaded())) },
  );
  setHandler(setConcurrencyUpdate, (n) => ((loaded().maxConcurrentTrials = n), progress()), {
    validator: (n) => check(concurrencyProblem(n, phase, loaded())),
  });
  setHandler(enqueueUpdate, (list) => (loaded().enqueued.push(...list), progress()), {
    validator: (list) => check(enqueueProblem(list, space, phase, loaded())),
  });

  let specText = '';
  if (!spec) {
    const { carried: _carried, lineage: _lineage, ...source } = input;
    const fresh = await control.loadSpec(source);
    spec = fresh.spec;
    specText = fresh.specText;
    space = parseSpace(spec.search.space);
  }
  const s: ExperimentSpec = spec;
  const c: Controls = (controls ??= initialControls(s));
  const tracking = carried?.tracking ?? (await control.ensureCampaignRun({ campaignId: workflowId, spec: s, specText }));
  const searchAttributes = carried?.searchAttributes ?? (await control.searchAttributesReady());
  if (input.lineage && !carried) {
    const old = await control.loadWarmStart({ lineage: input.lineage, spec: s, tracking });
    // Packed once, like the campaign's own trials: they ride along with every suggestion request.
    warm = packTrials(old.trials.map((t) => ({ ...newTrial(t.number, t.params), state: t.state, values: t.values ?? null })));
    offset = warm.count;
  }
  const direction = s.objective[0]!.direction;
  const scheduler = createScheduler(s.search.scheduler);
  const primary = trainingActivities(s.resources.taskQueue, s.resources.fallbackTaskQueue ? s.resources.fallbackAfterSeconds : undefined);
  const fallback = s.resources.fallbackTaskQueue ? trainingActivities(s.resources.fallbackTaskQueue) : null;

  /** Name, phase and best value as search attributes, when the namespace has them registered. */
  let shownBest: number | null = null;
  const publish = () => {
    if (!searchAttributes) return;
    const best = rankCompleted(trials, direction)[0]?.values?.[0] ?? null;
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.name, value: s.name },
      { key: SEARCH_ATTRIBUTES.state, value: progress().phase },
      ...(best !== null && Number.isFinite(best) ? [{ key: SEARCH_ATTRIBUTES.best, value: best }] : []),
    ]);
    shownBest = best;
  };
  const enter = (next: CampaignPhase) => {
    phase = next;
    publish();
  };

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
    trialNumber: trialNumber + offset,
    seedIndex,
  });
  /** Bookkeeping that must happen even when the job was cancelled. */
  const finish = (...args: Parameters<typeof control.finishRun>) => CancellationScope.nonCancellable(() => control.finishRun(...args));

  let draining = false;
  const schedulerContext = () => ({ trials: trials.map(toSummary), direction, maxEpochs: s.training.epochs });
  /** Search checkpoints are not needed once a trial ends: retrain trains from scratch. */
  const dropCheckpoints = (t: TrialRecord) => CancellationScope.nonCancellable(() => primary.deleteCheckpoints(ref(t.number, 'search', 0)));

  async function runTrial(t: TrialRecord): Promise<void> {
    running += 1;
    try {
      t.runId ??= await control.startRun({ ...ref(t.number, 'search', 0), params: t.params, spec: s });
      let last: Record<string, number> | null = null;
      while (t.epochsDone < s.training.epochs) {
        await condition(() => !c.paused || draining);
        if (draining) return; // parked at a segment boundary: the next run resumes it from its checkpoint
        // Segments end at the scheduler's rungs, so every decision sees a finished epoch.
        const milestone = scheduler.nextMilestone?.(schedulerContext(), t.number, t.epochsDone) ?? Infinity;
        const toEpoch = Math.min(t.epochsDone + s.training.segmentEpochs, milestone, s.training.epochs);
        const out = await train({
          ...ref(t.number, 'search', 0),
          runId: t.runId,
          spec: s,
          params: t.params,
          seed: jobSeed(s, t.number + offset, 0),
          fromEpoch: t.epochsDone,
          toEpoch,
        });
        trainSeconds += out.trainSeconds;
        for (const e of out.epochs) t.history[e.epoch] = objectiveValues(s, e.metrics);
        t.epochsDone = toEpoch;
        last = out.epochs.at(-1)?.metrics ?? last;
        if (toEpoch >= s.training.epochs) break;
        const decision = scheduler.decide(schedulerContext(), t.number, toEpoch);
        if (decision === 'prune') {
          t.state = 'PRUNED';
          t.reason = `pruned by ${scheduler.name} after epoch ${toEpoch}`;
          await finish({ runId: t.runId, state: 'PRUNED', reason: t.reason, summary: { rung: toEpoch } });
          await dropCheckpoints(t);
          return;
        }
        if (decision === 'pause') {
          // Holds no worker: `promotions` resumes it from this checkpoint, or it ends PRUNED with the search.
          t.paused = true;
          await control.setRunTags({ runId: t.runId, tags: { 'tuneflow.state': 'PAUSED', 'tuneflow.rung': String(toEpoch) } });
          return;
        }
      }
      t.values = last ? objectiveValues(s, last) : (t.history[s.training.epochs] ?? null);
      if (!t.values) throw new Error(`trial ${t.number} finished without metrics`);
      const constraints = last ? constraintValues(s, last) : undefined;
      if (constraints) t.constraints = constraints;
      t.state = 'COMPLETE';
      await finish({ runId: t.runId, state: 'COMPLETE', summary: { objective: t.values[0]! } });
      await dropCheckpoints(t);
      if (rankCompleted(trials, direction)[0]?.values?.[0] !== shownBest) publish();
    } catch (err) {
      t.state = 'FAIL';
      t.reason = failureReason(err);
      if (!isCancellation(err)) failed += 1;
      if (t.runId) await finish({ runId: t.runId, state: 'FAIL', reason: t.reason, killed: isCancellation(err) });
      await dropCheckpoints(t);
    } finally {
      running -= 1;
    }
  }

  /** A paused trial resumes where it stopped, on any worker. */
  async function promote(t: TrialRecord): Promise<void> {
    t.paused = false;
    await control.setRunTags({ runId: t.runId!, tags: { 'tuneflow.state': 'RUNNING' } });
    await runTrial(t);
  }

  let status: CampaignStatus = 'COMPLETED';
  let endReason: string | undefined;
  const tooManyFailures = () => failed > s.budget.maxFailedTrials;
  const deadline = () => (c.maxDurationSeconds === null ? null : startedAt + c.maxDurationSeconds * 1000);
  let spaceExhausted = false;
  const searching = () => !c.paused && !c.stopRequested && !c.cancelRequested && !draining && !tooManyFailures();
  const freeSlots = () => c.maxConcurrentTrials - running;
  /** Paused trials the scheduler wants resumed now: they come before new trials. */
  const promotable = () => (searching() && freeSlots() > 0 && scheduler.promotions ? scheduler.promotions(schedulerContext(), freeSlots()) : []);
  const canStartNew = () =>
    searching() && !spaceExhausted && freeSlots() > 0 && trials.length < c.maxTrials && (deadline() === null || Date.now() < deadline()!);
  const canStart = () => canStartNew() || promotable().length > 0;

  enter('searching');
  // Trials parked by a continue-as-new resume first.
  for (const t of trials) if (t.state === 'RUNNING' && !t.paused) void work.run(() => runTrial(t));
  for (;;) {
    const due = deadline();
    const wake = () =>
      canStart() || (running === 0 && !c.paused) || c.cancelRequested || (workflowInfo().continueAsNewSuggested && !draining);
    if (due !== null && Date.now() < due) await condition(wake, due - Date.now());
    else await condition(wake);
    if (workflowInfo().continueAsNewSuggested && !draining) draining = true;
    if (!canStart()) {
      if (running === 0 || c.cancelRequested) break;
      continue;
    }
    const promoted = promotable();
    if (promoted.length > 0) {
      for (const n of promoted) void work.run(() => promote(trials[n]!));
      continue;
    }
    const slots = Math.min(c.maxConcurrentTrials - running, c.maxTrials - trials.length);
    const numbers = Array.from({ length: slots }, (_, i) => trials.length + i);
    const fixed: (Params | null)[] = numbers.map(() => c.enqueued.shift() ?? null);
    let suggestions: Params[];
    try {
      suggestions = await sampling.suggestTrials({
        spec: s,
        trials: packTrials(trials),
        numbers: numbers.map((n) => n + offset),
        fixed,
        ...(warm ? { warmStart: warm } : {}),
      });
    } catch (err) {
      // Only non-retryable failures get here: an exhausted finite space ends the search normally.
      endReason = failureReason(err);
      if (!endReason.startsWith('SpaceExhaustedError')) status = 'FAILED';
      spaceExhausted = true;
      continue;
    }
    suggestions.forEach((params, i) => {
      const t = newTrial(numbers[i]!, params);
      trials.push(t);
      void work.run(() => runTrial(t));
    });
  }
  await condition(() => running === 0);
  if (draining && !c.cancelRequested) {
    return await continueAsNew<typeof campaign>({
      carried: { spec: s, tracking, trials: packTrials(trials), controls: c, trainSeconds, startedAt, searchAttributes, ...(warm ? { warm } : {}) },
    });
  }
  // Trials still waiting at a rung stopped there: they end as PRUNED.
  for (const t of trials.filter((x) => x.paused)) {
    t.paused = false;
    t.state = 'PRUNED';
    t.reason = `stopped at rung ${t.epochsDone} when the search ended`;
    await finish({ runId: t.runId!, state: 'PRUNED', reason: t.reason, summary: { rung: t.epochsDone } });
    await dropCheckpoints(t);
  }
  if (tooManyFailures()) {
    status = 'FAILED';
    endReason = `${failed} failed trial(s), more than budget.maxFailedTrials=${s.budget.maxFailedTrials}`;
  } else if (c.cancelRequested) {
    status = 'CANCELLED';
    endReason = 'cancelled by request';
  } else if (c.stopRequested) {
    status = 'STOPPED';
    endReason = `stopped by request after ${trials.length} trials`;
  } else if (!endReason && trials.length < c.maxTrials) {
    endReason = `budget.maxDuration reached after ${trials.length} trials`;
  }

  async function retrain(t: TrialRecord, seedIndex: number): Promise<RetrainResult> {
    const r = ref(t.number, 'retrain', seedIndex);
    let runId = '';
    let checkpoint = '';
    let metrics: Record<string, number> = {};
    try {
      runId = await control.startRun({ ...r, params: t.params, spec: s });
      for (let from = 0; from < s.retrain.epochs; from += s.training.segmentEpochs) {
        const out = await train({
          ...r,
          runId,
          spec: s,
          params: t.params,
          seed: jobSeed(s, t.number + offset, seedIndex + 1),
          fromEpoch: from,
          toEpoch: Math.min(from + s.training.segmentEpochs, s.retrain.epochs),
        });
        trainSeconds += out.trainSeconds;
        checkpoint = out.checkpoint;
        metrics = { ...metrics, ...(out.epochs.at(-1)?.metrics ?? {}) };
      }
      metrics = { ...metrics, ...(await primary.evaluateRun({ ...r, runId, spec: s, params: t.params, checkpoint, exportModel: true })) };
      await finish({ runId, state: 'COMPLETE' });
      return { trialNumber: t.number + offset, seedIndex, runId, params: t.params, metrics };
    } catch (err) {
      const error = failureReason(err);
      if (runId) await finish({ runId, state: 'FAIL', reason: error, killed: isCancellation(err) });
      return { trialNumber: t.number + offset, seedIndex, runId, params: t.params, metrics, error };
    }
  }

  if ((status === 'COMPLETED' || status === 'STOPPED') && s.retrain.topK > 0) {
    enter('retraining');
    const top = rankCompleted(trials, direction).slice(0, s.retrain.topK);
    const jobs = top.flatMap((t) => Array.from({ length: s.retrain.seeds }, (_, seedIndex) => ({ t, seedIndex })));
    let next = 0;
    const retrainMore = async (): Promise<void> => {
      while (next < jobs.length) {
        const { t, seedIndex } = jobs[next++]!;
        retrainResults.push(await retrain(t, seedIndex));
      }
    };
    await work.run(() => Promise.all(Array.from({ length: Math.min(c.maxConcurrentTrials, jobs.length) }, retrainMore)));
    if (c.cancelRequested) {
      status = 'CANCELLED';
      endReason = 'cancelled by request during retrain';
    }
  }

  enter('finalizing');
  const counts = countStates(trials);
  const best = rankCompleted(trials, direction)[0];
  const result: CampaignResult = {
    workflowId,
    status,
    ...(endReason ? { reason: endReason } : {}),
    best: best ? shown({ trialNumber: best.number, params: best.params, value: best.values![0]! }) : null,
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
    leaderboard: leaderboard(trials, direction).map(shown),
    result,
    retrainRuns: retrainResults,
  });
  enter('done');
  return result;
}
