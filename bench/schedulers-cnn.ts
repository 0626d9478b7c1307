// The real-training half of `npm run bench:schedulers`: one CNN campaign per scheduler (`none`, `asha`,
// `hyperband`) through the real workflow (Temporal dev server, MLflow server, tfjs-node workers).
//
// What makes the comparison fair: the random sampler draws trial n's configuration from (seed, n) only
// and the workflow seeds trial n's training from (seed, n) only, and training resumed from a checkpoint
// equals training straight through (tests/training/segment.test.ts; models without dropout, so the
// bench fixes dropout at 0), so every run trains the same
// configurations the same way: a trial that reaches the last epoch in two runs ends with the same
// accuracy, and asha matches none's best exactly when it promotes none's best trial to the end. The
// bench checks both from the workflow histories. The data are the quickstart's synthetic shapes made
// harder (more pixel noise) with a 1000-image validation set, so accuracies discriminate between trials.
//
// Compute comes from the workflow history, not the wall clock: every trainSegment activity's epochs
// (toEpoch − fromEpoch) and its own trainSeconds. An epoch trained twice is one that a trial's segments
// (retried attempts included) cover more than once.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseDocument } from 'yaml';
import type { SegmentInput, SegmentOutput } from '../activities/types';
import { connectTemporal, startCampaign, type CampaignResult } from '../cli/client';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { startTemporalServer } from '../cli/services/temporal-server';
import { startWorkers } from '../cli/worker';
import type { Params } from '../search/space-types';
import { fmt, machine, table } from './table';

const SCHEDULERS: { label: string; scheduler: unknown }[] = [
  { label: 'none', scheduler: 'none' },
  { label: 'asha (promotion, η=3)', scheduler: { type: 'asha', options: { mode: 'promotion', minResource: 1, reductionFactor: 3 } } },
  { label: 'hyperband (η=3)', scheduler: { type: 'hyperband', options: { minResource: 1, reductionFactor: 3 } } },
];

const EPOCHS = 9;
/** 4000 generated images, a quarter held out: 3000 to train on (the quickstart's), 1000 to validate. */
const DATASET = { name: 'synthetic-shapes', options: { trainSize: 4000, testSize: 200, imageSize: 16, noise: 0.3 } };
const VALIDATION_SPLIT = 0.25;

export interface CnnBenchOptions {
  trials: number;
  /** Pixel noise of the synthetic shapes (default DATASET's). */
  noise?: number;
  /** Run only these schedulers (labels' first word); default all. */
  only?: string[];
  /** Write every trial's configuration and accuracy per epoch, per scheduler, to this JSON file. */
  json?: string;
}

/** What the PBT rows (bench/schedulers-pbt.ts) change: epochs, trials at a time, the campaign seed. */
export interface SpecOverrides {
  epochs?: number;
  concurrency?: number;
  seed?: number;
}

/** The quickstart spec, turned into a campaign of `trials` × 9 epochs that maximizes validation accuracy. */
export function specFor(label: string, scheduler: unknown, opts: CnnBenchOptions, overrides: SpecOverrides = {}): string {
  const doc = parseDocument(readFileSync(join(__dirname, '..', '..', 'experiments', 'quickstart.yaml'), 'utf8'));
  doc.set('name', `bench-${label.split(' ')[0]}`);
  doc.set('dataset', { ...DATASET, options: { ...DATASET.options, ...(opts.noise !== undefined ? { noise: opts.noise } : {}) } });
  // Dropout masks are not seeded (training/segment.ts), so a model with dropout trains differently on
  // every run; without it a trial's training is a pure function of its configuration and seed.
  doc.deleteIn(['search', 'space', 'dropout']);
  doc.setIn(['model', 'options', 'dropout'], 0);
  doc.setIn(['search', 'scheduler'], scheduler);
  doc.setIn(['search', 'sampler'], { type: 'random', options: {} });
  doc.set('objective', { metric: 'val_accuracy', direction: 'maximize' });
  doc.setIn(['budget', 'maxTrials'], opts.trials);
  doc.setIn(['budget', 'maxConcurrentTrials'], overrides.concurrency ?? 2);
  doc.setIn(['training', 'epochs'], overrides.epochs ?? EPOCHS);
  if (overrides.seed !== undefined) doc.set('seed', overrides.seed);
  doc.setIn(['training', 'validationSplit'], VALIDATION_SPLIT);
  doc.set('retrain', { topK: 0 });
  return doc.toString();
}

