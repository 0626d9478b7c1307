// `npm run bench:scale`: how many workers the control plane feeds. For each N (--workers 1,2,4,8,16) it
// starts N `tuneflow worker` processes and runs a campaign of N x --trials trials whose epochs sleep
// --epoch-seconds (an honest simulated cost: scale-trainable.ts), then prints trials/s, the scaling
// efficiency against N x the one-worker rate, MLflow requests per trial (counted by a proxy in front of
// the server, by endpoint), Temporal history events per trial and the busiest component's CPU.
// `--zero-cost --trials 5000` runs the scale test's campaign instead (a formula answers each segment):
// the control plane alone, as fast as it goes. `--db postgres` puts MLflow on a local PostgreSQL.
import { NativeConnection, Worker } from '@temporalio/worker';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCampaignFromText } from '../cli/client';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { startMlflowOnPostgres } from '../cli/services/postgres';
import { registerCampaignSearchAttributes, startTemporalServer } from '../cli/services/temporal-server';
import { MlflowClient } from '../mlflow/client';
import { campaignTiming, type Spread } from './history-timing';
import { CpuSampler, historyEvents, openScaleEnvironment, perTrial, rounded, runScaleRow, searchRunCounts, type ScaleEnvironment, type ScaleRow } from './scale-run';
import { fmt, machine, table } from './table';
import { zeroCostActivities } from './zero-cost';

const HELP = `npm run bench:scale -- [--workers 1,2,4,8,16] [--epoch-seconds 10] [--epochs 3] [--trials 4] [--db sqlite|postgres] [--json] [--keep]
       npm run bench:scale -- --zero-cost [--trials 5000] [--json]
  --trials   trials per worker (default 4); with --zero-cost the campaign's trials (default 5000)`;

interface Args {
  workers: number[];
  epochSeconds: number;
  epochs: number;
  trials: number | undefined;
  zeroCost: boolean;
  db: 'sqlite' | 'postgres';
  json: boolean;
  keep: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      workers: { type: 'string', default: '1,2,4,8,16' },
      'epoch-seconds': { type: 'string', default: '10' },
      epochs: { type: 'string', default: '3' },
      trials: { type: 'string' },
      'zero-cost': { type: 'boolean', default: false },
      db: { type: 'string', default: 'sqlite' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${JSON.stringify(text)}\n${HELP}`);
    return n;
  };
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db: expected sqlite or postgres, got ${JSON.stringify(values.db)}`);
  return {
    workers: values.workers.split(',').map((w) => Math.round(positive('workers', w))),
    epochSeconds: positive('epoch-seconds', values['epoch-seconds']),
    epochs: Math.round(positive('epochs', values.epochs)),
    trials: values.trials === undefined ? undefined : Math.round(positive('trials', values.trials)),
    zeroCost: values['zero-cost'],
    db: values.db,
    json: values.json,
    keep: values.keep,
  };
}

const say = (line: string) => process.stderr.write(`scale: ${line}\n`);

function machineInfo() {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'cpu', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
}

