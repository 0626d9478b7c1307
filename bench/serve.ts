// Latency of `tuneflow serve` on a big campaign: `npm run bench:serve [-- --trials 1000 --requests 300]`.
// Local Temporal and MLflow servers; a campaign of N zero-cost trials (bench/zero-cost.ts: a worker on its
// training queue answers each segment with a formula, so only the bookkeeping is real), paused once N
// trials finished so it stays RUNNING; then `tuneflow serve --no-worker` as a child process (this process
// hosts the workflow worker) and a sequential load loop on loopback, bounded in count and time, over
// GET /campaigns/{id} and GET /campaigns/{id}/trials. Prints p50/p99 per route and the server's RSS.
import { NativeConnection, Worker } from '@temporalio/worker';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { connectTemporal, startCampaignFromText } from '../cli/client';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { registerCampaignSearchAttributes, startTemporalServer } from '../cli/services/temporal-server';
import { startWorkers } from '../cli/worker';
import { MlflowClient } from '../mlflow/client';
import { machine, table } from './table';
import { zeroCostActivities } from './zero-cost';

const QUEUE = 'serve-bench';

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '1000' }, requests: { type: 'string', default: '300' } } });
  const trials = Number(values.trials);
  const requests = Number(values.requests);
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-serve-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const [temporal, mlflowServer] = await Promise.all([
    startTemporalServer({ logFile: join(dir, 'temporal.log'), uiPort: null }),
    startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') }),
  ]);
  await registerCampaignSearchAttributes(temporal.address);
  const workers = await startWorkers({ temporalAddress: temporal.address, mlflowTrackingUri: mlflowServer.url, checkpointRoot: join(dir, 'checkpoints'), control: true, trainingQueues: [] });
  const connection = await NativeConnection.connect({ address: temporal.address });
  const formula = await Worker.create({ connection, taskQueue: QUEUE, activities: zeroCostActivities(new MlflowClient({ trackingUri: mlflowServer.url })), maxConcurrentActivityTaskExecutions: 32 });
  const formulaDone = formula.run();
  const client = await connectTemporal(temporal.address);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const spec = stringify({
      name: 'serve-bench',
      dataset: { name: 'synthetic-shapes', options: { trainSize: 200, testSize: 50, imageSize: 8 } },
      model: 'mlp',
      search: { space: { learningRate: { type: 'float', low: 1e-4, high: 1, log: true }, units: { type: 'int', low: 2, high: 256, log: true } }, sampler: 'random', scheduler: 'none' },
      objective: { metric: 'val_loss', direction: 'minimize' },
      budget: { maxTrials: trials + 50, maxConcurrentTrials: 16 },
      training: { epochs: 2 },
      resources: { taskQueue: QUEUE },
      tracking: { reportEvery: 0 },
    });
    const started = Date.now();
    const handle = await startCampaignFromText(client, { specText: spec, specName: 'serve-bench.yaml' });
    const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
    let nextProgress = Date.now() + 10_000;
    for (;;) {
      const t = (await handle.status()).trials;
      const ended = t.completed + t.pruned + t.failed;
      if (ended >= trials) break;
      if (Date.now() >= nextProgress) {
        log(`${seconds()} s: ${ended}/${trials} trials ended (${t.completed} completed, ${t.failed} failed), ${t.running} running`);
        nextProgress += 10_000;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    await handle.pause();
    // A paused campaign keeps trials parked at a segment boundary RUNNING (they resume from there), so
    // `running` need not reach 0: wait instead until no segment or bookkeeping activity is in flight.
    const workflow = client.workflow.getHandle(handle.workflowId);
    for (;;) {
      const { raw } = await workflow.describe();
      if (!raw.pendingActivities?.length && !raw.pendingWorkflowTask) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const { total, running } = (await handle.status()).trials;
    log(`campaign ${handle.workflowId}: ${total} trials in ${seconds()} s, paused (${running} running, parked at a segment boundary)`);

    const main = join(__dirname, '..', 'cli', 'main.js');
    child = spawn(process.execPath, [main, 'serve', '--port', '0', '--no-worker'], { env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, MLFLOW_TRACKING_URI: mlflowServer.url, TUNEFLOW_SERVE_TOKEN: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      child!.stderr!.on('data', (d) => {
        text += d;
        const m = /tuneflow serve: (http:\/\/[^/\s]+)\//.exec(text);
        if (m) resolve(m[1]!);
      });
      child!.on('exit', (code) => reject(new Error(`serve exited (${code}): ${text}`)));
    });
    const rows: (string | number)[][] = [];
    for (const [name, path] of [
      ['GET /campaigns/{id}', `/api/v1/campaigns/${handle.workflowId}`],
      [`GET /campaigns/{id}/trials (limit 50)`, `/api/v1/campaigns/${handle.workflowId}/trials`],
      [`GET /campaigns/{id}/trials?limit=1000`, `/api/v1/campaigns/${handle.workflowId}/trials?limit=1000`],
    ] as const) {
      for (let i = 0; i < 5; i++) await (await fetch(`${url}${path}`)).arrayBuffer(); // warm-up
      const times: number[] = [];
      const deadline = Date.now() + 60_000;
      while (times.length < requests && Date.now() < deadline) {
        const t0 = performance.now();
        const res = await fetch(`${url}${path}`);
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      rows.push([name, times.length, percentile(times, 0.5).toFixed(1), percentile(times, 0.99).toFixed(1)]);
    }
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
    process.stdout.write(`tuneflow serve on a ${total}-trial running campaign (loopback, sequential requests), ${machine()}\n`);
    process.stdout.write(`${table(['route', 'requests', 'p50 ms', 'p99 ms'], rows)}\n`);
    process.stdout.write(`serve process RSS after the loop: ${rss ? (Number(rss) / 1024).toFixed(0) : '?'} MiB\n`);
    await handle.cancel().catch(() => undefined);
  } finally {
    child?.kill('SIGTERM');
    // A signal to this process (Ctrl-C) already stopped the worker, and shutdown() would throw over the first error.
    if (formula.getState() === 'RUNNING') formula.shutdown();
    await formulaDone.catch(() => undefined);
    await connection.close();
    await workers.shutdown();
    await client.connection.close();
    await Promise.all([temporal.stop(), mlflowServer.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:serve: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
