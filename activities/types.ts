// The contract between the campaign workflow and its activities. Workflows import only these types
// (through proxyActivities); the implementations live beside this file. Payloads stay small: big
// things (checkpoints, data sets, models) travel as paths or URIs.
import type { Params } from '../search/space-types';
import type { TrialView } from '../search/types';
import type { ExperimentSpec } from '../spec/types';
import type { LeaderboardRow, PackedTrials, TrialState } from '../trials';

export type Stage = 'search' | 'retrain';

export interface LoadSpecInput {
  /** Path to a YAML spec, resolved on the worker that loads it. */
  specPath?: string;
  /** The spec inline, in the same shape as the YAML (not yet normalized). */
  spec?: unknown;
  /** The spec's YAML text inline (what `tuneflow run` sends, so remote workers need no file). */
  specText?: string;
  /** Name shown in error messages for `specText`, usually the file's path. */
  specName?: string;
  /** The folder paths in the spec are relative to (absolute; default: the spec file's folder, else the worker's working folder). */
  specDir?: string;
}

export interface LoadedSpec {
  spec: ExperimentSpec;
  /** The spec as YAML, stored as the parent run's `experiment.yaml` artifact. */
  specText: string;
}

export interface Tracking {
  trackingUri: string;
  experimentId: string;
  parentRunId: string;
}

export interface SuggestInput {
  spec: ExperimentSpec;
  /** Every trial so far, packed (trials/pack.ts) so the payload stays small in long campaigns. */
  trials: PackedTrials | TrialView[];
  /** Numbers of the trials to suggest for, in order. */
  numbers: number[];
  /** Per number: an enqueued (possibly partial) configuration the proposal must keep, or null. */
  fixed: (Params | null)[];
  /** An extension's or fork's old trials (numbered 0..k-1, before `trials`, whose numbers then start at k). */
  warmStart?: PackedTrials | TrialView[];
}

export interface RunRef {
  campaignId: string;
  tracking: Tracking;
  stage: Stage;
  /** Search trial number; for a retrain run, the trial it retrains. */
  trialNumber: number;
  /** Retrain seed index (0 for search trials). */
  seedIndex: number;
}

export interface StartRunInput extends RunRef {
  params: Params;
  /** For the fixed settings logged with the params (training/config.ts `trialConfiguration`). */
  spec: ExperimentSpec;
}

export interface EpochRecord {
  epoch: number;
  metrics: Record<string, number>;
}

export interface SegmentInput extends RunRef {
  /**
   * The job's MLflow run. Absent on a search trial's first segment: the segment creates the run itself
   * (one activity and one workflow task fewer per trial) and returns its id in `SegmentOutput.runId`.
   */
  runId?: string;
  spec: ExperimentSpec;
  params: Params;
  seed: number;
  fromEpoch: number;
  toEpoch: number;
}

export interface SegmentOutput {
  epochs: EpochRecord[];
  /** Path of the checkpoint after `toEpoch`, on the checkpoint store the workers share. */
  checkpoint: string;
  trainSeconds: number;
  backend: string;
  /** The run the segment created or found, when its input named none. */
  runId?: string;
}

export interface FinishRunInput {
  /** The run; or, when the workflow never learned its id (a first segment that failed), `job` finds it by its key. */
  runId?: string;
  /** The job whose run is found by its key when `runId` is absent; no such run: only the campaign's point is logged. */
  job?: RunRef;
  state: TrialState;
  reason?: string;
  /** Summary metrics logged once at the end (e.g. objective value, test metrics). */
  summary?: Record<string, number>;
  /** The job was cancelled by the user: MLflow status KILLED. */
  killed?: boolean;
  /** A search trial's end: the campaign's best value after it, logged on the parent run as `best_value` at step `finished`. */
  campaign?: { parentRunId: string; finished: number; bestValue: number | null };
}

export interface EvaluateInput extends RunRef {
  runId: string;
  spec: ExperimentSpec;
  params: Params;
  checkpoint: string;
  /** Save the model as an MLflow artifact (and register it) when true. */
  exportModel: boolean;
}

export interface RetrainResult {
  trialNumber: number;
  seedIndex: number;
  runId: string;
  params: Params;
  metrics: Record<string, number>;
  /** Why the retrain failed, when it did. */
  error?: string;
}

export type CampaignStatus = 'COMPLETED' | 'STOPPED' | 'FAILED' | 'CANCELLED';

