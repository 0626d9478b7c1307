// Idempotent MLflow helpers for activities, which Temporal runs at least once: calling any of these
// again with the same input changes nothing, so a retried activity never duplicates a run, a param,
// a metric point or a model version.
import { MlflowError, isMlflowErrorCode } from './client';
import type { Metric, MlflowClient, ModelVersion, Run, RunStatus } from './client';

/** Longest param value MLflow keeps; longer ones are truncated by the server. */
const MAX_PARAM_VALUE_CHARS = 6000;

/**
 * The id of the active experiment `name`, created (with `tags`) when missing. Existing experiments get
 * any of `tags` whose value differs. A deleted experiment with that name is an error, not silently
 * restored: someone deleted it on purpose, and MLflow would refuse to create a new one with the name.
 */
export async function ensureExperiment(client: MlflowClient, name: string, tags: Record<string, string> = {}): Promise<string> {
  let experiment = await client.getExperimentByName(name);
  if (!experiment) {
    try {
      return await client.createExperiment(name, { tags });
    } catch (err) {
      // Another worker created it between our lookup and our create.
      if (!isMlflowErrorCode(err, 'RESOURCE_ALREADY_EXISTS')) throw err;
      experiment = await client.getExperimentByName(name);
      if (!experiment) throw err;
    }
  }
  if (experiment.lifecycleStage === 'deleted') {
    throw new MlflowError(
      `MLflow experiment "${name}" (id ${experiment.experimentId}) is deleted. Restore it in the MLflow UI or with ` +
        `\`mlflow experiments restore --experiment-id ${experiment.experimentId}\`, remove it for good with \`mlflow gc\`, ` +
        'or choose another experiment name.',
      { errorCode: 'RESOURCE_DELETED', retryable: false },
    );
  }
  for (const [key, value] of Object.entries(tags)) {
    if (experiment.tags[key] !== value) await client.setExperimentTag(experiment.experimentId, key, value);
  }
  return experiment.experimentId;
}

/**
 * A search filter matching runs whose tags equal all of `tags`, e.g.
 * "tags.`tuneflow.stage` = 'search' AND tags.`tuneflow.trial_number` = '3'".
 * MLflow's parser strips the quotes without unescaping, so a value is wrapped in whichever quote it
 * does not contain; a value with both kinds cannot be matched and is rejected.
 */
export function tagFilter(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([key, value]) => {
      if (key.includes('`')) throw new MlflowError(`tag key ${JSON.stringify(key)} must not contain a backtick`, { retryable: false });
      const quote = !value.includes("'") ? "'" : !value.includes('"') ? '"' : undefined;
      if (!quote) throw new MlflowError(`tag ${key}: a value with both ' and " cannot be searched for: ${JSON.stringify(value)}`, { retryable: false });
      return `tags.\`${key}\` = ${quote}${value}${quote}`;
    })
    .join(' AND ');
}

/** Every run of the experiment whose tags equal all of `tags` (every page of the search). */
export async function runsTagged(client: MlflowClient, experimentId: string, tags: Record<string, string>): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const run of client.searchAllRuns({ experimentIds: [experimentId], filter: tagFilter(tags) })) runs.push(run);
  return runs;
}

/** A param's text as MLflow keeps it: a string as it is, a number or boolean as JavaScript prints it, anything else as JSON. */
export function paramText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** `paramText` of every value: params ready for `ensureRun` or `logBatch`. */
export function paramTexts(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)]));
}

export interface EnsureRunOptions {
  experimentId: string;
  /** Tags that identify the run, e.g. campaign id, stage and trial number. Set at creation. */
  key: Record<string, string>;
  runName: string;
  parentRunId?: string;
  /** More tags, set only when the run is created (in the same request, so never half-applied). */
  tags?: Record<string, string>;
  /** Logged after creation; params missing from a found run are logged, differing ones are an error. */
  params?: Record<string, string>;
}

/** The active run whose tags match all of `key`, or undefined. The oldest wins if there are several. */
export async function findRun(client: MlflowClient, experimentId: string, key: Record<string, string>): Promise<Run | undefined> {
  if (Object.keys(key).length === 0) throw new MlflowError('a run key needs at least one tag', { retryable: false });
  const page = await client.searchRuns({
    experimentIds: [experimentId],
    filter: tagFilter(key),
    maxResults: 1,
    orderBy: ['attributes.start_time ASC'],
  });
  return page.runs[0];
}

