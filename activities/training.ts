// Training activities: run epoch segments and evaluations through the training engine, heartbeat
// while they run, and log every finished epoch to the trial's MLflow run as it happens.
import { Context, log } from '@temporalio/activity';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import { logEpochMetrics, logMetricsOnce } from '../mlflow/runs';
import { evaluateCheckpoint, exportModel, trainSegment as trainEngineSegment } from '../training';
import type { EvaluateInput, RunRef, SegmentInput, SegmentOutput } from './types';

export interface TrainingDeps {
  mlflow: MlflowClient;
  /** Root of the checkpoint store all training workers share. */
  checkpointRoot: string;
}

const HEARTBEAT_EVERY_MS = 5_000;

/** `trial-<n>` or `retrain-<n>-seed<k>`, as the MLflow run is named. */
export function jobName(ref: RunRef): string {
  return ref.stage === 'retrain' ? `retrain-${ref.trialNumber}-seed${ref.seedIndex}` : `trial-${ref.trialNumber}`;
}

/** `<root>/<campaign>/<job>`: named by campaign and job, so every retry finds the same checkpoints. */
export function checkpointDir(root: string, ref: RunRef): string {
  return join(root, ref.campaignId.replace(/[^A-Za-z0-9._-]/g, '_'), jobName(ref));
}

/** Heartbeat on a timer too: data loading and the first epoch can outlast the heartbeat timeout. */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    ctx.heartbeat();
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function trainingActivities(deps: TrainingDeps) {
  return {
    async trainSegment(input: SegmentInput): Promise<SegmentOutput> {
      const ctx = Context.current();
      return withHeartbeat(async () => {
        const result = await trainEngineSegment({
          spec: input.spec,
          params: input.params,
          seed: input.seed,
          fromEpoch: input.fromEpoch,
          toEpoch: input.toEpoch,
          checkpointDir: checkpointDir(deps.checkpointRoot, input),
          signal: ctx.cancellationSignal,
          onEpoch: async (e) => {
            ctx.heartbeat({ epoch: e.epoch });
            // A retried segment reports epochs already logged again; the helper skips steps the run already has.
            await logEpochMetrics(deps.mlflow, input.runId, [e]);
          },
        });
        // Epochs before `resumedFrom` came from checkpoints of an earlier attempt (a killed worker, say).
        const resumedFrom = input.toEpoch - result.trainedEpochs;
        if (resumedFrom > input.fromEpoch) {
          log.info(`resumed ${jobName(input)} of ${input.campaignId} from epoch ${resumedFrom} checkpoint`, { attempt: ctx.info.attempt });
        }
        return {
          epochs: result.epochs.map((e) => ({ epoch: e.epoch, metrics: e.metrics })),
          checkpoint: result.checkpoint,
          trainSeconds: result.trainSeconds,
          backend: result.backend,
        };
      });
    },

    async deleteCheckpoints(ref: RunRef): Promise<void> {
      await rm(checkpointDir(deps.checkpointRoot, ref), { recursive: true, force: true });
    },

    async evaluateRun(input: EvaluateInput): Promise<Record<string, number>> {
      return withHeartbeat(async () => {
        const metrics = await evaluateCheckpoint({ spec: input.spec, params: input.params, checkpoint: input.checkpoint, split: 'test' });
        await logMetricsOnce(deps.mlflow, input.runId, metrics);
        if (input.exportModel) {
          const dir = join(checkpointDir(deps.checkpointRoot, input), 'model');
          const files = await exportModel(input.checkpoint, dir);
          for (const file of files) await deps.mlflow.logArtifact(input.runId, `model/${file.name}`, file.content);
        }
        return metrics;
      });
    },
  };
}
