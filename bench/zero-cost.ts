// Zero-cost training for the scale test, `bench:scale --zero-cost` and `bench:serve`: a worker on the
// spec's training queue answers each segment with a formula of the trial's parameters (logged to MLflow
// as a real segment would be), so trials cost nothing and what is measured is the campaign's bookkeeping.
import { Context } from '@temporalio/activity';
import { segmentKnowledge, segmentWithRun } from '../activities/job';
import type { EvaluateInput, SegmentInput, SegmentOutput } from '../activities/types';
import type { MlflowClient } from '../mlflow/client';
import { logMetricsOnce, RunWriter } from '../mlflow/runs';
import { simulatedLoss } from './scale-trainable';

export function zeroCostActivities(mlflow: MlflowClient) {
  return {
    async trainSegment(request: SegmentInput): Promise<SegmentOutput> {
      const info = Context.current().info;
      // A first segment opens the trial's run, as a real one does.
      const input = await segmentWithRun(mlflow, request, info);
      const epochs = [];
      for (let epoch = input.fromEpoch + 1; epoch <= input.toEpoch; epoch++) {
        const loss = simulatedLoss(input.params, epoch);
        epochs.push({ epoch, metrics: { val_loss: loss, val_accuracy: 1 / (1 + loss) }, endedAt: Date.now() });
      }
      // As a real segment logs (activities/training.ts): a first attempt skips the read.
      await new RunWriter(mlflow, input.runId, segmentKnowledge(info, input)).logEpochs(epochs);
      return { epochs: epochs.map(({ epoch, metrics }) => ({ epoch, metrics })), checkpoint: `zero-cost:${input.runId}`, trainSeconds: 0, backend: 'formula', runId: input.runId };
    },
    async evaluateRun(input: EvaluateInput): Promise<Record<string, number>> {
      const metrics = { test_loss: simulatedLoss(input.params, 100) };
      await logMetricsOnce(mlflow, input.runId, metrics);
      return metrics;
    },
    async deleteCheckpoints(): Promise<void> {},
  };
}
