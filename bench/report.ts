// How long a campaign's report takes to build, by campaign size: `npm run bench:report [-- --trials 12,1000]`.
// A real MLflow server gets campaigns of N finished trials written with the campaign's own tracking
// activities (same runs, tags, params and per-epoch metrics as a real campaign, without training), then
// the report is read back and drawn the way `tuneflow report` and finalize do it. Prints one row a size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { trackingActivities } from '../activities/tracking';
import { parseExperiment } from '../catalog';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { MlflowClient } from '../mlflow/client';
import { logEpochMetrics } from '../mlflow/runs';
import { buildReport, loadCampaign } from '../report';
import { machine, table } from './table';

const EPOCHS = 5;

function specText(trials: number): string {
  return stringify({
    name: `report-bench-${trials}`,
    seed: 1,
    dataset: { name: 'synthetic-shapes', options: { trainSize: 200, testSize: 50, imageSize: 8 } },
    model: 'mlp',
    search: {
      space: {
        learningRate: { type: 'float', low: 1e-4, high: 1e-1, log: true },
        units: { type: 'int', low: 8, high: 256, log: true },
        dropout: { type: 'float', low: 0, high: 0.5 },
        activation: { type: 'categorical', choices: ['relu', 'tanh'] },
      },
      sampler: 'random',
      scheduler: 'none',
    },
    objective: { metric: 'val_loss', direction: 'minimize' },
    budget: { maxTrials: trials },
    training: { epochs: EPOCHS },
  });
}

/** A deterministic stand-in for a trial's curve: lower with a learning rate near 1e-2 and more epochs. */
function valLoss(i: number, epoch: number): number {
  const lr = -4 + ((i * 0.618034) % 1) * 3;
  return (lr + 2) ** 2 + 0.2 * ((i * 0.414214) % 1) + 1 / epoch;
}

async function writeCampaign(mlflow: MlflowClient, trackingUri: string, trials: number): Promise<string> {
  const text = specText(trials);
  const spec = parseExperiment(text, 'bench.yaml');
  const tracking = trackingActivities({ mlflow, trackingUri });
  const campaignId = `report-bench-${trials}-${Date.now()}`;
  const run = await tracking.ensureCampaignRun({ campaignId, spec, specText: text });
  let next = 0;
  const writer = async () => {
    for (let i = next++; i < trials; i = next++) {
      const params = { learningRate: 10 ** (-4 + ((i * 0.618034) % 1) * 3), units: 8 + (i % 249), dropout: (i % 50) / 100, activation: i % 2 ? 'relu' : 'tanh' };
      const runId = await tracking.startRun({ campaignId, tracking: run, stage: 'search', trialNumber: i, seedIndex: 0, params, spec });
      const epochs = Array.from({ length: EPOCHS }, (_, e) => ({ epoch: e + 1, endedAt: Date.now(), metrics: { val_loss: valLoss(i, e + 1), loss: valLoss(i, e + 1) * 0.9 } }));
      await logEpochMetrics(mlflow, runId, epochs);
      await tracking.finishRun({ runId, state: 'COMPLETE', summary: { objective: valLoss(i, EPOCHS) } });
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  return run.parentRunId;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '12,1000' } } });
  const sizes = values.trials.split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-report-'));
  const server = await startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') });
  const mlflow = new MlflowClient({ trackingUri: server.url });
  const rows: (string | number)[][] = [];
  try {
    for (const trials of sizes) {
      const writeStart = performance.now();
      const parentRunId = await writeCampaign(mlflow, server.url, trials);
      const written = (performance.now() - writeStart) / 1000;
      const loadStart = performance.now();
      const data = await loadCampaign(mlflow, await mlflow.getRun(parentRunId));
      const loaded = (performance.now() - loadStart) / 1000;
      const drawStart = performance.now();
      const files = await buildReport(data);
      const drawn = (performance.now() - drawStart) / 1000;
      const html = files.get('report.html')?.length ?? 0;
      rows.push([trials, written.toFixed(1), loaded.toFixed(2), drawn.toFixed(2), (loaded + drawn).toFixed(2), [...files.keys()].filter((f) => f.startsWith('plots/')).length, (html / 1024).toFixed(0)]);
      console.error(`${trials} trials: read ${loaded.toFixed(2)} s, drawn ${drawn.toFixed(2)} s`);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Report build time by campaign size (${machine()}; a local MLflow server on SQLite)`);
  console.log(table(['trials', 'write campaign s', 'read from MLflow s', 'draw s', 'report s', 'plots', 'report.html KiB'], rows));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