/**
 * Finds the run identified by `key` or creates it. A retry after a crash anywhere in here finds the
 * run and completes its params, so there is exactly one run per key.
 */
export async function ensureRun(client: MlflowClient, opts: EnsureRunOptions): Promise<{ runId: string; created: boolean }> {
  const run = await findRun(client, opts.experimentId, opts.key);
  if (!run) return createKeyedRun(client, opts);
  const runId = run.info.runId;
  const missing: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const [name, value] of Object.entries(opts.params ?? {})) {
    const logged = run.data.params[name];
    if (logged === undefined) missing[name] = value;
    else if (logged !== value && logged !== value.slice(0, MAX_PARAM_VALUE_CHARS)) conflicts.push(`${name}: logged ${JSON.stringify(logged)}, now ${JSON.stringify(value)}`);
  }
  if (conflicts.length > 0) {
    throw new MlflowError(`run ${runId} (${tagFilter(opts.key)}) already has different params: ${conflicts.join('; ')}`, {
      errorCode: 'INVALID_PARAMETER_VALUE',
      retryable: false,
    });
  }
  if (Object.keys(missing).length > 0) await client.logBatch({ runId, params: missing });
  return { runId, created: false };
}

/**
 * Creates the run identified by `key` without looking for it first (one request fewer than `ensureRun`).
 * Only for a caller that knows no earlier call can have created it: the first attempt of the one activity
 * that owns the key (Temporal records an activity's result, so attempt 1 runs once). Any retry must use
 * `ensureRun`, which finds a run an interrupted attempt left behind.
 */
export async function createKeyedRun(client: MlflowClient, opts: EnsureRunOptions): Promise<{ runId: string; created: true }> {
  const run = await client.createRun({
    experimentId: opts.experimentId,
    runName: opts.runName,
    tags: { ...opts.tags, ...opts.key, ...(opts.parentRunId ? { 'mlflow.parentRunId': opts.parentRunId } : {}) },
  });
  const runId = run.info.runId;
  if (opts.params && Object.keys(opts.params).length > 0) await client.logBatch({ runId, params: opts.params });
  return { runId, created: true };
}

export interface EpochMetrics {
  epoch: number;
  /** When the epoch ended, ms since the epoch; becomes the points' timestamp. */
  endedAt: number;
  metrics: Record<string, number>;
}

/**
 * Logs each metric of each epoch as a point with step = epoch and timestamp = endedAt. Points at or
 * below a metric's latest logged step are skipped: that covers a retried call (MLflow's SQL store
 * would also drop those exact duplicates) and an epoch trained again after a crash, whose end time
 * and values differ. Epochs of one run must therefore be logged in increasing order.
 * NaN and ±Infinity are logged as they are (MLflow stores ±Infinity as ±Number.MAX_VALUE).
 */
export async function logEpochMetrics(client: MlflowClient, runId: string, epochs: readonly EpochMetrics[]): Promise<{ logged: number; skipped: number }> {
  return new RunWriter(client, runId).logEpochs(epochs);
}

/**
 * What a writer's caller knows about the run without reading it, so it can skip the read. Only a first
 * attempt knows anything: a retried (or resumed) segment must read what the interrupted one logged.
 */
export interface RunKnowledge {
  /** No metric on the run has a step above this (a segment's first attempt: its `fromEpoch`). */
  noStepAbove: number;
  /** None of the tags this writer sets are on the run yet (a run's first segment, first attempt). */
  tagsAbsent: boolean;
}

/**
 * One writer's view of a run: its latest metric steps and its tags, read once (one `runs/get`) and then
 * kept up to date with this writer's own writes. A training segment logs epoch after epoch through one of
 * these, so each epoch costs one request instead of two; the run's state is read again only by the next
 * segment (or a retry of this one), which is what makes a retried or resumed segment skip logged epochs.
 * It assumes no one else logs the same metrics to the run meanwhile (true of a trial's run: one segment
 * at a time). Given what a first attempt knows (`RunKnowledge`), it skips the read where that suffices.
 */
export class RunWriter {
  private state: Promise<{ latest: Map<string, number>; tags: Record<string, string> }> | null = null;
  /** What the caller vouched for instead of a read (`RunKnowledge`), and this writer's own steps and tags since. */
  private readonly known: (RunKnowledge & { latest: Map<string, number>; tags: Record<string, string> }) | null;

  constructor(
    private readonly client: MlflowClient,
    readonly runId: string,
    known?: RunKnowledge,
  ) {
    this.known = known ? { ...known, latest: new Map(), tags: {} } : null;
  }

