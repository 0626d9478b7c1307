// One row of the scale bench: N `tuneflow worker` processes (training only) serve a campaign of trials
// that sleep a fixed time per epoch (scale-trainable.ts), while a control worker process runs the
// workflow and the bookkeeping. Every MLflow request goes through a counting proxy; the CPU time of each
// component is read from /proc before and after. The end-to-end test runs the smallest row with the
// same code (tests/e2e/scale-smallest.test.ts).
import type { Client } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { CampaignResult } from '../activities/types';
import { connectTemporal, startCampaignFromText } from '../cli/client';
import { startCountingProxy, type CountingProxy, type RequestCounts, type SlowRequest } from './counting-proxy';
import { cpuSeconds } from './cpu-usage';
import { campaignTiming, type CampaignTiming } from './history-timing';
import { campaignRuns, tagsOf } from './mlflow-queries';

/** The built bench (the workers run from dist/, and so does the trainable), also when this file runs as TypeScript under vitest. */
const DIST_BENCH = basename(dirname(__dirname)) === 'dist' ? __dirname : join(__dirname, '..', 'dist', 'bench');
const ROOT = join(DIST_BENCH, '..', '..');
/** What `tuneflow worker` prints once it polls (cli/main.ts). */
const READY_LINE = 'worker polling ';

export interface ScaleEnvironment {
  client: Client;
  temporalAddress: string;
  /** The MLflow server itself (for checks that must not be counted). */
  mlflowUrl: string;
  /** The counting proxy in front of it: what every worker is pointed at. */
  proxy: CountingProxy;
  /** Server processes whose CPU is sampled, by component name (e.g. temporal, mlflow). */
  servers: Record<string, number[]>;
  /** The control worker process (workflows and bookkeeping activities). */
  controlPid: number;
  dir: string;
}

export interface ScaleRowOptions {
  workers: number;
  /** Trials per worker: the campaign runs workers x trialsPerWorker trials, workers at once. */
  trialsPerWorker: number;
  epochs: number;
  epochMs: number;
}

export interface ScaleRow {
  workflowId: string;
  workers: number;
  trials: number;
  wallSeconds: number;
  trialsPerSecond: number;
  /** Filled in against the one-worker row: trialsPerSecond / (workers x one-worker rate). */
  efficiency: number | null;
  /** The ideal rate with no overhead at all: workers / (epochs x epoch seconds). */
  idealTrialsPerSecond: number;
  mlflowRequests: number;
  mlflowRequestsPerTrial: number;
  mlflowServerErrors: number;
  /** Requests that took 5 s or more (counting-proxy.ts SLOW_SECONDS): the stalls. */
  mlflowSlowRequests: SlowRequest[];
  /** Requests per trial by endpoint, most first. */
  mlflowRequestsPerTrialByEndpoint: Record<string, number>;
  /** Seconds the requests of each endpoint took, summed (request to answer, as a client waits). */
  mlflowSecondsByEndpoint: Record<string, number>;
  /** CPU seconds per wall second (1 = one core busy) by component. */
  cpuCores: Record<string, number>;
  busiest: string;
  busiestCpuShare: number;
  temporalHistoryEvents: number;
  temporalEventsPerTrial: number;
  /** Search runs in MLflow, and how many trial numbers had more than one. */
  searchRuns: number;
  duplicateRuns: number;
  status: CampaignResult['status'];
  /** Where the time went, from the Temporal histories (history-timing.ts). */
  timing: CampaignTiming;
}

/** `tuneflow worker` from dist/, its output in a log file; resolves once it polls. */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, args: string[], logFile: string): Promise<ChildProcess> {
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'worker', ...args], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const deadline = Date.now() + 120_000;
  while (!readFileSync(logFile, 'utf8').includes(READY_LINE)) {
    if (proc.exitCode !== null) throw new Error(`worker exited with ${proc.exitCode} before it polled: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`worker did not poll within 120 s: see ${logFile}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return proc;
}

export async function stopProcesses(procs: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map((p) => {
      if (p.exitCode !== null || p.signalCode !== null) return undefined;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
      return exited.finally(() => clearTimeout(timer));
    }),
  );
}

export function workerEnv(env: ScaleEnvironment, epochMs: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: env.temporalAddress,
    MLFLOW_TRACKING_URI: env.proxy.url,
    TUNEFLOW_CHECKPOINT_DIR: join(env.dir, 'checkpoints'),
    TUNEFLOW_BENCH_EPOCH_MS: String(epochMs),
    TUNEFLOW_LOG_LEVEL: 'WARN',
  };
}

/**
 * The counting proxy in front of `mlflowUrl`, a Temporal client and the control worker process (it polls a
 * training queue no campaign uses: `tuneflow worker` always polls one). `close` stops all three.
 */
export async function openScaleEnvironment(opts: { temporalAddress: string; mlflowUrl: string; servers: Record<string, number[]>; dir: string }): Promise<ScaleEnvironment & { close(): Promise<void> }> {
  mkdirSync(opts.dir, { recursive: true });
  const proxy = await startCountingProxy(opts.mlflowUrl);
  const client = await connectTemporal(opts.temporalAddress).catch(async (err: unknown) => {
    await proxy.close();
    throw err;
  });
  const env: ScaleEnvironment = { ...opts, client, proxy, controlPid: 0 };
  let control: ChildProcess | undefined;
  const close = async () => {
    if (control) await stopProcesses([control]);
    await client.connection.close();
    await proxy.close();
  };
  try {
    control = await startWorkerProcess(workerEnv(env, 0), ['--training-queue', 'scale-bench-unused'], join(opts.dir, `control-worker-${Date.now()}.log`));
  } catch (err) {
    await close();
    throw err;
  }
  env.controlPid = control.pid!;
  return { ...env, close };
}

