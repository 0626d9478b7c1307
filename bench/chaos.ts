// `npm run bench:chaos [-- --seed N] [--json] [--no-baseline] [--keep]`: a real campaign on real services
// (Temporal dev server on a SQLite file, MLflow server, 2 `tuneflow worker` processes, all on loopback in a
// temp dir) while a seeded chaos script kills workers with SIGKILL (≥ 10 times; a supervisor restarts each
// after 1–5 s), SIGKILLs the Temporal server's process group and restarts it on the same database and port
// (≥ 2 times), and SIGKILLs MLflow for 60–75 s (once). Then it checks, through MLflow's REST API, Temporal's
// API and the checkpoint store, that nothing was lost, duplicated or trained again, and prints a table
// (or, with --json, one JSON object). The baseline (default on) runs the same campaign undisturbed first,
// on the same services and workers, to price the faults in wall time.
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CampaignResult } from '../activities/types';
import { connectTemporal, startCampaign } from '../cli/client';
import { ChaosServices, seededRandom, WorkerPool } from './chaos-services';
import { checkMlflow, checkTemporal, EpochTrainingWatcher, type MlflowFindings, type TemporalFindings } from './chaos-verify';
import { machine, table } from './table';

const ROOT = join(__dirname, '..', '..');
const TRAINING_QUEUE = 'chaos-training';
const WORKERS = 2;
const MIN_WORKER_KILLS = 12;
const MIN_TEMPORAL_KILLS = 2;
const MLFLOW_OUTAGE_S: [number, number] = [60, 75];
/** The campaign must finish within this (the faults add minutes, not hours). */
const RESULT_TIMEOUT_MS = 45 * 60_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const say = (line: string) => process.stderr.write(`${line}\n`);

/** ~20 trials × 5 epochs of a small CNN in segments of 2 epochs: about 3–4 minutes on 2 cores. */
function chaosSpec(seed: number): string {
  return `name: chaos
seed: ${seed}
dataset:
  name: synthetic-shapes
  options: {trainSize: 1500, testSize: 300, imageSize: 16}
model:
  family: cnn
  options: {dropout: 0.0}
search:
  space:
    learningRate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
    filters: {type: categorical, choices: [8, 16]}
    batchSize: {type: categorical, choices: [32, 64]}
  sampler: random
  scheduler: median
objective: {metric: val_loss, direction: minimize}
budget:
  maxTrials: 20
  maxConcurrentTrials: 2
training:
  epochs: 5
  segmentEpochs: 2
resources:
  taskQueue: ${TRAINING_QUEUE}
retrain:
  topK: 1
  epochs: 5
`;
}

interface ChaosEvent {
  atMs: number;
  kind: 'worker' | 'temporal' | 'mlflow';
}

/** Seeded moments in [from, to): the worker kills, the Temporal crashes and the MLflow outage, shuffled in time. */
function chaosSchedule(random: () => number, fromMs: number, toMs: number): ChaosEvent[] {
  const at = () => fromMs + random() * (toMs - fromMs);
  const events: ChaosEvent[] = [
    ...Array.from({ length: MIN_WORKER_KILLS }, () => ({ atMs: at(), kind: 'worker' as const })),
    ...Array.from({ length: MIN_TEMPORAL_KILLS }, () => ({ atMs: at(), kind: 'temporal' as const })),
    // The outage starts early enough that it overlaps training, not just the retrain stage.
    { atMs: fromMs + random() * (toMs - fromMs) * 0.6, kind: 'mlflow' as const },
  ];
  return events.sort((a, b) => a.atMs - b.atMs);
}

function isConnectionTrouble(err: unknown): boolean {
  return !(err instanceof WorkflowFailedError);
}

/** `handle.result()`, reconnecting through Temporal restarts: a connection error is not the campaign's end. */
async function resultThroughOutages(client: Client, workflowId: string, deadline: number): Promise<CampaignResult> {
  for (;;) {
    try {
      return (await client.workflow.getHandle(workflowId).result()) as CampaignResult;
    } catch (err) {
      if (!isConnectionTrouble(err) || Date.now() > deadline) throw err;
      await sleep(2000);
    }
  }
}