/** One search trial as its trainSegment activities show it. */
interface TrialTrace {
  params: Params;
  seed: number;
  /** How many times each epoch was trained (every attempt of every segment). */
  trainedCount: Map<number, number>;
  /** Objective (val_accuracy) per finished epoch. */
  accuracy: Map<number, number>;
  seconds: number;
}

export interface RunTrace {
  trials: Map<number, TrialTrace>;
  /** PBT's exploit steps (exploitCheckpoint activities scheduled). */
  exploits: number;
  epochs: number;
  seconds: number;
  trainedTwice: number;
}

type HistoryEvent = NonNullable<Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']>[number];

/** The trainSegment activities of a campaign (following continue-as-new back to its first run). */
export async function traceCampaign(client: Client, workflowId: string): Promise<RunTrace> {
  const events: HistoryEvent[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const list = history.events ?? [];
    events.unshift(...list);
    runId = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) break;
  }
  const decode = <T>(payload: unknown) => defaultPayloadConverter.fromPayload<T>(payload as never);
  const scheduled = new Map<string, SegmentInput>();
  const attempts = new Map<string, number>();
  const trace: RunTrace = { trials: new Map(), exploits: 0, epochs: 0, seconds: 0, trainedTwice: 0 };
  const trialOf = (input: SegmentInput) => {
    let t = trace.trials.get(input.trialNumber);
    if (t === undefined) trace.trials.set(input.trialNumber, (t = { params: input.params, seed: input.seed, trainedCount: new Map(), accuracy: new Map(), seconds: 0 }));
    return t;
  };
  const key = (id: unknown) => String(id);
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === 'exploitCheckpoint') trace.exploits += 1;
    if (s?.activityType?.name === 'trainSegment') {
      const input = decode<SegmentInput>(s.input!.payloads![0]);
      if (input.stage === 'search') scheduled.set(key(e.eventId), input);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.has(key(started.scheduledEventId))) attempts.set(key(started.scheduledEventId), started.attempt ?? 1);
    const done = e.activityTaskCompletedEventAttributes;
    const input = done ? scheduled.get(key(done.scheduledEventId)) : undefined;
    if (done && input) {
      const out = decode<SegmentOutput>(done.result!.payloads![0]);
      const t = trialOf(input);
      // Every attempt trained from the segment's start; count them all.
      for (let a = 0; a < (attempts.get(key(done.scheduledEventId)) ?? 1); a++) {
        for (let epoch = input.fromEpoch + 1; epoch <= input.toEpoch; epoch++) t.trainedCount.set(epoch, (t.trainedCount.get(epoch) ?? 0) + 1);
      }
      for (const rec of out.epochs) if (rec.metrics.val_accuracy !== undefined) t.accuracy.set(rec.epoch, rec.metrics.val_accuracy);
      t.seconds += out.trainSeconds;
      trace.seconds += out.trainSeconds;
    }
  }
  for (const t of trace.trials.values()) {
    for (const count of t.trainedCount.values()) {
      trace.epochs += count;
      trace.trainedTwice += count - 1;
    }
  }
  return trace;
}

