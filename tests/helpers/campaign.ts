// Runs one campaign end to end for an e2e test: in-process workers (control + training) against the
// real servers the global setup started (or another MLflow server), the campaign to its end, then
// every MLflow run it logged.
import { afterAll, beforeAll, inject } from 'vitest';
import { connectTemporal, startCampaign, type CampaignResult } from '../../cli/client';
import { startWorkers, type RunningWorkers } from '../../cli/worker';
import { campaignRuns, type RestRun } from './mlflow-queries';

export interface FinishedCampaign {
  result: CampaignResult;
  runs: RestRun[];
  /** Still running: shut them down in afterAll. */
  workers: RunningWorkers;
}

export interface CampaignOptions {
  /** The queues the in-process training worker polls (default: the default training queue). */
  trainingQueues?: string[];
  /** Another MLflow server than the global setup's (e.g. tests/e2e/postgres.test.ts's). */
  mlflowTrackingUri?: string;
}

/** Control and training workers in this process, as the e2e tests run them (default: the global setup's servers and the default training queue). */
export function startTestWorkers(
  checkpointRoot: string,
  options: { temporalAddress?: string; mlflowTrackingUri?: string; trainingQueues?: string[] } = {},
): Promise<RunningWorkers> {
  return startWorkers({
    temporalAddress: options.temporalAddress ?? inject('temporalAddress'),
    mlflowTrackingUri: options.mlflowTrackingUri ?? inject('mlflowTrackingUri'),
    checkpointRoot,
    control: true,
    trainingQueues: options.trainingQueues ?? ['tuneflow-training'],
  });
}

export async function runCampaignToEnd(specPath: string, checkpointRoot: string, options: CampaignOptions = {}): Promise<FinishedCampaign> {
  const mlflow = options.mlflowTrackingUri ?? inject('mlflowTrackingUri');
  const workers = await startTestWorkers(checkpointRoot, { mlflowTrackingUri: mlflow, ...(options.trainingQueues ? { trainingQueues: options.trainingQueues } : {}) });
  try {
    const client = await connectTemporal(inject('temporalAddress'));
    try {
      const result = await (await startCampaign(client, { specPath })).result();
      return { result, runs: await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId), workers };
    } finally {
      await client.connection.close();
    }
  } catch (error) {
    await workers.shutdown(); // the caller never sees them to shut down
    throw error;
  }
}

/** Runs the campaign once before the file's tests and shuts its workers down after them. */
export function campaignFixture(specPath: string, checkpointRoot: string, options: CampaignOptions = {}): () => FinishedCampaign {
  let campaign: FinishedCampaign | undefined;
  beforeAll(async () => {
    campaign = await runCampaignToEnd(specPath, checkpointRoot, options);
  }, 600_000);
  afterAll(async () => {
    await campaign?.workers.shutdown();
  });
  return () => campaign!;
}
