// The client API (`import { startCampaign } from 'tuneflow'`): start a campaign and follow it from any
// script. It talks to Temporal only; the workers do the rest.
import { Client, Connection, WorkflowIdReusePolicy, WorkflowUpdateFailedError } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CampaignResult, Lineage } from '../activities/types';
import type { LeaderboardRow } from '../trials';
import { parseExperiment } from '../catalog';
import type { ExperimentSpec } from '../spec/types';
import {
  cancelUpdate,
  enqueueUpdate,
  extendUpdate,
  leaderboardQuery,
  pauseUpdate,
  resumeUpdate,
  setConcurrencyUpdate,
  statusQuery,
  stopUpdate,
  type campaign,
  type CampaignInput,
  type CampaignProgress,
  type ExtendRequest,
} from '../workflows';
import type { Params } from '../search/space-types';
import { CONTROL_TASK_QUEUE, temporalConfig } from './config';

export type { CampaignResult, CampaignProgress, LeaderboardRow, ExperimentSpec };

export interface CampaignHandle {
  workflowId: string;
  status(): Promise<CampaignProgress>;
  leaderboard(): Promise<LeaderboardRow[]>;
  result(): Promise<CampaignResult>;
  /** Finish the running segments, start nothing new until `resume`. */
  pause(): Promise<CampaignProgress>;
  resume(): Promise<CampaignProgress>;
  /** Stop sampling; running trials finish, then the retrain stage runs. */
  stop(): Promise<CampaignProgress>;
  /** Stop now: running segments are cancelled, no retrain. */
  cancel(): Promise<CampaignProgress>;
  extend(request: ExtendRequest): Promise<CampaignProgress>;
  setConcurrency(n: number): Promise<CampaignProgress>;
  enqueue(configurations: Params[]): Promise<CampaignProgress>;
}

/** A control request the campaign refused; `reason` says why. Nothing was recorded. */
export class ControlRejectedError extends Error {
  override readonly name = 'ControlRejectedError';
}

async function rejectedAsError<T>(request: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // A validator's refusal arrives as WorkflowUpdateFailedError whose cause carries the reason.
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      throw new ControlRejectedError(`${request} rejected: ${cause}`);
    }
    throw err;
  }
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
    status: () => handle.query(statusQuery),
    leaderboard: () => handle.query(leaderboardQuery),
    result: () => handle.result(),
    pause: () => rejectedAsError('pause', () => handle.executeUpdate(pauseUpdate)),
    resume: () => rejectedAsError('resume', () => handle.executeUpdate(resumeUpdate)),
    stop: () => rejectedAsError('stop', () => handle.executeUpdate(stopUpdate)),
    cancel: () => rejectedAsError('cancel', () => handle.executeUpdate(cancelUpdate)),
    extend: (request) => rejectedAsError('extend', () => handle.executeUpdate(extendUpdate, { args: [request] })),
    setConcurrency: (n) => rejectedAsError('set-concurrency', () => handle.executeUpdate(setConcurrencyUpdate, { args: [n] })),
    enqueue: (list) => rejectedAsError('enqueue', () => handle.executeUpdate(enqueueUpdate, { args: [list] })),
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
  return startCampaignFromText(client, { specText, specName: opts.specPath, specDir: resolve(dirname(opts.specPath)), ...(opts.workflowId ? { workflowId: opts.workflowId } : {}) });
}

/** `startCampaign` for a spec already in memory; `lineage` makes it continue a finished campaign (cli/lineage.ts). */
export async function startCampaignFromText(
  client: Client,
  opts: { specText: string; specName: string; specDir?: string; workflowId?: string; lineage?: Lineage },
): Promise<CampaignHandle & { spec: ExperimentSpec }> {
  const spec = parseExperiment(opts.specText, opts.specName, opts.specDir);
  const workflowId = opts.workflowId ?? newCampaignId(spec);
  const input: CampaignInput = {
    specText: opts.specText,
    specName: opts.specName,
    ...(opts.specDir ? { specDir: opts.specDir } : {}),
    ...(opts.lineage ? { lineage: opts.lineage } : {}),
  };
  await client.workflow.start<typeof campaign>('campaign', {
    taskQueue: CONTROL_TASK_QUEUE,
    workflowId,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  return { ...campaignHandle(client, workflowId), spec };
}