/** A Temporal dev server, an MLflow server and in-process workers for `work`, all stopped after it. */
export async function withBenchServices(work: (client: Client, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-cnn-'));
  const [temporal, mlflow] = await Promise.all([
    startTemporalServer({ logFile: join(dir, 'temporal.log'), uiPort: null }),
    startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') }),
  ]);
  const workers = await startWorkers({
    temporalAddress: temporal.address,
    mlflowTrackingUri: mlflow.url,
    checkpointRoot: join(dir, 'checkpoints'),
    control: true,
    trainingQueues: ['tuneflow-training'],
  });
  const client = await connectTemporal(temporal.address);
  try {
    await work(client, dir);
  } finally {
    await client.connection.close();
    // A bench must end: a worker that does not stop in a minute is left to the process exit.
    const stopped = await Promise.race([workers.shutdown().then(() => true), delay(60_000).then(() => false)]);
    if (!stopped) console.error('warning: the workers did not shut down within 60 s');
    await Promise.all([temporal.stop(), mlflow.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function realCnnBench(opts: CnnBenchOptions): Promise<void> {
  const chosen = SCHEDULERS.filter((s) => !opts.only || opts.only.includes(s.label.split(' ')[0]!));
  await withBenchServices(async (client, dir) => {
    const results: { label: string; result: CampaignResult; wall: number; trace: RunTrace }[] = [];
    for (const { label, scheduler } of chosen) {
      const specPath = join(dir, `${label.split(' ')[0]}.yaml`);
      writeFileSync(specPath, specFor(label, scheduler, opts));
      const started = Date.now();
      const handle = await startCampaign(client, { specPath });
      const result = await handle.result();
      const wall = (Date.now() - started) / 1000;
      results.push({ label, result, wall, trace: await traceCampaign(client, handle.workflowId) });
      console.error(`${label}: ${result.trials.completed} complete, best ${fmt(result.best?.value ?? NaN)}, ${wall.toFixed(0)} s`);
    }
    report(results, opts);
    if (opts.json) writeFileSync(opts.json, JSON.stringify(results.map(({ label, trace }) => ({ label, trials: traceJson(trace) })), null, 1));
  });
}

function traceJson(trace: RunTrace) {
  return [...trace.trials].map(([number, t]) => ({ number, params: t.params, seconds: t.seconds, accuracy: Object.fromEntries(t.accuracy) }));
}

function report(results: { label: string; result: CampaignResult; wall: number; trace: RunTrace }[], opts: CnnBenchOptions): void {
  const none = results[0]!;
  const noise = opts.noise ?? DATASET.options.noise;
  console.log(
    `\n## Real CNN campaign: synthetic shapes (16×16, noise ${noise}; 3000 train / 1000 validation images), quickstart CNN without dropout, ` +
      `${opts.trials} trials × ${EPOCHS} epochs, 2 at a time, random sampler seed 42 (CPU: ${machine()})\n`,
  );
  const noneBestTrial = none.result.best?.trialNumber;
  console.log(
    table(
      ['scheduler', 'complete', 'pruned', 'epochs trained', 'share of none (epochs)', 'train seconds (Σ segments)', 'share of none (seconds)', 'wall seconds', 'best val_accuracy (trial)', `none's best trial reached epoch ${EPOCHS}`, 'epochs trained twice'],
      results.map(({ label, result, wall, trace }) => [
        label,
        result.trials.completed,
        result.trials.pruned,
        trace.epochs,
        `${((100 * trace.epochs) / none.trace.epochs).toFixed(0)} %`,
        fmt(trace.seconds),
        `${((100 * trace.seconds) / none.trace.seconds).toFixed(0)} %`,
        fmt(wall),
        `${fmt(result.best?.value ?? NaN)} (#${result.best?.trialNumber ?? '—'})`,
        noneBestTrial === undefined ? '—' : trace.trials.get(noneBestTrial)?.accuracy.has(EPOCHS) ? 'yes' : 'no',
        trace.trainedTwice,
      ]),
    ),
  );
  // Same trial number → same configuration, same training seed, and (when trained to the end) same accuracy.
  for (const { label, trace } of results.slice(1)) {
    let sameConfig = 0;
    let compared = 0;
    let sameFinal = 0;
    for (const [n, t] of trace.trials) {
      const ref = none.trace.trials.get(n);
      if (ref === undefined) continue;
      if (JSON.stringify(ref.params) === JSON.stringify(t.params) && ref.seed === t.seed) sameConfig += 1;
      const a = t.accuracy.get(EPOCHS);
      if (a === undefined) continue;
      compared += 1;
      if (a === ref.accuracy.get(EPOCHS)) sameFinal += 1;
    }
    console.log(
      `${label}: ${sameConfig}/${trace.trials.size} trials have none's configuration and training seed; ` +
        `${sameFinal}/${compared} trained to epoch ${EPOCHS} end with exactly none's accuracy`,
    );
  }
  const asha = results.find((r) => r.label.startsWith('asha'));
  if (asha === undefined) return;
  const noneBest = none.result.best?.value ?? NaN;
  const epochShare = asha.trace.epochs / none.trace.epochs;
  const secondShare = asha.trace.seconds / none.trace.seconds;
  const reached = (asha.result.best?.value ?? -Infinity) >= noneBest;
  const twice = results.reduce((n, r) => n + r.trace.trainedTwice, 0);
  const verdict = reached && epochShare <= 0.4 && secondShare <= 0.4 ? 'PASS' : 'FAIL';
  console.log(
    `\ntarget: ${verdict} — asha best ${fmt(asha.result.best?.value ?? NaN)} vs none ${fmt(noneBest)} (${reached ? 'reached' : `not reached, ${fmt(noneBest - (asha.result.best?.value ?? NaN))} short`}) ` +
      `with ${(epochShare * 100).toFixed(0)} % of its epochs and ${(secondShare * 100).toFixed(0)} % of its training seconds (goal ≤ 40 %)`,
  );
  console.log(`epochs trained twice (CNN campaigns): ${twice} ${twice === 0 ? 'PASS' : 'FAIL'}`);
}
