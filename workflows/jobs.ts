// Runs one job at a time for the campaign: a search trial (segment by segment, with the scheduler's
// decision at every rung), the promotion of a trial paused at a rung, or one retrain of a top trial.
// The main loop starts as many as the controls allow; each job records its own outcome in the state.
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, log, patched } from '@temporalio/workflow';
import type { FinishRunInput, PbtScheduleEntry, RetrainResult, RunRef, SegmentInput, SegmentOutput } from '../activities/types';
import type { ExperimentSpec } from '../spec/types';
import { constraintValues, objectiveValues, tieBreakValue, trialValues, valueEpoch, type TrialRecord } from '../trials';
import { control, type QueueChoice, type TrainingQueues } from './proxies';
import { Population } from './pbt';
import type { CampaignState } from './state';

/** What went wrong, as the user reads it: the activity's own error, not Temporal's wrapper. */
export function failureReason(err: unknown): string {
  if (isCancellation(err)) return 'cancelled';
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return `${e.type}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Seed for a trial's weight init and data order: a pure function of the campaign seed and the job. */
function jobSeed(spec: ExperimentSpec, trialNumber: number, seedIndex: number): number {
  return (spec.seed * 1_000_003 + trialNumber * 7_919 + seedIndex * 104_729) % 2_147_483_647;
}

/** Bookkeeping that must happen even when the job was cancelled. */
const finish = (...args: Parameters<typeof control.finishRun>) => CancellationScope.nonCancellable(() => control.finishRun(...args));

/**
 * A run, once asked for, is always learned: a cancel that lands while MLflow creates it would otherwise
 * leave the run RUNNING forever, its id never known to be finished. The cancel takes effect at the next await.
 * Behind a patch marker: histories recorded before it replay as they were.
 */
const startRun = (...args: Parameters<typeof control.startRun>) =>
  patched('start-run-settles') ? CancellationScope.nonCancellable(() => control.startRun(...args)) : control.startRun(...args);

/** A trial's run once its first segment has trained (that segment opens it, or startRun did before it). */
function runIdOf(t: TrialRecord): string {
  if (t.runId === null) throw new Error(`trial ${t.number} has trained a segment but has no MLflow run`);
  return t.runId;
}

/** After a report redraw, the next waits this many times as long as it took (refreshReportIfDue). */
const REPORT_PACE = 4;

export class JobRunner {
  /**
   * With `aggregate: best` on the first objective: each running trial's best epoch so far and its metrics,
   * for the constraints and tie key at its end. Kept across a pause and its promotion, not across
   * continue-as-new (the trial then falls back to its last epoch's metrics).
   */
  private readonly valueEpochMetrics = new Map<number, { epoch: number; metrics: Record<string, number> }>();

  constructor(
    private readonly state: CampaignState,
    private readonly queues: TrainingQueues,
  ) {}

  private ref(trialNumber: number, stage: RunRef['stage'], seedIndex: number): RunRef {
    const { workflowId, offset } = this.state;
    return { campaignId: workflowId, tracking: this.state.ready().tracking, stage, trialNumber: trialNumber + offset, seedIndex };
  }

  private segment(t: TrialRecord, stage: RunRef['stage'], seedIndex: number, runId: string | null, fromEpoch: number, toEpoch: number, params = t.params): SegmentInput {
    const { spec } = this.state.ready();
    const seed = jobSeed(spec, t.number + this.state.offset, stage === 'search' ? 0 : seedIndex + 1);
    return { ...this.ref(t.number, stage, seedIndex), ...(runId ? { runId } : {}), spec, params, seed, fromEpoch, toEpoch };
  }

  /**
   * The campaign's progress after a search trial ends, for the parent run's `best_value` series; undefined
   * (no point, one MLflow request fewer) while the best value is the one this run last sent: the series is a
   * step function, drawn the same from its changes. Behind a patch marker: histories recorded before it
   * sent a point after every trial. A continue-as-new starts afresh (one repeated point per run).
   */
  private campaignAfter(): FinishRunInput['campaign'] {
    const { state } = this;
    const finished = state.trials.filter((t) => t.state !== 'RUNNING').length;
    const bestValue = state.best()?.values?.[0] ?? null;
    if (patched('best-value-changes')) {
      if (bestValue === this.sentBest) return undefined;
      this.sentBest = bestValue;
    }
    return { parentRunId: state.ready().tracking.parentRunId, finished, bestValue };
  }

  /** The last `best_value` this workflow run sent (campaignAfter); `undefined`: none yet. */
  private sentBest: number | null | undefined = undefined;

  /**
   * Every `tracking.reportEvery` finished trials, redraw the report on the campaign's run in the background
   * (off the trials' path; one at a time). Behind a patch marker: histories recorded before it replay as they were.
   *
   * Paced (behind its own marker): a redraw reads every trial back and draws every plot, so its cost grows
   * with the campaign, and where trials are short redraws ran back to back, holding the MLflow server and the
   * control worker the trials wait on (a 400-trial zero-cost campaign: docs/benchmarks.md, "Scale"). After a
   * redraw the next one waits `REPORT_PACE` times as long as it took: redraws take at most a fifth of the time.
   */
  private refreshReportIfDue(): void {
    const { state } = this;
    const { spec, tracking } = state.ready();
    const every = spec.tracking.reportEvery;
    const finished = state.trials.filter((t) => t.state !== 'RUNNING').length;
    if (!every || finished % every !== 0 || state.reportRefresh || !patched('report-refresh')) return;
    if (Date.now() < state.reportNotBefore && patched('report-pace')) return;
    const began = Date.now();
    state.reportRefresh = control
      .refreshReport({ tracking })
      .catch((err: unknown) => log.warn(`the report could not be refreshed: ${failureReason(err)}`))
      .finally(() => {
        state.reportRefresh = null;
        state.reportNotBefore = Date.now() + REPORT_PACE * (Date.now() - began);
      });
  }

  private async train(req: SegmentInput): Promise<{ out: SegmentOutput; queue: QueueChoice }> {
    const trained = await this.queues.trainSegment(req);
    this.state.trainSeconds += trained.out.trainSeconds;
    return trained;
  }

  /**
   * Search checkpoints are not needed once a trial ends (retrain trains from scratch): removed on the queue
   * where it trained. Clean-up never changes how the trial ended.
   */
  private async dropCheckpoints(t: TrialRecord, queue: QueueChoice | null): Promise<void> {
    try {
      await CancellationScope.nonCancellable(() => this.queues.on(queue).deleteCheckpoints(this.ref(t.number, 'search', 0)));
    } catch (err) {
      log.warn(`could not delete the checkpoints of trial ${t.number + this.state.offset}: ${failureReason(err)}`);
    }
  }

  /**
   * A search trial's end: its run finished (`ending`; null: it has none), the report redrawn when due
   * (`refresh`), its checkpoints dropped. finishRun and the clean-up are scheduled together, in one workflow
   * task, so a trial's end costs one workflow task fewer. Behind a patch marker: histories recorded before
   * it dropped the checkpoints after finishRun.
   */
  private async end(t: TrialRecord, queue: QueueChoice | null, ending: FinishRunInput | null, refresh = true): Promise<void> {
    if (patched('finish-beside-drop')) {
      await Promise.all([ending ? finish(ending) : null, this.dropCheckpoints(t, queue)]);
      if (refresh) this.refreshReportIfDue();
      return;
    }
    if (ending) await finish(ending);
    if (refresh) this.refreshReportIfDue();
    await this.dropCheckpoints(t, queue);
  }

  /**
   * A trial whose training is over gives its slot back before its bookkeeping (finishRun, the checkpoint
   * clean-up), so the next trial's suggestion and start overlap them instead of leaving a worker idle for
   * four activity round trips. Behind a patch marker: histories recorded before it replay as they were.
   */
  private releaseSlot(slot: { released: boolean }): void {
    if (slot.released || !patched('early-slot')) return;
    slot.released = true;
    this.state.running -= 1;
    this.state.finishing += 1;
  }

  /** Train a search trial to its end, to a rung where the scheduler prunes or pauses it, or to a continue-as-new. */
  async runTrial(t: TrialRecord): Promise<void> {
    const { state } = this;
    const { spec, controls, scheduler } = state.ready();
    const context = () => state.schedulerContext();
    let queue: QueueChoice | null = null;
    const slot = { released: false };
    state.running += 1;
    // The trial's first segment opens its MLflow run (one activity and one workflow task fewer per trial),
    // except under PBT, whose lineage goes onto the run before the first segment. Behind a patch marker:
    // histories recorded before it started every run with startRun.
    const runInSegment = t.runId === null && !state.pbt && patched('run-in-first-segment');
    try {
      if (!runInSegment) t.runId ??= await startRun({ ...this.ref(t.number, 'search', 0), params: t.params, spec });
      let last: Record<string, number> | null = null;
      while (t.epochsDone < spec.training.epochs) {
        await condition(() => !controls.paused || state.draining);
        if (state.draining) return; // parked at a segment boundary: the next run resumes it from its checkpoint
        // PBT: at a population boundary, wait for the others, then maybe exploit a donor and explore (workflows/pbt.ts).
        if (state.pbt) {
          const on = this.queues.on(queue);
          if (!(await state.pbt.beforeSegment(state, t, { exploit: (req) => on.exploitCheckpoint(req), lineage: (req) => control.logPbtLineage(req) }))) return;
        }
        // Segments end at the scheduler's rungs, so every decision sees a finished epoch.
        const milestone = scheduler.nextMilestone?.(context(), t.number, t.epochsDone) ?? Infinity;
        const toEpoch = Math.min(t.epochsDone + spec.training.segmentEpochs, milestone, spec.training.epochs);
        const trained = await this.train(this.segment(t, 'search', 0, t.runId, t.epochsDone, toEpoch));
        t.runId ??= trained.out.runId ?? null;
        queue = trained.queue;
        for (const e of trained.out.epochs) t.history[e.epoch] = objectiveValues(spec, e.metrics);
        this.noteValueEpoch(t, trained.out.epochs);
        t.epochsDone = toEpoch;
        last = trained.out.epochs.at(-1)?.metrics ?? last;
        if (toEpoch >= spec.training.epochs) break;
        const decision = scheduler.decide(context(), t.number, toEpoch);
        if (decision === 'prune') {
          t.state = 'PRUNED';
          t.reason = `pruned by ${scheduler.name} after epoch ${toEpoch}`;
          this.releaseSlot(slot);
          await this.end(t, queue, { runId: runIdOf(t), state: 'PRUNED', reason: t.reason, summary: { rung: toEpoch }, campaign: this.campaignAfter() });
          return;
        }
        if (decision === 'pause') {
          // Holds no worker: `promotions` resumes it from this checkpoint, or it ends PRUNED with the search.
          t.paused = true;
          await control.setRunTags({ runId: runIdOf(t), tags: { 'tuneflow.state': 'PAUSED', 'tuneflow.rung': String(toEpoch) } });
          return;
        }
      }
      const lastValues = last ? objectiveValues(spec, last) : (t.history[spec.training.epochs] ?? null);
      if (!lastValues) throw new Error(`trial ${t.number} finished without metrics`);
      t.values = trialValues(spec, lastValues, t.history);
      const outcome = this.outcomeMetrics(t, last);
      const constraints = outcome ? constraintValues(spec, outcome) : undefined;
      if (constraints) t.constraints = constraints;
      // Query-only state (status, result): no command depends on it, so histories replay unchanged.
      if (last?.val_examples !== undefined) state.valExamples = last.val_examples;
      // Behind a patch marker: a history recorded before ties were settled by val_loss replays by trial number.
      const tieBreak = outcome ? tieBreakValue(outcome) : undefined;
      if (tieBreak !== undefined && patched('tie-break')) t.tieBreak = tieBreak;
      t.state = 'COMPLETE';
      this.releaseSlot(slot);
      await this.end(t, queue, { runId: runIdOf(t), state: 'COMPLETE', summary: { objective: t.values[0]! }, campaign: this.campaignAfter() });
      state.publishBestIfChanged();
    } catch (err) {
      t.state = 'FAIL';
      t.reason = failureReason(err);
      if (!isCancellation(err)) state.failed += 1;
      // A first segment that failed may have opened the run without returning its id: finishRun finds it by its key.
      const run = t.runId ? { runId: t.runId } : runInSegment ? { job: this.ref(t.number, 'search', 0) } : null;
      const ending = run ? { ...run, state: 'FAIL' as const, reason: t.reason, killed: isCancellation(err), campaign: this.campaignAfter() } : null;
      await this.end(t, queue, ending, !isCancellation(err));
    } finally {
      if (slot.released) state.finishing -= 1;
      else state.running -= 1;
      if (!t.paused) this.valueEpochMetrics.delete(t.number); // ended (or parked for continue-as-new): a paused trial keeps its best epoch
    }
  }

  /** Remembers the metrics of the epoch a trial's value comes from (`aggregate: best`), as segments report it. */
  private noteValueEpoch(t: TrialRecord, epochs: SegmentOutput['epochs']): void {
    const epoch = valueEpoch(this.state.ready().spec, t.history);
    const reported = epochs.find((e) => e.epoch === epoch);
    if (epoch !== undefined && reported) this.valueEpochMetrics.set(t.number, { epoch, metrics: reported.metrics });
  }

  /**
   * The metrics a finished trial's constraints and tie key read: its last epoch's, or with `aggregate: best`
   * on the first objective the epoch its value comes from (behind a patch marker: histories recorded before
   * read the last epoch). Without that epoch's metrics at hand (a trial carried over continue-as-new) the last.
   */
  private outcomeMetrics(t: TrialRecord, last: Record<string, number> | null): Record<string, number> | null {
    const kept = this.valueEpochMetrics.get(t.number);
    this.valueEpochMetrics.delete(t.number);
    const epoch = valueEpoch(this.state.ready().spec, t.history);
    if (epoch === undefined || !patched('aggregate-best-outcome')) return last;
    if (kept?.epoch === epoch) return kept.metrics;
    if (last && epoch !== t.epochsDone) log.warn(`trial ${t.number + this.state.offset}: the metrics of its best epoch ${epoch} are not at hand; its constraints and tie key read its last epoch`);
    return last;
  }

  /** A paused trial resumes where it stopped, on any worker. */
  async promote(t: TrialRecord): Promise<void> {
    t.paused = false;
    await control.setRunTags({ runId: t.runId!, tags: { 'tuneflow.state': 'RUNNING' } });
    await this.runTrial(t);
  }

  /** A trial still waiting at a rung when the search ends stops there, PRUNED. */
  async endPaused(t: TrialRecord): Promise<void> {
    t.paused = false;
    t.state = 'PRUNED';
    t.reason = `stopped at rung ${t.epochsDone} when the search ended`;
    await this.end(t, null, { runId: runIdOf(t), state: 'PRUNED', reason: t.reason, summary: { rung: t.epochsDone } }, false);
  }

  /** The schedule a PBT retrain replays, on its run as on the member's (pbt.* metrics, pbt_schedule.json). */
  private async logSchedule(t: TrialRecord, runId: string, schedule: PbtScheduleEntry[]): Promise<void> {
    const exploits = this.state.pbt!.exploits[t.number] ?? [];
    for (const entry of schedule.filter((e) => e.epoch < this.state.ready().spec.retrain.epochs)) {
      await control.logPbtLineage({ runId, epoch: entry.epoch, params: entry.params, schedule, exploits });
    }
  }

  /** Train a top trial's configuration again with full epochs and one more seed, then evaluate it on the test split. */
  async retrain(t: TrialRecord, seedIndex: number): Promise<RetrainResult> {
    const { spec } = this.state.ready();
    const ref = this.ref(t.number, 'retrain', seedIndex);
    const result = { trialNumber: ref.trialNumber, seedIndex, runId: '', params: t.params, metrics: {} as Record<string, number> };
    let checkpoint = '';
    let queue: QueueChoice | null = null;
    try {
      result.runId = await startRun({ ...ref, params: t.params, spec });
      // A PBT member is retrained with its learned schedule: segments end where its parameters change.
      const schedule = this.state.pbt?.scheduleOf(t) ?? null;
      if (schedule) await this.logSchedule(t, result.runId, schedule);
      const cuts = schedule ? Population.changes(schedule) : [];
      for (let from = 0, toEpoch = 0; from < spec.retrain.epochs; from = toEpoch) {
        toEpoch = Math.min(from + spec.training.segmentEpochs, spec.retrain.epochs, ...cuts.filter((c) => c > from));
        const params = schedule ? Population.paramsAfter(schedule, from) : t.params;
        const trained = await this.train(this.segment(t, 'retrain', seedIndex, result.runId, from, toEpoch, params));
        queue = trained.queue;
        checkpoint = trained.out.checkpoint;
        result.metrics = { ...result.metrics, ...(trained.out.epochs.at(-1)?.metrics ?? {}) };
      }
      const evaluation = await this.queues.on(queue).evaluateRun({ ...ref, runId: result.runId, spec, params: t.params, checkpoint, exportModel: true });
      result.metrics = { ...result.metrics, ...evaluation };
      await finish({ runId: result.runId, state: 'COMPLETE' });
      return result;
    } catch (err) {
      const error = failureReason(err);
      if (result.runId) await finish({ runId: result.runId, state: 'FAIL', reason: error, killed: isCancellation(err) });
      return { ...result, error };
    }
  }
}