export interface CampaignResult {
  workflowId: string;
  status: CampaignStatus;
  reason?: string;
  /** The top-ranked trial; `value` is its first objective, `values` all of them. */
  best: { trialNumber: number; params: Params; value: number; values?: number[] } | null;
  /** One objective: how many other trials have exactly the best value (val_loss settled the tie); absent when none. */
  tiedWithBest?: number;
  /** One objective: the top trials cannot be told apart on the validation set (search/separation.ts), and what could help. */
  separation?: string;
  /** Several objectives: the Pareto front in ranked order (what `retrain.topK` takes first). */
  front?: { trialNumber: number; params: Params; values: number[] }[];
  trials: { completed: number; pruned: number; failed: number };
  retrain: { trialNumber: number; params: Params; metrics: Record<string, number> }[];
  mlflow: Tracking;
  timing: { wallSeconds: number; trainSeconds: number };
}

export interface FinalizeInput {
  campaignId: string;
  tracking: Tracking;
  spec: ExperimentSpec;
  leaderboard: LeaderboardRow[];
  result: CampaignResult;
  /** The retrain runs, to register the best one's model. */
  retrainRuns: RetrainResult[];
}

/** A campaign that continues a finished one (`tuneflow extend` / `tuneflow fork`). */
export interface Lineage {
  kind: 'extend' | 'fork';
  /** Workflow id of the finished campaign. */
  parent: string;
}

export interface WarmStartInput {
  lineage: Lineage;
  spec: ExperimentSpec;
  /** The new campaign's MLflow run, which gets the lineage tags. */
  tracking: Tracking;
}

export interface WarmStart {
  /** The old finished trials that fit the new space, numbered 0..k-1; the new trials continue from k. */
  trials: TrialView[];
  /** Old trials left out: params outside the new space, or no value for the new objective. */
  skipped: number;
  /** The campaigns the trials come from, oldest first. */
  ancestors: string[];
}

/** PBT's exploit step (activities/pbt.ts): the donor's checkpoint at `epoch` becomes the recipient's. */
export interface ExploitInput {
  spec: ExperimentSpec;
  /** Both search jobs of the campaign (stage search, seed 0), with their MLflow runs. */
  donor: RunRef & { runId: string };
  recipient: RunRef & { runId: string };
  /** The boundary: both have trained this many epochs. */
  epoch: number;
}

export interface ExploitOutput {
  /** False when an earlier attempt had already copied it (a retry after a killed worker). */
  copied: boolean;
  /** The recipient's checkpoint now (a folder under its job folder). */
  checkpoint: string;
}

/** A PBT member's parameters from `epoch` on, and the exploits so far: metrics `pbt.<name>`, tags, `pbt_schedule.json`. */
export interface PbtLineageInput {
  runId: string;
  epoch: number;
  params: Params;
  /** The member's schedule so far (epoch from which each configuration holds), the artifact's content. */
  schedule: PbtScheduleEntry[];
  /** Every exploit so far, oldest first: `{donor, epoch}` with the donor's trial number as the user sees it. */
  exploits: { donor: number; epoch: number }[];
}

export interface PbtScheduleEntry {
  /** The configuration holds for epochs epoch+1 onwards (until the next entry). */
  epoch: number;
  params: Params;
}

export interface CampaignActivities {
  /** PBT: copy the donor's checkpoint into the recipient's job folder, once (training queue). */
  exploitCheckpoint(input: ExploitInput): Promise<ExploitOutput>;
  /** PBT: a member's hyperparameters from a boundary on, onto its MLflow run (idempotent). */
  logPbtLineage(input: PbtLineageInput): Promise<void>;
  loadSpec(input: LoadSpecInput): Promise<LoadedSpec>;
  ensureCampaignRun(input: { campaignId: string; spec: ExperimentSpec; specText: string }): Promise<Tracking>;
  suggestTrials(input: SuggestInput): Promise<Params[]>;
  startRun(input: StartRunInput): Promise<string>;
  trainSegment(input: SegmentInput): Promise<SegmentOutput>;
  finishRun(input: FinishRunInput): Promise<void>;
  evaluateRun(input: EvaluateInput): Promise<Record<string, number>>;
  finalizeCampaign(input: FinalizeInput): Promise<void>;
  /** Redraw report.html and plots/ on the campaign's run from what MLflow holds now (best effort, never fails). */
  refreshReport(input: { tracking: Tracking }): Promise<void>;
  /** Tags on a run (e.g. `tuneflow.state=PAUSED` and the rung reached); setting the same tag again is harmless. */
  setRunTags(input: { runId: string; tags: Record<string, string> }): Promise<void>;
  /** Delete a finished job's checkpoints (training queue: workers share the checkpoint store). */
  deleteCheckpoints(input: RunRef): Promise<void>;
  /** Whether the namespace has these search attributes (the campaign's: TuneflowName, TuneflowState, TuneflowBestValue). */
  searchAttributesReady(input: { names: string[] }): Promise<boolean>;
  /** An extension's or fork's warm start, read from the old campaign's MLflow runs (see lineage.ts). */
  loadWarmStart(input: WarmStartInput): Promise<WarmStart>;
}
