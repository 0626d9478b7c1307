// A job's names (its MLflow run's name and identifying tags, its local folder) and the opening of its run:
// tracking (startRun) and training (a search trial's first segment) both use them, so they live apart from either.
import { join } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import { createKeyedRun, ensureRun, paramTexts, type RunKnowledge } from '../mlflow/runs';
import { trialConfiguration } from '../training/config';
import type { RunRef, SegmentInput, StartRunInput } from './types';

/** Tags that identify a job's run (with the campaign's own run, `stage = campaign`). */
export const RUN_KEY_TAGS = {
  campaign: 'tuneflow.campaign_id',
  stage: 'tuneflow.stage',
  trial: 'tuneflow.trial_number',
  seed: 'tuneflow.seed_index',
} as const;

/** Tags a job's run starts with beside its key. */
export const JOB_TAGS = { state: 'tuneflow.state', source: 'tuneflow.source_trial' } as const;

/**
 * Opens a job's MLflow run: named `jobName`, a child of the campaign's run, tagged RUNNING, with every setting
 * it trains with as params (fixed model options and training settings too, not only the searched ones).
 * `first`: the caller knows no earlier attempt can have created it (the first attempt of the one activity
 * that owns the job's start), so it creates without searching; otherwise a run an interrupted attempt left
 * behind is found by its key.
 */
export async function openJobRun(mlflow: MlflowClient, input: StartRunInput, first: boolean): Promise<string> {
  const open = first ? createKeyedRun : ensureRun;
  const { runId } = await open(mlflow, {
    experimentId: input.tracking.experimentId,
    key: runKey(input),
    runName: jobName(input),
    parentRunId: input.tracking.parentRunId,
    tags: { [JOB_TAGS.state]: 'RUNNING', ...(input.stage === 'retrain' ? { [JOB_TAGS.source]: String(input.trialNumber) } : {}) },
    params: paramTexts(trialConfiguration(input.spec, input.params)),
  });
  return runId;
}

/** `trial-<n>` or `retrain-<n>-seed<k>`, as the MLflow run is named. */
export function jobName(ref: RunRef): string {
  return ref.stage === 'retrain' ? `retrain-${ref.trialNumber}-seed${ref.seedIndex}` : `trial-${ref.trialNumber}`;
}

/** The tags `ensureRun` creates a job's run with and finds it by. */
export function runKey(ref: Omit<RunRef, 'tracking'>): Record<string, string> {
  return {
    [RUN_KEY_TAGS.campaign]: ref.campaignId,
    [RUN_KEY_TAGS.stage]: ref.stage,
    [RUN_KEY_TAGS.trial]: String(ref.trialNumber),
    ...(ref.stage === 'retrain' ? { [RUN_KEY_TAGS.seed]: String(ref.seedIndex) } : {}),
  };
}

/** `<root>/<campaign>/<job>`: named by campaign and job, so every retry finds the same checkpoints. */
export function checkpointDir(root: string, ref: RunRef): string {
  return join(root, ref.campaignId.replace(/[^A-Za-z0-9._-]/g, '_'), jobName(ref));
}

/**
 * What a segment knows about its run without reading it, or undefined (then it reads). Only the first attempt
 * on the spec's own queue knows anything: the workflow schedules a segment's epochs once (a continue-as-new
 * waits for running segments; a trial's later segments start where this one ends), so none of them can be
 * logged yet; a retry, a segment moved to the fallback queue after its first try, or a reset workflow (an
 * operator's `temporal workflow reset`) may find epochs an earlier try logged, and reads. The first segment
 * (`fromEpoch` 0) also knows the training tags are not set yet.
 */
export function segmentKnowledge(info: { attempt: number; taskQueue: string }, input: Pick<SegmentInput, 'fromEpoch' | 'spec'>): RunKnowledge | undefined {
  if (info.attempt !== 1 || info.taskQueue !== input.spec.resources.taskQueue) return undefined;
  return { noStepAbove: input.fromEpoch, tagsAbsent: input.fromEpoch === 0 };
}

/**
 * A segment's input with its run: a search trial's first segment names none and opens it here, as `startRun`
 * would. Only the first attempt on the spec's own queue knows no earlier attempt created it (segmentKnowledge).
 */
export async function segmentWithRun(mlflow: MlflowClient, input: SegmentInput, info: { attempt: number; taskQueue: string }): Promise<SegmentInput & { runId: string }> {
  if (input.runId) return { ...input, runId: input.runId };
  return { ...input, runId: await openJobRun(mlflow, input, segmentKnowledge(info, input) !== undefined) };
}
