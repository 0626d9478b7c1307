// Extending and forking a FINISHED campaign, against the real servers: the extension continues the trial
// numbering without repeating a configuration, the fork changes the space and sampler and starts from
// the old trials that fit; the lineage shows as MLflow tags. The workers run with MLflow and Temporal
// credentials set, and no secret may reach the workflow histories or MLflow params and tags.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CampaignResult } from '../../activities/types';
import { campaignHandle, connectTemporal, startCampaign } from '../../cli/client';
import { forkCampaign } from '../../cli/lineage';
import type { RunningWorkers } from '../../cli/worker';
import { MlflowClient } from '../../mlflow/client';
import { campaignRuns, paramsOf, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const temporalAddress = inject('temporalAddress');
const dir = tempDir('lineage');
const SECRET = 'SECRET-d41d8cd9';

const spec = `name: lineage-test
seed: 7
dataset:
  name: synthetic-shapes
  options: {trainSize: 200, testSize: 100, imageSize: 8}
model: mlp
search:
  space:
    learningRate: {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
    units: {type: categorical, choices: [8, 16]}
  sampler: random
  scheduler: none
objective: {metric: val_loss, direction: minimize}
budget: {maxTrials: 4, maxConcurrentTrials: 2}
training: {epochs: 1, batchSize: 32}
retrain: {topK: 0}
`;

/** The CLI as a user runs it, spawned asynchronously (this process hosts a worker). */
const tuneflow = (args: string[]) =>
  runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: root, env: { TEMPORAL_ADDRESS: temporalAddress, MLFLOW_TRACKING_URI: mlflow } });

