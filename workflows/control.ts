// Live control of a running campaign: Temporal updates (validated before anything is written to the
// history, so a bad request leaves no trace), the queries, and the search attributes that let
// `tuneflow list` find campaigns by name, state and best value.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { explainParams, type Space } from '../search/space';
import type { Params } from '../search/space-types';
import type { LeaderboardRow } from '../trials';

export type CampaignPhase = 'loading' | 'searching' | 'paused' | 'retraining' | 'finalizing' | 'done';

export interface CampaignProgress {
  phase: CampaignPhase;
  name: string | null;
  trials: { running: number; paused: number; completed: number; pruned: number; failed: number; total: number };
  budget: { maxTrials: number; maxConcurrentTrials: number; maxDurationSeconds: number | null } | null;
  best: { trialNumber: number; value: number; params: Record<string, unknown> } | null;
  metric: string | null;
  /** Several objectives: their metrics, in spec order (`best` and `front` values follow it). */
  objectives?: string[];
  /** Several objectives: the Pareto front (feasible COMPLETE trials no other dominates), in ranked order. */
  front?: { trialNumber: number; values: number[] }[];
  /** One objective: how many other trials have exactly the best value (ties settled by val_loss, docs/objectives.md). */
  tiedWithBest?: number;
  /** One objective: the top trials cannot be told apart on the validation set (search/separation.ts), and what could help. */
  separation?: string;
  /** Why the search stopped on its own (`budget.stopWhen`), once it has. */
  stopReason?: string;
  elapsedSeconds: number;
  trainSeconds: number;
  /** Rough estimate from the share of planned epochs done so far; null until something is done. */
  remainingSeconds: number | null;
  /** What the user asked for and the campaign is carrying out: `stop`, `cancel`, `pause`. */
  requests: string[];
}

/** The state the control updates change; carried across continue-as-new. */
export interface Controls {
  paused: boolean;
  stopRequested: boolean;
  cancelRequested: boolean;
  maxTrials: number;
  maxConcurrentTrials: number;
  maxDurationSeconds: number | null;
  /** Configurations to try next, before the sampler's own proposals. */
  enqueued: Params[];
  /** Set with stopRequested when `budget.stopWhen` ended the search: why (absent for a user's stop). */
  stopReason?: string;
}

export interface ExtendRequest {
  /** More trials to run. */
  trials?: number;
  /** More wall-clock time for the search stage, in seconds. */
  seconds?: number;
}

export const statusQuery = defineQuery<CampaignProgress>('status');
export const leaderboardQuery = defineQuery<LeaderboardRow[]>('leaderboard');

export const pauseUpdate = defineUpdate<CampaignProgress>('pause');
export const resumeUpdate = defineUpdate<CampaignProgress>('resume');
export const stopUpdate = defineUpdate<CampaignProgress>('stop');
export const cancelUpdate = defineUpdate<CampaignProgress>('cancel');
export const extendUpdate = defineUpdate<CampaignProgress, [ExtendRequest]>('extend');
export const setConcurrencyUpdate = defineUpdate<CampaignProgress, [number]>('setConcurrency');
export const enqueueUpdate = defineUpdate<CampaignProgress, [Params[]]>('enqueue');

/** Search attributes a campaign keeps up to date (when the namespace has them), for `tuneflow list`. */
export const SEARCH_ATTRIBUTES = {
  name: defineSearchAttributeKey('TuneflowName', 'KEYWORD'),
  state: defineSearchAttributeKey('TuneflowState', 'KEYWORD'),
  best: defineSearchAttributeKey('TuneflowBestValue', 'DOUBLE'),
} as const;

/** Why a control request cannot be taken now, or null. Validators throw this text; nothing is recorded. */
export function searchStageProblem(phase: CampaignPhase, controls: Controls): string | null {
  if (controls.cancelRequested) return 'the campaign is being cancelled';
  if (controls.stopRequested) return 'the campaign is stopping: its search stage is over';
  if (phase !== 'searching' && phase !== 'paused' && phase !== 'loading') return `the search stage is over (phase ${phase})`;
  return null;
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function extendProblem(req: ExtendRequest, phase: CampaignPhase, controls: Controls): string | null {
  if (typeof req !== 'object' || req === null) return 'extend needs {"trials": N} and/or {"seconds": S}';
  const unknown = Object.keys(req).filter((k) => k !== 'trials' && k !== 'seconds');
  if (unknown.length) return `unknown field(s) ${unknown.join(', ')} (allowed: trials, seconds)`;
  if (req.trials === undefined && req.seconds === undefined) return 'extend needs {"trials": N} and/or {"seconds": S}';
  if (req.trials !== undefined && !positiveInt(req.trials)) return `trials must be a positive integer (got ${JSON.stringify(req.trials)})`;
  if (req.seconds !== undefined && !(typeof req.seconds === 'number' && req.seconds > 0)) return `seconds must be a positive number (got ${JSON.stringify(req.seconds)})`;
  if (req.seconds !== undefined && controls.maxDurationSeconds === null) return 'the campaign has no time limit to extend';
  return searchStageProblem(phase, controls);
}

export function concurrencyProblem(n: number, phase: CampaignPhase, controls: Controls): string | null {
  if (!positiveInt(n) || n > 1000) return `concurrency must be an integer from 1 to 1000 (got ${JSON.stringify(n)})`;
  return searchStageProblem(phase, controls);
}

export function enqueueProblem(list: Params[], space: Space | null, phase: CampaignPhase, controls: Controls): string | null {
  if (!Array.isArray(list) || list.length === 0) return 'enqueue needs a non-empty list of configurations';
  if (!space) return 'the spec is not loaded yet';
  for (const [i, params] of list.entries()) {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return `configuration ${i} must be a mapping of parameter to value`;
    const problem = explainParams(space, params, { partial: true });
    if (problem) return `configuration ${i}: ${problem}`;
  }
  return searchStageProblem(phase, controls);
}