  private read() {
    this.state ??= this.client.getRun(this.runId).then(
      (run) => ({ latest: latestSteps(run.data.metrics), tags: { ...run.data.tags } }),
      (err: unknown) => {
        this.state = null; // the next call reads again
        throw err;
      },
    );
    return this.state;
  }

  /** `logEpochMetrics`, with the run read at most once per writer. */
  async logEpochs(epochs: readonly EpochMetrics[]): Promise<{ logged: number; skipped: number }> {
    if (epochs.length === 0) return { logged: 0, skipped: 0 };
    // Epochs above what the caller vouched for need no read: nothing of theirs can be on the run yet.
    const known = this.known;
    const latest = this.state === null && known && epochs.every((e) => e.epoch > known.noStepAbove) ? known.latest : (await this.read()).latest;
    const points: { key: string; value: number; timestamp: number; step: number }[] = [];
    let skipped = 0;
    for (const { epoch, endedAt, metrics } of [...epochs].sort((a, b) => a.epoch - b.epoch)) {
      for (const [key, value] of Object.entries(metrics)) {
        const logged = latest.get(key);
        if (logged !== undefined && logged >= epoch) skipped++;
        else points.push({ key, value, timestamp: Math.round(endedAt), step: epoch });
      }
    }
    if (points.length > 0) {
      // The client splits it within MLflow's limits (1,000 metrics a request).
      await this.client.logBatch({ runId: this.runId, metrics: points });
      for (const p of points) latest.set(p.key, Math.max(p.step, latest.get(p.key) ?? -Infinity));
    }
    return { logged: points.length, skipped };
  }

  /** Sets the tags whose value on the run differs (none: no request). */
  async setTags(tags: Record<string, string>): Promise<void> {
    // Tags the caller vouched absent need no read: the writer's own record of what it set stands for the run's.
    const current = this.known?.tagsAbsent && this.state === null ? this.known.tags : (await this.read()).tags;
    const changed = Object.fromEntries(Object.entries(tags).filter(([key, value]) => current[key] !== value));
    if (Object.keys(changed).length === 0) return;
    await this.client.logBatch({ runId: this.runId, tags: changed });
    Object.assign(current, changed);
  }
}

/**
 * Logs summary values (one point each, step 0) for the metrics the run does not have yet; a metric
 * already on the run keeps its first value, so a retry neither duplicates nor changes it.
 */
export async function logMetricsOnce(client: MlflowClient, runId: string, metrics: Record<string, number>, timestamp = Date.now()): Promise<{ logged: number; skipped: number }> {
  const present = latestSteps((await client.getRun(runId)).data.metrics);
  const points = Object.entries(metrics)
    .filter(([key]) => !present.has(key))
    .map(([key, value]) => ({ key, value, timestamp, step: 0 }));
  if (points.length > 0) await client.logBatch({ runId, metrics: points });
  return { logged: points.length, skipped: Object.keys(metrics).length - points.length };
}

function latestSteps(metrics: readonly Metric[]): Map<string, number> {
  const steps = new Map<string, number>();
  for (const m of metrics) steps.set(m.key, Math.max(m.step, steps.get(m.key) ?? -Infinity));
  return steps;
}

/** Sets the final status and end time; repeating it with the same input is harmless. */
export async function finishRun(client: MlflowClient, runId: string, status: Extract<RunStatus, 'FINISHED' | 'FAILED' | 'KILLED'>, endTime = Date.now()): Promise<void> {
  await client.updateRun({ runId, status, endTime });
}

/**
 * The registered model `name`'s version whose source is `source`, created (with the model) when there
 * is none, so a retried registration does not add a second version.
 */
export async function ensureModelVersion(
  client: MlflowClient,
  opts: { name: string; source: string; runId?: string; description?: string; tags?: Record<string, string> },
): Promise<{ modelVersion: ModelVersion; created: boolean }> {
  if (opts.name.includes("'")) throw new MlflowError(`registered model name ${JSON.stringify(opts.name)} must not contain a single quote`, { retryable: false });
  await client.createRegisteredModel(opts.name);
  const filter = opts.runId ? `name='${opts.name}' and run_id='${opts.runId}'` : `name='${opts.name}'`;
  let pageToken: string | undefined;
  do {
    const page = await client.searchModelVersions({ filter, pageToken });
    const existing = page.modelVersions.find((v) => v.source === opts.source);
    if (existing) return { modelVersion: existing, created: false };
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { modelVersion: await client.createModelVersion(opts), created: true };
}
