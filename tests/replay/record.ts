// Records the histories the replay test runs: real campaigns on real servers, one per workflow path
// (pruning and promotion, failure, live control, cancel, continue-as-new, retrain). Run it when a
// workflow change is meant to change histories (then guard old ones with `patched()`, see
// docs/design-notes.md):  npm run record:histories  (TUNEFLOW_RECORD_ONLY=pbt: one scenario)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { connectTemporal, startCampaign, type CampaignHandle } from '../../cli/client';
import { forkCampaign } from '../../cli/lineage';
import { MlflowClient } from '../../mlflow/client';
import { startMlflowServer } from '../../cli/services/mlflow-server';
import { startTemporalServer, registerCampaignSearchAttributes } from '../../cli/services/temporal-server';
import { findTool } from '../../cli/services/tools';
import { startTestWorkers } from '../helpers/campaign';

const specs = join(__dirname, '..', 'fixtures', 'specs');
const out = join(__dirname, '..', 'fixtures', 'histories');

async function until(probe: () => Promise<boolean>): Promise<void> {
  while (!(await probe().catch(() => false))) await new Promise((r) => setTimeout(r, 200));
}

const SCENARIOS: {
  name: string;
  spec: string;
  steer?: (h: CampaignHandle) => Promise<void>;
  /** Starts the campaign another way than from `spec` (a fork of an earlier scenario's campaign). */
  start?: (client: Client, mlflowUri: string) => Promise<CampaignHandle>;
}[] = [
  { name: 'retrain-and-register', spec: 'tiny.yaml' },
  {
    name: 'fork-warm-start',
    spec: 'tiny.yaml',
    start: (client, mlflowUri) =>
      forkCampaign(client, new MlflowClient({ trackingUri: mlflowUri }), 'replay-retrain-and-register', { sets: ['search.sampler=tpe', 'budget.maxTrials=2'] }),
  },
  { name: 'promotion-and-pruning', spec: 'asha.yaml' },
  // Two objectives with ASHA: promotions by Pareto order (patch marker `pareto-pruning`). The fixture
  // two-objectives-asha-before-pruning.json was recorded from this spec before that marker existed.
  { name: 'two-objectives-asha', spec: 'two-objectives-asha.yaml' },
  { name: 'failed-trial', spec: 'diverge.yaml' },
  {
    name: 'pause-enqueue-extend-stop',
    spec: 'control.yaml',
    steer: async (h) => {
      await until(async () => (await h.status()).trials.total >= 1);
      await h.pause();
      await h.enqueue([{ learningRate: 0.005, units: 32 }]);
      await h.extend({ trials: 1 });
      await h.setConcurrency(2);
      await h.resume();
      await until(async () => (await h.status()).trials.total >= 3);
      await h.stop();
    },
  },
  {
    name: 'cancel',
    spec: 'control.yaml',
    steer: async (h) => {
      await until(async () => (await h.status()).trials.running >= 1);
      await h.cancel();
    },
  },
  { name: 'continue-as-new', spec: 'many.yaml' },
  // Population-based training: boundaries, exploit copies and lineage activities (patch marker `pbt`).
  { name: 'pbt', spec: 'pbt-engine.yaml' },
];

/** `TUNEFLOW_RECORD_ONLY=pbt,cancel npm run record:histories`: record these scenarios only, keep the other files. */
const only = process.env.TUNEFLOW_RECORD_ONLY?.split(',');

it('records one history per workflow path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-record-'));
  const [temporal, mlflow] = await Promise.all([
    startTemporalServer({ logFile: join(dir, 'temporal.log'), uiPort: null, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 150 } }),
    startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') }),
  ]);
  await registerCampaignSearchAttributes(temporal.address);
  const workers = await startTestWorkers(join(dir, 'checkpoints'), { temporalAddress: temporal.address, mlflowTrackingUri: mlflow.url });
  const client = await connectTemporal(temporal.address);
  try {
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
      const workflowId = `replay-${scenario.name}`;
      const handle = scenario.start
        ? await scenario.start(client, mlflow.url)
        : await startCampaign(client, { specPath: join(specs, scenario.spec), workflowId });
      await scenario.steer?.(handle);
      await handle.result();
      // Every run of the chain (continue-as-new makes several): the first and the last are enough.
      const runIds: string[] = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runIds.push(wf.runId);
      const chosen = runIds.length > 1 ? [runIds.at(-1)!, runIds[0]!] : runIds;
      for (const [i, runId] of chosen.entries()) {
        // The Temporal CLI's JSON export is the format the SDK's replayer documents.
        const json = execFileSync(findTool('temporal'), ['workflow', 'show', '--address', temporal.address, '--workflow-id', handle.workflowId, '--run-id', runId, '--output', 'json'], {
          maxBuffer: 64 * 2 ** 20,
        });
        writeFileSync(join(out, `${scenario.name}${chosen.length > 1 ? `-${i + 1}` : ''}.json`), json);
      }
      expect(runIds.length).toBeGreaterThan(0);
    }
  } finally {
    await client.connection.close();
    await workers.shutdown();
    await Promise.all([temporal.stop(), mlflow.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