/** Every string and payload (bytes decoded as UTF-8) in a history, so a secret in any of them is found. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value !== null && typeof value === 'object') return Object.values(value).map(textOf).join('\n');
  return '';
}

const searchRuns = (runs: RestRun[]) => runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
const parentRun = (runs: RestRun[], result: CampaignResult) => runs.find((r) => r.info.run_id === result.mlflow.parentRunId)!;
const numbersOf = (runs: RestRun[]) => searchRuns(runs).map((r) => Number(tagsOf(r)['tuneflow.trial_number'])).sort((a, b) => a - b);
const configKey = (r: RestRun) => JSON.stringify(Object.entries(paramsOf(r)).sort());

describe('extend and fork a finished campaign', () => {
  let workers: RunningWorkers;
  const saved = { ...process.env };
  beforeAll(async () => {
    // Credentials as a user would set them: a token and basic auth for MLflow (the token wins), an API
    // key for Temporal (sent as metadata; the dev server ignores it, TEMPORAL_TLS=false keeps it plain).
    process.env.MLFLOW_TRACKING_TOKEN = `tok-${SECRET}`;
    process.env.MLFLOW_TRACKING_USERNAME = 'tuneflow';
    process.env.MLFLOW_TRACKING_PASSWORD = `pw-${SECRET}`;
    process.env.TEMPORAL_API_KEY = `key-${SECRET}`;
    process.env.TEMPORAL_TLS = 'false';
    workers = await startTestWorkers(join(dir, 'checkpoints'), { temporalAddress, mlflowTrackingUri: mlflow.replace('://', `://tuneflow:url-${SECRET}@`) });
  });
  afterAll(async () => {
    await workers?.shutdown();
    process.env = saved;
  });

  it('extends with more trials (numbering goes on, nothing repeated), forks with a new space and sampler', async () => {
    const client = await connectTemporal(temporalAddress);
    try {
      const specPath = join(dir, 'lineage.yaml');
      writeFileSync(specPath, spec);
      const first = await (await startCampaign(client, { specPath })).result();
      expect(first.status).toBe('COMPLETED');
      const firstRuns = await campaignRuns(mlflow, first.mlflow.experimentId, first.workflowId);
      expect(numbersOf(firstRuns)).toEqual([0, 1, 2, 3]);

      // The CLI sees the campaign has finished and starts a continuation instead of an update.
      const cli = await tuneflow(['extend', first.workflowId, '--trials', '3', '--json']);
      expect(cli.code, cli.stderr).toBe(0);
      const extensionId = (JSON.parse(cli.stdout) as { workflowId: string }).workflowId;
      expect(extensionId).not.toBe(first.workflowId);
      const extension = await campaignHandle(client, extensionId).result();
      expect(extension.status).toBe('COMPLETED');
      expect(extension.mlflow.experimentId).toBe(first.mlflow.experimentId);
      const extensionRuns = await campaignRuns(mlflow, extension.mlflow.experimentId, extension.workflowId);
      expect(numbersOf(extensionRuns)).toEqual([4, 5, 6]);
      const tried = [...searchRuns(firstRuns), ...searchRuns(extensionRuns)].map(configKey);
      expect(new Set(tried).size).toBe(7);
      expect(tagsOf(parentRun(extensionRuns, extension))).toMatchObject({
        'tuneflow.extends': first.workflowId,
        'tuneflow.lineage': first.workflowId,
        'tuneflow.warm_start_trials': '4',
        'tuneflow.warm_start_skipped': '0',
        // The spec's relative paths resolve where the original spec was, not where `extend` runs.
        'tuneflow.spec_dir': resolve(dir),
      });

      // The fork keeps only units=16 and draws with TPE: old trials with units=8 do not fit its space.
      const mlflowClient = new MlflowClient({ trackingUri: mlflow, env: {} });
      const forked = await forkCampaign(client, mlflowClient, extension.workflowId, {
        sets: ['search.sampler=tpe', 'search.space.units={type: categorical, choices: [16, 32]}', 'budget.maxTrials=2'],
      });
      expect(forked.spec.search.sampler.type).toBe('tpe');
      const fork = await forked.result();
      expect(fork.status).toBe('COMPLETED');
      const forkRuns = await campaignRuns(mlflow, fork.mlflow.experimentId, fork.workflowId);
      const fitting = tried.filter((key) => key.includes('["units","16"]')).length;
      expect(fitting).toBeGreaterThan(0);
      expect(tagsOf(parentRun(forkRuns, fork))).toMatchObject({
        'tuneflow.forked_from': extension.workflowId,
        'tuneflow.lineage': `${first.workflowId},${extension.workflowId}`,
        'tuneflow.warm_start_trials': String(fitting),
        'tuneflow.warm_start_skipped': String(7 - fitting),
        'tuneflow.spec_dir': resolve(dir),
      });
      expect(numbersOf(forkRuns)).toEqual([fitting, fitting + 1]);
      for (const run of searchRuns(forkRuns)) expect(['16', '32']).toContain(paramsOf(run).units);

      // The new workflow path (behind the optional `lineage` input) replays deterministically.
      for (const result of [extension, fork]) {
        const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
        await Worker.runReplayHistory({ workflowsPath: join(root, 'workflows', 'index.ts') }, history, result.workflowId);
        // TUNEFLOW_RECORD_HISTORIES=1 keeps the fork's history as a replay fixture (tests/replay runs it).
        if (process.env.TUNEFLOW_RECORD_HISTORIES && result === fork) {
          writeFileSync(join(root, 'tests', 'fixtures', 'histories', 'fork-warm-start.json'), historyToJSON(history));
        }
      }

      // No credential in any workflow history (inputs, activity payloads, results) or in MLflow.
      for (const result of [first, extension, fork]) {
        const history = textOf(await client.workflow.getHandle(result.workflowId).fetchHistory());
        expect(history).toContain(result.workflowId); // the payloads were decoded
        expect(history).not.toContain(SECRET);
        expect(result.mlflow.trackingUri).toBe(mlflow);
      }
      const everything = JSON.stringify([...firstRuns, ...extensionRuns, ...forkRuns].map((r) => [r.data.params, r.data.tags]));
      expect(everything).not.toContain(SECRET);
      expect(everything).toContain('tuneflow.campaign_id'); // the runs' tags were read
    } finally {
      await client.connection.close();
    }
  }, 600_000);

  it('refuses to fork a campaign that does not exist, with a plain message', async () => {
    const { code, stderr } = await tuneflow(['fork', 'no-such-campaign', '--set', 'search.sampler=tpe']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('no campaign "no-such-campaign" in MLflow');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 120_000);
});
