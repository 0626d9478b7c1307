// What the chaos bench checks after the campaign, straight over MLflow's REST API and Temporal's API
// (not through tuneflow's own MLflow client), plus a watcher of the checkpoint store that counts how
// often each epoch was trained.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunRef } from '../activities/types';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { campaignRuns, metricHistory, tagsOf, type RestRun } from './mlflow-queries';

const TERMINAL_TRIAL_STATES = new Set(['COMPLETE', 'PRUNED']);

export interface MlflowFindings {
  /** Trials (started by the workflow, or within the budget) without exactly one FINISHED search run in state COMPLETE or PRUNED, with why. */
  lostTrials: { trial: number; why: string }[];
  /** Runs beyond the first per (stage, trial_number, seed_index). */
  duplicateRuns: number;
  /** Metric points beyond the first per (run, key, step), over every metric of every run. */
  duplicatePoints: number;
  /** Epoch steps missing from a run's curve: a step below the run's last epoch without a `loss` point. */
  missingEpochPoints: number;
  /** (job name, epoch) pairs with a `loss` point: the epochs the campaign kept. */
  loggedEpochs: Set<string>;
  runs: number;
}

export async function checkMlflow(base: string, experimentId: string, campaignId: string, expectedTrials: Iterable<number>): Promise<MlflowFindings> {
  const runs = await campaignRuns(base, experimentId, campaignId);
  const byKey = new Map<string, RestRun[]>();
  for (const run of runs) {
    const t = tagsOf(run);
    const key = `${t['tuneflow.stage'] ?? '?'}/${t['tuneflow.trial_number'] ?? ''}/${t['tuneflow.seed_index'] ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), run]);
  }
  const duplicateRuns = [...byKey.values()].reduce((n, list) => n + list.length - 1, 0);

  const lostTrials: { trial: number; why: string }[] = [];
  for (const trial of [...new Set(expectedTrials)].sort((a, b) => a - b)) {
    const list = byKey.get(`search/${trial}/`) ?? [];
    const run = list.length === 1 ? list[0]! : undefined;
    const state = run ? tagsOf(run)['tuneflow.state'] : undefined;
    const reason = run ? tagsOf(run)['tuneflow.reason'] : undefined;
    if (!run) lostTrials.push({ trial, why: `${list.length} search runs` });
    else if (!state || !TERMINAL_TRIAL_STATES.has(state)) lostTrials.push({ trial, why: `state ${state ?? 'missing'}${reason ? ` (${reason})` : ''}` });
    else if (run.info.status !== 'FINISHED') lostTrials.push({ trial, why: `MLflow run status ${run.info.status}` });
  }

  let duplicatePoints = 0;
  let missingEpochPoints = 0;
  const loggedEpochs = new Set<string>();
  for (const run of runs) {
    const keys = [...new Set((run.data.metrics ?? []).map((m) => m.key))];
    for (const key of keys) {
      const points = await metricHistory(base, run.info.run_id, key);
      const steps = points.map((p) => p.step);
      duplicatePoints += steps.length - new Set(steps).size;
      if (key === 'loss') {
        const present = new Set(steps);
        const last = Math.max(0, ...steps);
        for (let step = 1; step <= last; step++) {
          if (present.has(step)) loggedEpochs.add(`${run.info.run_name}/${step}`);
          else missingEpochPoints++;
        }
      }
    }
  }
  return { lostTrials, duplicateRuns, duplicatePoints, missingEpochPoints, loggedEpochs, runs: runs.length };
}

/**
 * Watches `<checkpoint root>/<campaign>/<job>/epoch-<e>/state.json` while the campaign runs. Every
 * checkpoint carries the metrics of all epochs so far, each with the time its training ended, so one
 * training of epoch e of a job is one distinct (job, e, endedAt): a retrained epoch shows up with a second
 * end time even if the checkpoint that recorded the first one is deleted later. An epoch whose training
 * a kill interrupted never reached a checkpoint, so it is not counted: what remains is exactly the
 * epochs trained again beyond the one each kill interrupted.
 */
export class EpochTrainingWatcher {
  private readonly seen = new Set<string>();
  private readonly trainings = new Map<string, Set<number>>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly campaignDir: string) {}

  start(everyMs = 200): void {
    this.timer = setInterval(() => void this.scan(), everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await this.scan();
  }

  async scan(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const jobs = await readdir(this.campaignDir).catch(() => [] as string[]);
      for (const job of jobs) {
        const entries = await readdir(join(this.campaignDir, job)).catch(() => [] as string[]);
        for (const entry of entries.filter((e) => /^epoch-\d+$/.test(e))) {
          // Keyed by modification time too: a checkpoint written again (an epoch retrained) is read again.
          const file = join(this.campaignDir, job, entry, 'state.json');
          const mtime = await stat(file).then((s) => s.mtimeMs).catch(() => null);
          const key = `${job}/${entry}@${mtime}`;
          if (mtime === null || this.seen.has(key)) continue;
          const state = await readFile(file, 'utf8')
            .then((text) => JSON.parse(text) as { history: { epoch: number; endedAt: number }[] })
            .catch(() => null); // gone, or caught mid-write: the next scan reads it
          if (state === null) continue;
          this.seen.add(key);
          for (const e of state.history) {
            const id = `${job}/${e.epoch}`;
            this.trainings.set(id, (this.trainings.get(id) ?? new Set()).add(e.endedAt));
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Epoch trainings beyond the first per (job, epoch). */
  get trainedTwice(): number {
    return [...this.trainings.values()].reduce((n, ends) => n + ends.size - 1, 0);
  }

  /** (job, epoch) pairs seen in some checkpoint. */
  get epochs(): Set<string> {
    return new Set(this.trainings.keys());
  }

  get totalTrainings(): number {
    return [...this.trainings.values()].reduce((n, ends) => n + ends.size, 0);
  }
}

export interface TemporalFindings {
  status: string;
  historyEvents: number;
  /** trainSegment activities scheduled, and the attempts they took in all (from ActivityTaskStarted). */
  segments: number;
  segmentAttempts: number;
  /** Search trial numbers the workflow asked to start (startRun or trainSegment activities scheduled). */
  startedTrials: number[];
}

/** The workflow's state and segment retries, read from Temporal (following continue-as-new). */
export async function checkTemporal(client: Client, workflowId: string): Promise<TemporalFindings> {
  const description = await client.workflow.getHandle(workflowId).describe();
  let segments = 0;
  let segmentAttempts = 0;
  let historyEvents = 0;
  const trainIds = new Set<string>();
  const startedTrials = new Set<number>();
  // Walk the chain of runs from the first one: describe() gives the latest run.
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      historyEvents++;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'trainSegment') {
        trainIds.add(`${execution.runId}/${String(event.eventId)}`);
        segments++;
      }
      // A trial starts with startRun, or (since patch run-in-first-segment) with its first segment.
      if (scheduled?.activityType?.name === 'startRun' || scheduled?.activityType?.name === 'trainSegment') {
        const input = defaultPayloadConverter.fromPayload<RunRef>(scheduled.input!.payloads![0]!);
        if (input.stage === 'search') startedTrials.add(input.trialNumber);
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started && trainIds.has(`${execution.runId}/${String(started.scheduledEventId)}`)) segmentAttempts += started.attempt ?? 1;
    }
  }
  return { status: description.status.name, historyEvents, segments, segmentAttempts, startedTrials: [...startedTrials].sort((a, b) => a - b) };
}
