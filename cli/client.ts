// The client API (`import { startCampaign } from 'tuneflow'`): start a campaign and follow it from any
// script. It talks to Temporal only; the workers do the rest.
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import type { CampaignResult, LoadSpecInput } from '../activities/types';
import { parseExperiment } from '../activities/spec';
import type { ExperimentSpec } from '../spec/types';
import type { campaign, CampaignProgress } from '../workflows';
import type { LeaderboardRow } from '../activities/types';
import { CONTROL_TASK_QUEUE, temporalConfig } from './config';

export type { CampaignResult, CampaignProgress, LeaderboardRow, ExperimentSpec };

export interface CampaignHandle {
  workflowId: string;
  status(): Promise<CampaignProgress>;
  leaderboard(): Promise<LeaderboardRow[]>;
  result(): Promise<CampaignResult>;
}

export async function connectTemporal(address: string): Promise<Client> {
  const config = temporalConfig(address);
  const connection = await Connection.connect(config.connection);
  return new Client({ connection, namespace: config.namespace });
}

export function campaignHandle(client: Client, workflowId: string): CampaignHandle {
  const handle = client.workflow.getHandle<typeof campaign>(workflowId);
  return {
    workflowId,
    status: () => handle.query<CampaignProgress>('status'),
    leaderboard: () => handle.query<LeaderboardRow[]>('leaderboard'),
    result: () => handle.result(),
  };
}

/** A readable, unique workflow id: `<spec name>-<UTC time>-<random>`. */
export function newCampaignId(spec: ExperimentSpec, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${spec.name}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Validate a spec file here (so errors show at once, with line and column), then start the
 * `campaign` workflow with the spec's text inline, so workers on other machines need no file.
 */
export async function startCampaign(client: Client, opts: { specPath: string; workflowId?: string }): Promise<CampaignHandle & { spec: ExperimentSpec }> {
  const specText = await readFile(opts.specPath, 'utf8');
  const spec = parseExperiment(specText, opts.specPath);
  const workflowId = opts.workflowId ?? newCampaignId(spec);
  const input: LoadSpecInput = { specText, specName: opts.specPath };
  await client.workflow.start<typeof campaign>('campaign', {
    taskQueue: CONTROL_TASK_QUEUE,
    workflowId,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  return { ...campaignHandle(client, workflowId), spec };
}
