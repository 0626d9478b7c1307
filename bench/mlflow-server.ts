// `npm run bench:mlflow-server`: what one MLflow request costs the server's Python process, under MLflow's
// default server (uvicorn, FastAPI and a WSGI bridge in front of its Flask app) and under gunicorn's threaded
// workers as tuneflow launches it (cli/services/mlflow-server.ts gunicornOptions). Each side is a fresh
// server on SQLite in WAL mode with tuneflow's pool; `--concurrency` clients each send trial-like sequences
// (create, params and a tag, two epochs of metrics, end), as a campaign of short trials does; rounds
// alternate the two sides. A campaign of short trials waits on this process (docs/benchmarks.md).
//
//   node dist/bench/mlflow-server.js [--trials 300] [--concurrency 16] [--rounds 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMlflowServer, type MlflowServer } from '../cli/services/mlflow-server';
import { MlflowClient } from '../mlflow/client';
import { cpuSeconds } from './cpu-usage';
import { fmt, machine, median, table } from './table';

/** Requests one trial sends in `trial` below. */
const REQUESTS_PER_TRIAL = 5;

interface Side {
  name: string;
  server: MlflowServer;
}

interface Round {
  trialsPerSecond: number;
  cpuMsPerRequest: number;
  serverCores: number;
  medianTrialSeconds: number;
}

async function trial(client: MlflowClient, experimentId: string, n: number): Promise<void> {
  const run = await client.createRun({ experimentId, tags: { 'tuneflow.trial_number': String(n), 'tuneflow.stage': 'search' } });
  const runId = run.info.runId;
  await client.logBatch({ runId, params: { learningRate: '0.01', units: '32', activation: 'relu' }, tags: { 'tuneflow.state': 'RUNNING' } });
  for (const step of [1, 2]) {
    await client.logBatch({ runId, metrics: ['loss', 'accuracy', 'val_loss', 'val_accuracy'].map((key) => ({ key, value: 1 / (n + step), timestamp: Date.now(), step })) });
  }
  await client.updateRun({ runId, status: 'FINISHED', endTime: Date.now() });
}

async function round(side: Side, trials: number, concurrency: number): Promise<Round> {
  const client = new MlflowClient({ trackingUri: side.server.url });
  const experimentId = await client.createExperiment(`bench-${Date.now()}-${Math.random()}`);
  const seconds: number[] = [];
  let next = 0;
  const [cpuBefore] = cpuSeconds([side.server.pid]);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < trials) {
        const n = next++;
        const t0 = performance.now();
        await trial(client, experimentId, n);
        seconds.push((performance.now() - t0) / 1000);
      }
    }),
  );
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds([side.server.pid])[0]! - cpuBefore!;
  return { trialsPerSecond: trials / wall, cpuMsPerRequest: (1000 * cpu) / (trials * REQUESTS_PER_TRIAL), serverCores: cpu / wall, medianTrialSeconds: median(seconds) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' } } });
  const [trials, concurrency, rounds] = [Number(values.trials), Number(values.concurrency), Number(values.rounds)];
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-mlflow-server-'));
  const sides: Side[] = [];
  try {
    for (const [name, mlflowDefaultServer] of [['MLflow default (uvicorn)', true], ['as tuneflow launches it (gunicorn)', false]] as const) {
      const folder = join(dir, String(sides.length));
      sides.push({ name, server: await startMlflowServer({ dir: folder, logFile: join(folder, 'mlflow.log'), mlflowDefaultServer }) });
    }
    const results = new Map<string, Round[]>(sides.map((s) => [s.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (const side of sides) {
        const result = await round(side, trials, concurrency);
        results.get(side.name)!.push(result);
        process.stderr.write(`round ${r + 1}, ${side.name}: ${fmt(result.trialsPerSecond, 3)} trials/s, ${fmt(result.cpuMsPerRequest, 3)} ms CPU a request\n`);
      }
    }
    console.log(machine());
    console.log(`${trials} trials of ${REQUESTS_PER_TRIAL} requests per round, ${concurrency} at once, ${rounds} rounds; medians\n`);
    const med = (rs: Round[], key: keyof Round) => median(rs.map((x) => x[key]));
    console.log(
      table(
        ['server', 'trials/s', 'server CPU ms a request', 'server cores busy', 'trial s (median)'],
        sides.map((s) => {
          const rs = results.get(s.name)!;
          return [s.name, fmt(med(rs, 'trialsPerSecond'), 3), fmt(med(rs, 'cpuMsPerRequest'), 3), fmt(med(rs, 'serverCores'), 2), fmt(med(rs, 'medianTrialSeconds'), 3)];
        }),
      ),
    );
  } finally {
    await Promise.all(sides.map((s) => s.server.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
