// What a campaign holds while it runs, and what it hands to its next run on continue-as-new. The
// handlers, the trial runner and the main loop all read and change this one object; nothing else in
// the workflow keeps state.
import { CancellationScope, upsertSearchAttributes } from '@temporalio/workflow';
import type { Lineage, LoadSpecInput, RetrainResult, Tracking } from '../activities/types';
import type { Scheduler, SchedulerContext } from '../search/schedulers';
import type { Space } from '../search/space';
import type { ExperimentSpec } from '../spec/types';
import { bestFeasible, rankFeasibleFronts, type Ranked } from '../search/ranking';
import { separation } from '../search/separation';
import type { Direction, TrialView } from '../search/types';
import { countStates, isPacked, packTrials, toView, unpackTrials, type PackedTrials, type TrialRecord } from '../trials';
import type { PbtCarried, Population } from './pbt';
import { SEARCH_ATTRIBUTES, type CampaignPhase, type CampaignProgress, type Controls } from './control';

/** What a campaign hands to its next run on continue-as-new. */
export interface CarriedState {
  spec: ExperimentSpec;
  tracking: Tracking;
  /** Packed (trials/pack.ts); runs recorded before the packing carried the records as they are. */
  trials: PackedTrials | TrialRecord[];
  controls: Controls;
  trainSeconds: number;
  startedAt: number;
  searchAttributes: boolean;
  /** An extension's or fork's old trials, packed; absent for a campaign of its own. */
  warm?: PackedTrials;
  /** Validation examples the trials' val_* metrics were measured on, once a trial reported them. */
  valExamples?: number;
  /** Scheduler pbt: the population's schedules, exploits and applied boundaries (workflows/pbt.ts). */
  pbt?: PbtCarried;
  /** When the report may be redrawn next (workflow time, ms); absent before the first paced redraw. */
  reportNotBefore?: number;
}

export interface CampaignInput extends LoadSpecInput {
  carried?: CarriedState;
  /** Continue a finished campaign (`tuneflow extend` / `fork`): its trials warm-start the sampler. */
  lineage?: Lineage;
}

/** Filled in once the spec is loaded and the MLflow run exists; fixed for the rest of the run. */
export interface Setup {
  spec: ExperimentSpec;
  controls: Controls;
  tracking: Tracking;
  searchAttributes: boolean;
  scheduler: Scheduler;
}

export class CampaignState {
  phase: CampaignPhase = 'loading';
  spec: ExperimentSpec | null;
  controls: Controls | null;
  space: Space | null = null;
  setup: Setup | null = null;
  readonly trials: TrialRecord[];
  trainSeconds: number;
  readonly startedAt: number;
  /**
   * An extension's or fork's old trials: the sampler sees them as trials 0..offset-1, and this campaign's
   * trials are shown (MLflow, results, queries) numbered from offset. Without a lineage offset is 0.
   */
  warm: PackedTrials | null;
  /** Trials that failed (not cancelled): more than `budget.maxFailedTrials` ends the campaign FAILED. */
  failed: number;
  /** Jobs (trials or retrains) holding a slot now. */
  running = 0;
  /** Trials that gave their slot back and are still writing their bookkeeping (jobs.ts `releaseSlot`). */
  finishing = 0;
  /** Continue-as-new is due: running trials park at their next segment boundary. */
  draining = false;
  readonly retrainResults: RetrainResult[] = [];
  /** The report redraw running in the background, if any (jobs.ts): one at a time, awaited before the end. */
  reportRefresh: Promise<void> | null = null;
  /** Workflow time before which no redraw starts (jobs.ts `refreshReportIfDue`); carried across continue-as-new. */
  reportNotBefore = 0;
  /** Every trial and retrain job runs inside this scope, so `cancel` stops them all at once. */
  readonly work = new CancellationScope();
  /** Scheduler pbt (set in setUp behind a patch marker): the population's exploit/explore state. */
  pbt: Population | null = null;
  /** The best value last published as a search attribute. */
  private shownBest: number | null = null;
  /** Validation examples behind the val_* metrics (the `val_examples` metric of a completed trial), for `separation`. */
  valExamples: number | undefined;