/** The campaign of one row: random search, no pruning, no retrain, the trainable that sleeps. */
export function scaleSpec(opts: ScaleRowOptions, taskQueue: string, experimentName: string): string {
  return stringify({
    name: 'scale-bench',
    seed: 7,
    trainable: { module: join(DIST_BENCH, 'scale-trainable.js'), export: 'train' },
    search: {
      space: {
        learningRate: { type: 'float', low: 1e-4, high: 1, log: true },
        units: { type: 'int', low: 2, high: 256, log: true },
        activation: { type: 'categorical', choices: ['relu', 'tanh'] },
      },
      sampler: 'random',
      scheduler: 'none',
    },
    objective: { metric: 'val_loss', direction: 'minimize' },
    budget: { maxTrials: opts.workers * opts.trialsPerWorker, maxConcurrentTrials: opts.workers },
    training: { epochs: opts.epochs },
    resources: { taskQueue },
    retrain: { topK: 0 },
    tracking: { experimentName },
  });
}

/** Events in every run of the campaign's chain (continue-as-new included). */
export async function historyEvents(client: Client, workflowId: string): Promise<number> {
  let events = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    events += Number((await client.workflow.getHandle(workflowId, wf.runId).describe()).raw.workflowExecutionInfo?.historyLength ?? 0);
  }
  return events;
}

/** Search runs of the campaign, and how many trial numbers have more than one run. */
export async function searchRunCounts(mlflowUrl: string, experimentId: string, workflowId: string): Promise<{ runs: number; duplicates: number; numbers: number[] }> {
  const runs = (await campaignRuns(mlflowUrl, experimentId, workflowId)).filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
  const numbers = runs.map((r) => Number(tagsOf(r)['tuneflow.trial_number'])).sort((a, b) => a - b);
  return { runs: runs.length, duplicates: numbers.length - new Set(numbers).size, numbers };
}

export function perTrial(counts: RequestCounts, trials: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts.byEndpoint)
      .sort((a, b) => b[1] - a[1])
      .map(([endpoint, n]) => [endpoint, Math.round((n / trials) * 100) / 100]),
  );
}

export function rounded(seconds: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

/** CPU of each component: servers, the control worker, the training workers, this process (client and proxy). */
export class CpuSampler {
  private readonly start: number[];
  private readonly ownStart = process.cpuUsage();
  private readonly startedAt = Date.now();

  constructor(private readonly components: Record<string, number[]>) {
    this.start = this.sample();
  }

  private sample(): number[] {
    return Object.values(this.components).map((pids) => cpuSeconds(pids).reduce((a, b) => a + b, 0));
  }

  /** CPU seconds per wall second since construction, by component. */
  cores(): Record<string, number> {
    const wall = (Date.now() - this.startedAt) / 1000;
    const end = this.sample();
    const own = process.cpuUsage(this.ownStart);
    const out: Record<string, number> = {};
    Object.keys(this.components).forEach((name, i) => (out[name] = (end[i]! - this.start[i]!) / wall));
    out['bench (client, proxy)'] = (own.user + own.system) / 1e6 / wall;
    return out;
  }
}

export async function runScaleRow(env: ScaleEnvironment, opts: ScaleRowOptions, log: (line: string) => void = () => undefined): Promise<ScaleRow> {
  const taskQueue = `scale-bench-${opts.workers}-${Date.now()}`;
  const logDir = join(env.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const procs: ChildProcess[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: opts.workers }, (_, i) =>
        startWorkerProcess(workerEnv(env, opts.epochMs), ['--no-control', '--training-queue', taskQueue, '--trainables-root', DIST_BENCH], join(logDir, `${taskQueue}-worker-${i}.log`)),
      ),
    );
    procs.push(...started);
    log(`${opts.workers} workers polling ${taskQueue}`);
    env.proxy.reset();
    const cpu = new CpuSampler({ ...env.servers, 'control worker': [env.controlPid], 'training workers': procs.map((p) => p.pid!) });
    const t0 = Date.now();
    const handle = await startCampaignFromText(env.client, { specText: scaleSpec(opts, taskQueue, `scale-bench/${taskQueue}`), specName: 'scale-bench.yaml', specDir: env.dir });
    const result = await handle.result();
    const wallSeconds = (Date.now() - t0) / 1000;
    const cores = cpu.cores();
    const counts = env.proxy.counts();
    const trials = result.trials.completed + result.trials.pruned + result.trials.failed;
    const events = await historyEvents(env.client, result.workflowId);
    const runs = await searchRunCounts(env.mlflowUrl, result.mlflow.experimentId, result.workflowId);
    const timing = await campaignTiming(env.client, result.workflowId);
    const [busiest, busiestCpuShare] = Object.entries(cores).sort((a, b) => b[1] - a[1])[0]!;
    return {
      workflowId: result.workflowId,
      workers: opts.workers,
      trials,
      wallSeconds,
      trialsPerSecond: trials / wallSeconds,
      efficiency: null,
      idealTrialsPerSecond: opts.workers / ((opts.epochs * opts.epochMs) / 1000),
      mlflowRequests: counts.total,
      mlflowRequestsPerTrial: counts.total / trials,
      mlflowServerErrors: counts.serverErrors,
      mlflowSlowRequests: counts.slow,
      mlflowRequestsPerTrialByEndpoint: perTrial(counts, trials),
      mlflowSecondsByEndpoint: rounded(counts.secondsByEndpoint),
      cpuCores: cores,
      busiest,
      busiestCpuShare,
      temporalHistoryEvents: events,
      temporalEventsPerTrial: events / trials,
      searchRuns: runs.runs,
      duplicateRuns: runs.duplicates,
      status: result.status,
      timing,
    };
  } finally {
    await stopProcesses(procs);
  }
}