/** The scale test's campaign (tests/fixtures/specs/scale.yaml) against a formula worker in this process. */
async function zeroCostRow(env: ScaleEnvironment, trials: number): Promise<ScaleRow & { continueAsNewRuns: number }> {
  const connection = await NativeConnection.connect({ address: env.temporalAddress });
  const worker = await Worker.create({ connection, taskQueue: 'zero-cost', activities: zeroCostActivities(new MlflowClient({ trackingUri: env.proxy.url })), maxConcurrentActivityTaskExecutions: 32 });
  const running = worker.run();
  try {
    const spec = readFileSync(join(__dirname, '..', '..', 'tests', 'fixtures', 'specs', 'scale.yaml'), 'utf8').replace(/maxTrials: \d+/, `maxTrials: ${trials}`);
    env.proxy.reset();
    const cpu = new CpuSampler({ ...env.servers, 'control worker': [env.controlPid] });
    const t0 = Date.now();
    const handle = await startCampaignFromText(env.client, { specText: spec, specName: 'scale.yaml' });
    let last = Date.now();
    const progress = setInterval(() => {
      if (Date.now() - last < 30_000) return;
      last = Date.now();
      handle.status().then((s) => say(`${JSON.stringify(s.trials ?? s).slice(0, 200)} after ${((Date.now() - t0) / 1000).toFixed(0)} s`), () => undefined);
    }, 5_000);
    const result = await handle.result().finally(() => clearInterval(progress));
    const wallSeconds = (Date.now() - t0) / 1000;
    const cores = cpu.cores();
    const counts = env.proxy.counts();
    const done = result.trials.completed + result.trials.pruned + result.trials.failed;
    const runs = await searchRunCounts(env.mlflowUrl, result.mlflow.experimentId, result.workflowId);
    let chain = 0;
    for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${result.workflowId}'` })) chain++;
    const events = await historyEvents(env.client, result.workflowId);
    const timing = await campaignTiming(env.client, result.workflowId);
    const [busiest, busiestCpuShare] = Object.entries(cores).sort((a, b) => b[1] - a[1])[0]!;
    return {
      workflowId: result.workflowId,
      workers: 0,
      trials: done,
      wallSeconds,
      trialsPerSecond: done / wallSeconds,
      efficiency: null,
      idealTrialsPerSecond: Infinity,
      mlflowRequests: counts.total,
      mlflowRequestsPerTrial: counts.total / done,
      mlflowServerErrors: counts.serverErrors,
      mlflowSlowRequests: counts.slow,
      mlflowRequestsPerTrialByEndpoint: perTrial(counts, done),
      mlflowSecondsByEndpoint: rounded(counts.secondsByEndpoint),
      cpuCores: cores,
      busiest,
      busiestCpuShare,
      temporalHistoryEvents: events,
      temporalEventsPerTrial: events / done,
      searchRuns: runs.runs,
      duplicateRuns: runs.duplicates,
      status: result.status,
      timing,
      continueAsNewRuns: chain,
    };
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
  }
}