  constructor(
    readonly workflowId: string,
    carried: CarriedState | undefined,
    now: number,
  ) {
    this.spec = carried?.spec ?? null;
    this.controls = carried?.controls ?? null;
    this.trials = !carried ? [] : isPacked(carried.trials) ? unpackTrials(carried.trials) : carried.trials;
    this.trainSeconds = carried?.trainSeconds ?? 0;
    this.startedAt = carried?.startedAt ?? now;
    this.warm = carried?.warm ?? null;
    this.valExamples = carried?.valExamples;
    this.reportNotBefore = carried?.reportNotBefore ?? 0;
    this.failed = this.trials.filter((t) => t.state === 'FAIL').length;
  }

  get offset(): number {
    return this.warm?.count ?? 0;
  }

  /** A row numbered as the user sees it (after an extension's old trials). */
  shown<T extends { trialNumber: number }>(row: T): T {
    return { ...row, trialNumber: row.trialNumber + this.offset };
  }

  /**
   * Rank several objectives by Pareto front (set in setUp behind a patch marker): a history recorded
   * before it ranked by the first objective only, and replays that way.
   */
  paretoRanking = true;

  /** The directions the ranking uses: one per objective (only the first without paretoRanking); none before the spec is loaded. */
  directions(): Direction[] {
    const all = this.spec?.objective.map((o) => o.direction) ?? [];
    return this.paretoRanking ? all : all.slice(0, 1);
  }

  /** Feasible COMPLETE trials by the one ranking (Pareto fronts for several objectives), best first. */
  ranked(): Ranked<TrialRecord>[] {
    const directions = this.directions();
    return directions.length ? rankFeasibleFronts(this.trials, directions) : [];
  }

  /**
   * With one objective: why the top trials cannot be told apart (tied, or within one validation example
   * or a binomial standard error of the best accuracy), or null (search/separation.ts).
   */
  separationMessage(ranked: readonly Ranked<TrialRecord>[] = this.ranked()): string | null {
    const objective = this.spec?.objective;
    if (!objective || objective.length !== 1) return null;
    return separation({
      metric: objective[0]!.metric,
      direction: objective[0]!.direction,
      values: ranked.map((r) => r.trial.values![0]!),
      ...(this.valExamples !== undefined ? { valExamples: this.valExamples } : {}),
      ...(this.spec!.training.crossValidation ? { crossValidation: this.spec!.training.crossValidation } : {}),
    }).message;
  }

  /** The best trial by the one ranking (feasible COMPLETE trials only), or undefined. */
  best(): TrialRecord | undefined {
    const directions = this.directions();
    return directions.length ? bestFeasible(this.trials, directions) : undefined;
  }

  /**
   * Prune several objectives by Pareto dominance (set in setUp behind a patch marker): a history recorded
   * before it pruned by the first objective only, and replays that way.
   */
  paretoPruning = true;

  /** The trials as the scheduler reads them, for a decision now: with several objectives, every objective per epoch. */
  schedulerContext(): SchedulerContext {
    const { spec } = this.ready();
    const direction = spec.objective[0]!.direction;
    const maxEpochs = spec.training.epochs;
    const several = spec.objective.length > 1 && this.paretoPruning;
    const trials = this.trials.map((t) => this.viewOf(t, several));
    if (!several) return { trials, direction, maxEpochs };
    return { trials, direction, directions: spec.objective.map((o) => o.direction), maxEpochs };
  }

  /**
   * Views of finished trials, made once: the scheduler reads every trial at every segment of every trial,
   * and making each view afresh grew as trials² (a third of the workflow's CPU at 3,000 trials). A view is
   * made again if its trial changed after all (a PRUNED trial whose clean-up failed ends FAIL).
   */
  private readonly finishedViews = new WeakMap<TrialRecord, { view: TrialView; state: TrialRecord['state']; values: TrialRecord['values']; epochsDone: number }>();

  private viewOf(t: TrialRecord, severalObjectives: boolean): TrialView {
    // With several objectives, `history` (epoch → one value per objective) is what multi-objective pruning reads.
    const make = () => (severalObjectives ? { ...toView(t), intermediateValues: t.history } : toView(t));
    if (t.state === 'RUNNING') return make();
    const kept = this.finishedViews.get(t);
    if (kept && kept.state === t.state && kept.values === t.values && kept.epochsDone === t.epochsDone) return kept.view;
    const view = make();
    this.finishedViews.set(t, { view, state: t.state, values: t.values, epochsDone: t.epochsDone });
    return view;
  }