interface RunOutcome {
  result: CampaignResult | null;
  error: string | null;
  wallSeconds: number;
  workflowId: string;
  maxTrials: number;
  watcher: EpochTrainingWatcher;
}

class Chaos {
  temporalKills = 0;
  mlflowOutageSeconds = 0;
  log: string[] = [];
  private done = false;

  constructor(
    private readonly services: ChaosServices,
    private readonly workers: WorkerPool,
    private readonly random: () => number,
  ) {}

  private note(t0: number, line: string): void {
    const entry = `t+${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`;
    this.log.push(entry);
    say(`chaos: ${entry}`);
  }

  /** Plays the schedule until it is over or the campaign has finished; the MLflow outage runs beside it. */
  async play(events: ChaosEvent[], t0: number): Promise<void> {
    const outages: Promise<void>[] = [];
    for (const event of events) {
      const wait = t0 + event.atMs - Date.now();
      if (wait > 0) await this.sleepUnlessDone(wait);
      if (this.done) break;
      if (event.kind === 'worker') {
        // Both workers may be restarting; a kill waits for one to serve, so every kill hits a working process.
        while (!this.done && this.workers.serving().length === 0) await sleep(200);
        if (this.done) break;
        this.workers.killOne();
        this.note(t0, `kill -9 worker (${this.workers.kills})`);
      } else if (event.kind === 'temporal') {
        await this.services.killTemporal();
        this.temporalKills++;
        const downMs = 1000 + this.random() * 4000;
        this.note(t0, `kill -9 Temporal server group (${this.temporalKills}); restarting in ${(downMs / 1000).toFixed(1)} s`);
        await sleep(downMs);
        await this.services.startTemporal();
        this.note(t0, 'Temporal server back (same database, same port)');
      } else {
        outages.push(this.mlflowOutage(t0));
      }
    }
    await Promise.all(outages);
  }