function printRows(rows: ScaleRow[], args: Args): void {
  const header = ['workers', 'trials', 'wall s', 'trials/s', 'ideal/s', 'efficiency', 'MLflow req/trial', '5xx', 'events/trial', 'busiest (cores)', 'dup runs'];
  console.log(
    table(
      header,
      rows.map((r) => [
        r.workers || 'zero-cost',
        r.trials,
        r.wallSeconds.toFixed(1),
        fmt(r.trialsPerSecond, 3),
        Number.isFinite(r.idealTrialsPerSecond) ? fmt(r.idealTrialsPerSecond, 3) : '-',
        r.efficiency === null ? '-' : r.efficiency.toFixed(2),
        r.mlflowRequestsPerTrial.toFixed(1),
        r.mlflowServerErrors,
        r.temporalEventsPerTrial.toFixed(1),
        `${r.busiest} ${r.busiestCpuShare.toFixed(2)}`,
        r.duplicateRuns,
      ]),
    ),
  );
  const last = rows.at(-1)!;
  console.log(`\nMLflow requests per trial by endpoint (${last.workers ? `${last.workers} workers` : 'zero-cost'}):`);
  console.log(table(['endpoint', 'per trial', 'seconds waited (all requests)'], Object.entries(last.mlflowRequestsPerTrialByEndpoint).map(([k, v]) => [k, v.toFixed(2), (last.mlflowSecondsByEndpoint[k] ?? 0).toFixed(1)])));
  const slow = last.mlflowSlowRequests;
  console.log(`\nMLflow requests of 5 s or more: ${slow.length}${slow.length ? ` (status 0: the caller gave up first)` : ''}`);
  if (slow.length) console.log(table(['started', 'endpoint', 'seconds', 'status'], slow.slice(0, 40).map((r) => [r.at, r.endpoint, r.seconds.toFixed(1), r.status])));
  const { timing } = last;
  console.log(`\nWhere a search trial's slot goes (${timing.slot.trials} trials, mean seconds; with C slots at most C / ${timing.slot.slotSeconds.toFixed(2)} trials/s):`);
  console.log(table(['step', 'seconds'], Object.entries(timing.slot.steps).map(([k, v]) => [k, v.toFixed(3)])));
  console.log(`\nTemporal tasks (${timing.runs} runs, ${timing.events} events): waiting for a worker and running, mean (p90) seconds:`);
  const row = (name: string, t: { scheduleToStart: Spread; run: Spread }) => [name, t.scheduleToStart.count, `${t.scheduleToStart.meanSeconds} (${t.scheduleToStart.p90Seconds})`, `${t.run.meanSeconds} (${t.run.p90Seconds})`];
  console.log(table(['task', 'count', 'wait', 'run'], [row('workflow task', timing.workflowTasks), ...Object.entries(timing.activities).map(([k, v]) => row(k, v))]));
  const { drain, gap } = timing.handover;
  if (gap.count) console.log(`\nContinue-as-new (${gap.count}): no new trial for ${(drain.totalSeconds + gap.totalSeconds).toFixed(1)} s in all; a run's drain ${drain.meanSeconds} s (p90 ${drain.p90Seconds}), the gap to the next run ${gap.meanSeconds} s (p90 ${gap.p90Seconds})`);
  console.log(`\nCPU (cores busy) by component, ${last.workers ? `${last.workers} workers` : 'zero-cost'}: ${Object.entries(last.cpuCores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  const setting = args.zeroCost ? `zero-cost, scale.yaml` : `${args.epochs} epochs x ${args.epochSeconds} s, ${args.trials ?? 4} trials per worker, MLflow on ${args.db}`;
  console.log(`\n${setting}; ${machine()}; load average at the end ${machineInfo().loadAverage}`);
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-scale-'));
  // PostgreSQL runs as its own user (it refuses root), who must be able to enter the folder.
  if (args.db === 'postgres') chmodSync(dir, 0o711);
  const stops: (() => Promise<unknown>)[] = [];
  try {
    say(`services under ${dir}`);
    const temporal = await startTemporalServer({
      logFile: join(dir, 'temporal.log'),
      uiPort: null,
      dbFile: join(dir, 'temporal.db'),
      // As the scale test: continue-as-new after 1,000 events, so a 5,000-trial campaign crosses many runs.
      ...(args.zeroCost ? { dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 1000 } } : {}),
    });
    stops.push(() => temporal.stop());
    await registerCampaignSearchAttributes(temporal.address);
    const servers: Record<string, number[]> = { temporal: [temporal.pid] };
    let mlflowUrl: string;
    if (args.db === 'postgres') {
      const services = await startMlflowOnPostgres({ postgresDir: join(dir, 'postgres'), mlflowDir: join(dir, 'mlflow'), logDir: join(dir, 'logs') });
      stops.push(() => services.stop());
      servers.mlflow = [services.mlflow.pid];
      servers.postgres = [services.postgres.pid];
      mlflowUrl = services.mlflow.url;
    } else {
      const mlflow = await startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') });
      stops.push(() => mlflow.stop());
      servers.mlflow = [mlflow.pid];
      mlflowUrl = mlflow.url;
    }
    const env = await openScaleEnvironment({ temporalAddress: temporal.address, mlflowUrl, servers, dir });
    stops.push(() => env.close());

    const rows: ScaleRow[] = [];
    if (args.zeroCost) {
      const trials = args.trials ?? 5000;
      say(`zero-cost campaign of ${trials} trials`);
      const row = await zeroCostRow(env, trials);
      say(`${row.trials} trials in ${row.wallSeconds.toFixed(0)} s over ${row.continueAsNewRuns} runs`);
      rows.push(row);
    } else {
      for (const workers of args.workers) {
        say(`${workers} workers: ${workers * (args.trials ?? 4)} trials of ${args.epochs} x ${args.epochSeconds} s epochs`);
        const row = await runScaleRow(env, { workers, trialsPerWorker: args.trials ?? 4, epochs: args.epochs, epochMs: args.epochSeconds * 1000 }, say);
        rows.push(row);
        say(`${workers} workers: ${row.trialsPerSecond.toFixed(3)} trials/s, ${row.mlflowRequestsPerTrial.toFixed(1)} MLflow requests per trial`);
      }
      const one = rows.find((r) => r.workers === 1);
      for (const r of rows) r.efficiency = one ? r.trialsPerSecond / (r.workers * one.trialsPerSecond) : null;
    }
    printRows(rows, args);
    if (args.json) console.log(JSON.stringify({ rows, machine: machineInfo(), settings: args }));
    const bad = rows.filter((r) => r.status !== 'COMPLETED' || r.duplicateRuns > 0 || r.searchRuns !== r.trials);
    if (bad.length > 0) say(`FAILED: ${bad.map((r) => `${r.workers} workers: status ${r.status}, ${r.searchRuns} runs for ${r.trials} trials, ${r.duplicateRuns} duplicates`).join('; ')}`);
    return bad.length > 0 ? 1 : 0;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    if (!args.keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:scale: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