  carried(): CarriedState {
    const { spec, controls, tracking, searchAttributes } = this.ready();
    const { trials, trainSeconds, startedAt, warm } = this;
    const valExamples = this.valExamples;
    return {
      spec,
      tracking,
      trials: packTrials(trials),
      controls,
      trainSeconds,
      startedAt,
      searchAttributes,
      ...(warm ? { warm } : {}),
      ...(valExamples !== undefined ? { valExamples } : {}),
      ...(this.pbt ? { pbt: this.pbt.carried() } : {}),
      ...(this.reportNotBefore > 0 ? { reportNotBefore: this.reportNotBefore } : {}),
    };
  }

  ready(): Setup {
    if (!this.setup) throw new Error('the campaign is not set up yet');
    return this.setup;
  }

  progress(): CampaignProgress {
    const { spec, controls, trials } = this;
    const counts = countStates(trials);
    const ranked = this.ranked();
    const best = ranked[0]?.trial;
    const leaders = ranked.filter((r) => r.front === 1).map((r) => this.shown({ trialNumber: r.trial.number, values: r.trial.values! }));
    const several = (spec?.objective.length ?? 0) > 1;
    const elapsedSeconds = (Date.now() - this.startedAt) / 1000;
    const planned = spec && controls ? controls.maxTrials * spec.training.epochs + spec.retrain.topK * spec.retrain.seeds * spec.retrain.epochs : 0;
    const done = trials.reduce((n, t) => n + (t.state === 'RUNNING' ? t.epochsDone : (spec?.training.epochs ?? 0)), 0);
    return {
      phase: this.phase === 'searching' && controls?.paused ? 'paused' : this.phase,
      name: spec?.name ?? null,
      trials: { running: counts.RUNNING, paused: counts.PAUSED, completed: counts.COMPLETE, pruned: counts.PRUNED, failed: counts.FAIL, total: trials.length },
      budget: controls
        ? { maxTrials: controls.maxTrials, maxConcurrentTrials: controls.maxConcurrentTrials, maxDurationSeconds: controls.maxDurationSeconds }
        : null,
      best: best ? this.shown({ trialNumber: best.number, value: best.values![0]!, params: best.params }) : null,
      metric: spec?.objective[0]?.metric ?? null,
      ...(several ? { objectives: spec!.objective.map((o) => o.metric), front: leaders } : {}),
      ...(!several && leaders.length > 1 ? { tiedWithBest: leaders.length - 1 } : {}),
      ...withSeparation(this.separationMessage(ranked)),
      ...(controls?.stopReason ? { stopReason: controls.stopReason } : {}),
      elapsedSeconds,
      trainSeconds: this.trainSeconds,
      remainingSeconds: planned > 0 && done > 0 ? Math.max(0, (elapsedSeconds * (planned - done)) / done) : null,
      requests: controls
        ? (['pause', 'stop', 'cancel'] as const).filter((r) => ({ pause: controls.paused, stop: controls.stopRequested, cancel: controls.cancelRequested })[r])
        : [],
    };
  }

  /** Enter a phase and show it (with name and best value) as search attributes. */
  enter(next: CampaignPhase): void {
    this.phase = next;
    this.publish();
  }

  /** Show a new best value as a search attribute, if it changed. */
  publishBestIfChanged(): void {
    if ((this.best()?.values?.[0] ?? null) !== this.shownBest) this.publish();
  }

  /** Name, phase and best value as search attributes, when the namespace has them registered. */
  private publish(): void {
    const { spec, searchAttributes } = this.ready();
    if (!searchAttributes) return;
    const best = this.best()?.values?.[0] ?? null;
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.name, value: spec.name },
      { key: SEARCH_ATTRIBUTES.state, value: this.progress().phase },
      ...(best !== null && Number.isFinite(best) ? [{ key: SEARCH_ATTRIBUTES.best, value: best }] : []),
    ]);
    this.shownBest = best;
  }
}

const withSeparation = (message: string | null): { separation?: string } => (message ? { separation: message } : {});
