// What a report is drawn from: a campaign's trials as read back from MLflow (load.ts), in a shape the
// plot builders (plots.ts) and the page (html.ts) take without knowing about MLflow.
import type { Params, SearchSpace } from '../search/space-types';
import type { Direction, TrialState } from '../trials';

export interface ReportObjective {
  /** As objectiveLabel prints it, e.g. `val_loss`. */
  label: string;
  direction: Direction;
}

/** A searched parameter as the plots draw it: a numeric axis (log or linear) or a categorical one. */
export type ReportParam =
  | { name: string; kind: 'numeric'; log: boolean; low: number; high: number }
  | { name: string; kind: 'categorical'; choices: string[] };

export interface ReportTrial {
  number: number;
  runId: string;
  state: TrialState;
  /** The searched parameters only (not the fixed settings every run also records); an inactive conditional one is absent. */
  params: Params;
  /** Final objective values of a COMPLETE trial; null otherwise. */
  values: number[] | null;
  /** Search constraints (metric - max, <= 0 feasible) of a COMPLETE trial, when the spec has any. */
  constraints?: number[];
  /** A COMPLETE trial's last val_loss, when recorded: what settles ties (search/ranking.ts compareTies). */
  tieBreak?: number;
  /** Objective values per epoch: epoch → one value per objective (what pruning saw). */
  history: Record<number, number[]>;
  /** Epochs with a logged objective value. */
  epochs: number;
  /** MLflow run start and end, ms since the epoch; end is null while the run is open. */
  start: number | null;
  end: number | null;
}

/** A retrain run (tag `tuneflow.stage=retrain`): the best configuration trained again with another seed. */
export interface ReportRetrain {
  runId: string;
  /** The search trial whose configuration it trains (`tuneflow.source_trial`, else `tuneflow.trial_number`). */
  sourceTrial: number;
  /** `tuneflow.seed_index`. */
  seed: number;
  /** The run's `tuneflow.state` (RUNNING while it trains). */
  state: string;
  /** Per-epoch values of each training and health metric the run logged: metric → points by step. */
  curves: Record<string, { step: number; value: number }[]>;
}

export interface CampaignData {
  campaignId: string;
  specName: string;
  experimentId: string;
  parentRunId: string;
  /** The parent run's `tuneflow.status` (COMPLETED, STOPPED, ...); null while the campaign runs. */
  status: string | null;
  objectives: ReportObjective[];
  /** The spec's search space (what parameter importance is computed over). */
  space: SearchSpace;
  params: ReportParam[];
  /** By trial number. */
  trials: ReportTrial[];
  /** The parent run's best_hyperparameters.yaml, when the campaign wrote one. */
  bestHyperparametersYaml: string | null;
  /** The retrain runs, by source trial then seed; absent or empty when the campaign has none (yet). */
  retrains?: ReportRetrain[];
  /** When the data was read (ms): the timeline's end for runs still open. */
  readAt: number;
}