  private async mlflowOutage(t0: number): Promise<void> {
    const [lo, hi] = MLFLOW_OUTAGE_S;
    const downMs = (lo + this.random() * (hi - lo)) * 1000;
    const start = Date.now();
    await this.services.killMlflow();
    this.note(t0, `kill -9 MLflow server group; restarting in ${(downMs / 1000).toFixed(0)} s`);
    await sleep(downMs);
    await this.services.startMlflow();
    this.mlflowOutageSeconds += (Date.now() - start) / 1000;
    this.note(t0, `MLflow back after ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }

  private async sleepUnlessDone(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.done && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
  }

  finish(): void {
    this.done = true;
  }
}

async function runCampaign(
  services: ChaosServices,
  specPath: string,
  workflowId: string,
  checkpointRoot: string,
  duringRun?: (t0: number) => Promise<void>,
): Promise<RunOutcome> {
  const client = await connectTemporal(services.temporalAddress);
  const t0 = Date.now();
  const handle = await startCampaign(client, { specPath, workflowId });
  const watcher = new EpochTrainingWatcher(join(checkpointRoot, workflowId));
  watcher.start();
  const chaos = duringRun?.(t0);
  let result: CampaignResult | null = null;
  let error: string | null = null;
  try {
    result = await resultThroughOutages(client, workflowId, t0 + RESULT_TIMEOUT_MS);
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
  }
  const wallSeconds = (Date.now() - t0) / 1000;
  await watcher.stop();
  await chaos;
  await client.connection.close();
  return { result, error, wallSeconds, workflowId, maxTrials: handle.spec.budget.maxTrials, watcher };
}

/** Counts `resumed trial-N of <campaign> from epoch E checkpoint` lines (INFO, one per resumed segment). */
function resumedSegments(pool: WorkerPool, campaignId: string): number {
  let n = 0;
  for (const slot of pool.slots) {
    const text = (() => {
      try {
        return readFileSync(pool.logFile(slot.index), 'utf8');
      } catch {
        return '';
      }
    })();
    for (const line of text.split('\n')) if (line.includes('resumed ') && line.includes(` of ${campaignId} from epoch `)) n++;
  }
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      baseline: { type: 'boolean', default: true },
      'no-baseline': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${JSON.stringify(values.seed)}`);
  const withBaseline = values.baseline && !values['no-baseline'];
  const random = seededRandom(seed);

  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-chaos-'));
  const checkpointRoot = join(dir, 'checkpoints');
  const specPath = join(dir, 'chaos.yaml');
  writeFileSync(specPath, chaosSpec(seed));
  say(`chaos bench: seed ${seed}, temp dir ${dir}`);

  let services: ChaosServices | null = null;
  let workers: WorkerPool | null = null;
  const cleanupNow = () => {
    workers?.stopAllNow();
    services?.killAllNow();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`chaos: ${signal}, cleaning up`);
      cleanupNow();
      process.exit(130);
    });
  }

  services = await ChaosServices.create(dir);
  await services.startAll();
  say(`Temporal ${services.temporalAddress}, MLflow ${services.mlflowUrl}`);
  workers = new WorkerPool({
    count: WORKERS,
    root: ROOT,
    logDir: join(dir, 'logs'),
    env: { ...process.env, TEMPORAL_ADDRESS: services.temporalAddress, MLFLOW_TRACKING_URI: services.mlflowUrl, TUNEFLOW_CHECKPOINT_DIR: checkpointRoot },
    trainingQueue: TRAINING_QUEUE,
    random,
    restartDelayMs: [1000, 5000],
  });

  const stamp = `${Date.now().toString(36)}`;
  let baseline: RunOutcome | null = null;
  if (withBaseline) {
    say('baseline: the same campaign, undisturbed ...');
    baseline = await runCampaign(services, specPath, `chaos-baseline-${seed}-${stamp}`, checkpointRoot);
    say(`baseline: ${baseline.result?.status ?? baseline.error} in ${baseline.wallSeconds.toFixed(1)} s`);
  }

  // The faults land in the first ~75% of the undisturbed duration, so all of them hit a running campaign.
  const expectedMs = (baseline?.wallSeconds ?? 210) * 1000;
  const events = chaosSchedule(random, 10_000, Math.max(90_000, expectedMs * 0.75));
  const chaos = new Chaos(services, workers, random);
  const workerCrashesBefore = workers.crashes;
  say(`chaos run: ${events.length} faults scheduled over ${(events.at(-1)!.atMs / 1000).toFixed(0)} s ...`);
  const run = await runCampaign(services, specPath, `chaos-${seed}-${stamp}`, checkpointRoot, async (t0) => {
    const playing = chaos.play(events, t0);
    return playing;
  }).finally(() => chaos.finish());
  // runCampaign awaited the chaos after the result: the last outage (if still on) is over now.

  // Verification with all services up.
  if (!services.mlflow) await services.startMlflow();
  if (!services.temporal) await services.startTemporal();
  const client = await connectTemporal(services.temporalAddress);
  let temporal: TemporalFindings | null = null;
  try {
    temporal = await checkTemporal(client, run.workflowId);
  } finally {
    await client.connection.close();
  }
  const experimentId = run.result?.mlflow.experimentId;
  // Every trial the workflow started, and every one the budget promised, must have one finished run.
  const expectedTrials = [...(temporal?.startedTrials ?? []), ...Array.from({ length: run.maxTrials }, (_, i) => i)];
  const mlflow: MlflowFindings | null = experimentId ? await checkMlflow(services.mlflowUrl, experimentId, run.workflowId, expectedTrials) : null;
  const counted = run.result ? run.result.trials.completed + run.result.trials.pruned : 0;
  const trialsLost = Math.max(mlflow ? mlflow.lostTrials.length : run.maxTrials, run.maxTrials - counted);
  const unseenEpochs = mlflow ? [...mlflow.loggedEpochs].filter((e) => !run.watcher.epochs.has(e)).length : null;

  const report = {
    completed: run.result?.status === 'COMPLETED' && temporal?.status === 'COMPLETED',
    kills: { worker: workers.kills, temporal: chaos.temporalKills, mlflowOutageSeconds: Math.round(chaos.mlflowOutageSeconds) },
    trialsLost,
    duplicateRuns: mlflow?.duplicateRuns ?? null,
    duplicatePoints: mlflow?.duplicatePoints ?? null,
    epochsTrainedTwice: run.watcher.trainedTwice,
    faultCostSeconds: baseline ? Math.round(run.wallSeconds - baseline.wallSeconds) : null,
    seed,
    machine: machine(),
    details: {
      wallSeconds: Math.round(run.wallSeconds),
      baselineSeconds: baseline ? Math.round(baseline.wallSeconds) : null,
      baselineStatus: baseline ? (baseline.result?.status ?? baseline.error) : null,
      status: run.result?.status ?? run.error,
      resultTrials: run.result?.trials ?? null,
      temporal,
      mlflowRuns: mlflow?.runs ?? null,
      missingEpochPoints: mlflow?.missingEpochPoints ?? null,
      lostTrials: mlflow?.lostTrials ?? null,
      epochTrainings: run.watcher.totalTrainings,
      epochsInMlflowNotSeenInCheckpoints: unseenEpochs,
      resumedSegments: resumedSegments(workers, run.workflowId),
      workerCrashes: workers.crashes - workerCrashesBefore,
      chaosLog: chaos.log,
    },
  };
  await workers.stopAll();
  await services.temporal?.stop();
  await services.mlflow?.stop();
  services.temporal = null;
  services.mlflow = null;

  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const yesNo = (ok: boolean) => (ok ? 'ok' : 'FAIL');
    const row = (label: string, value: unknown, ok: boolean | null) => [label, String(value), ok === null ? '' : yesNo(ok)];
    process.stdout.write(
      [
        `chaos bench, seed ${seed}: ${machine()}`,
        '',
        table(
          ['check', 'value', ''],
          [
            row('campaign completed', report.completed ? 'yes' : `no (${report.details.status})`, report.completed),
            row('worker kills (kill -9)', report.kills.worker, report.kills.worker >= 10),
            row('Temporal server kills + restarts', report.kills.temporal, report.kills.temporal >= 2),
            row('MLflow outage (s)', report.kills.mlflowOutageSeconds, report.kills.mlflowOutageSeconds >= 60),
            row('trials lost', report.trialsLost, report.trialsLost === 0),
            row('duplicate MLflow runs', report.duplicateRuns, report.duplicateRuns === 0),
            row('duplicate metric points', report.duplicatePoints, report.duplicatePoints === 0),
            row('epochs trained again (beyond the interrupted one)', report.epochsTrainedTwice, report.epochsTrainedTwice === 0),
            row('missing epoch points', report.details.missingEpochPoints, report.details.missingEpochPoints === 0),
            row('wall time: chaos / undisturbed (s)', `${report.details.wallSeconds} / ${report.details.baselineSeconds ?? '-'}`, null),
            row('fault cost (s)', report.faultCostSeconds ?? '-', null),
            row('trials started (Temporal history)', temporal ? temporal.startedTrials.length : '-', null),
            row('segments / attempts (Temporal history)', temporal ? `${temporal.segments} / ${temporal.segmentAttempts}` : '-', null),
            row('segments resumed from a checkpoint (worker logs)', report.details.resumedSegments, null),
            row('epoch trainings seen in checkpoints', report.details.epochTrainings, null),
            row('worker exits we did not cause', report.details.workerCrashes, null),
          ],
        ),
        '',
        'epochs trained again: trainings of an epoch (distinct end times in the checkpoints of a job) beyond the first;',
        'an epoch whose training a kill interrupted never reached a checkpoint and is not counted.',
        report.details.lostTrials?.length ? `lost trials: ${JSON.stringify(report.details.lostTrials)}` : '',
      ].join('\n') + '\n',
    );
  }
  const ok = report.completed && report.trialsLost === 0 && report.duplicateRuns === 0 && report.duplicatePoints === 0 && report.epochsTrainedTwice === 0;
  if (values.keep) say(`kept ${dir}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`chaos bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
