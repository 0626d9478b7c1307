// What the API does, over the CLI's Temporal client (cli/client.ts: queries and the validated control
// updates) and MLflow (the report's reader): start, list, status, trials, one trial, importance, the
// report and its zip, health. Handlers (api.ts) only translate HTTP to these calls and errors to codes.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { strToU8, zipSync } from 'fflate';
import { findCampaignRun, LineageError } from '../activities/lineage';
import { importance } from '../analysis';
import { parseExperiment } from '../catalog';
import { campaignHandle, ControlRejectedError, startCampaignFromText, type CampaignProgress, type LeaderboardRow } from '../cli/client';
import { extendFinishedCampaign } from '../cli/lineage';
import { redactUserInfo, type MlflowClient, type Run } from '../mlflow/client';
import { tagFilter } from '../mlflow/runs';
import { buildReport, loadCampaign } from '../report';
import { parseSpace } from '../search/space';
import { parseSpec, SpecError, type ExperimentSpec, type SpecProblem } from '../spec';
import { SourceLocator } from '../spec/yaml-locate';
import { LineCounter, parseDocument } from 'yaml';
import type { ExtendRequest } from '../workflows';
import { dataPathProblems, runsUserCode } from './security';

/** An answer other than 200: the status code, a message, and for a spec the problems with their lines. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: readonly SpecProblem[],
  ) {
    super(message);
  }
}

export interface CampaignsOptions {
  client: Client;
  mlflow: MlflowClient;
  namespace: string;
  /** Files a posted spec may name must be under this folder. */
  dataRoot: string;
  /** Run posted specs whose trainable or model is user code. */
  allowCode: boolean;
  /** Where the workers resolve relative data paths (the server's working directory for its own worker). */
  cwd: string;
  temporalUi: string | null;
  /** Task queues /healthz reports the pollers of. */
  queues: { control: string; training: string[] };
}

/** Name a posted spec's problems point at. */
export const POSTED_SPEC = 'spec.yaml';

export type ControlVerb = 'pause' | 'resume' | 'stop' | 'cancel' | 'extend' | 'enqueue' | 'concurrency';

export interface CampaignStatus {
  id: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  workflowStatus: string;
  startTime: string | null;
  closeTime: string | null;
  /** The campaign's status query; null when it cannot answer (the workflow failed before loading, no worker). */
  progress: CampaignProgress | null;
  /** Seconds left, as the campaign estimates them; null when unknown or finished. */
  etaSeconds: number | null;
  links: { temporal: string | null; mlflow: string | null };
}

export interface TrialRow extends LeaderboardRow {
  rank: number;
}

/** Progress of closed workflows never changes: kept so a finished 1,000-trial campaign is not replayed per request. */
const CLOSED_CACHE = 64;

export class Campaigns {
  private readonly closed = new Map<string, { progress: CampaignProgress | null; rows: LeaderboardRow[] | null }>();
  private readonly specs = new Map<string, { run: Run; spec: ExperimentSpec }>();
  private readonly reports = new Map<string, Promise<Map<string, string>>>();

  constructor(readonly opts: CampaignsOptions) {}

  /** Parse, check the server's rules, start. Problems come back with their line and column. */
  async start(text: string, workflowId?: string): Promise<{ id: string; spec: ExperimentSpec }> {
    let spec: ExperimentSpec;
    try {
      spec = parseExperiment(text, POSTED_SPEC);
    } catch (err) {
      if (err instanceof SpecError) throw new ApiError(400, 'the spec has problems', err.problems);
      throw err;
    }
    const code = runsUserCode(spec);
    if (code && !this.opts.allowCode) {
      throw new ApiError(403, `${code}; this server runs no user code (start it with --allow-code to allow it)`, [this.problemAt(text, code.includes('model.module') ? ['model', 'module'] : ['trainable'], code)]);
    }
    const paths = dataPathProblems(spec.dataset.options, this.opts.dataRoot, this.opts.cwd);
    if (paths.length > 0) throw new ApiError(403, 'the spec names files outside the data root', paths.map((p) => this.problemAt(text, p.path, p.message)));
    try {
      const handle = await startCampaignFromText(this.opts.client, { specText: text, specName: POSTED_SPEC, ...(workflowId ? { workflowId } : {}) });
      return { id: handle.workflowId, spec };
    } catch (err) {
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError') throw new ApiError(409, `a campaign with id "${workflowId}" exists already`);
      throw err;
    }
  }

  private problemAt(text: string, path: string[], message: string): SpecProblem {
    const lineCounter = new LineCounter();
    const position = new SourceLocator(parseDocument(text, { lineCounter }), lineCounter).position(path);
    return { file: POSTED_SPEC, ...position, path: path.join('.'), message };
  }

  /** Campaigns by the search attributes the workflow keeps (as `tuneflow list`): newest first. */
  async list(filter: { status?: 'running' | 'closed' | 'all'; state?: string; name?: string; limit: number }): Promise<Record<string, unknown>[]> {
    const clauses = ["WorkflowType = 'campaign'"];
    if (filter.status === 'running') clauses.push("ExecutionStatus = 'Running'");
    if (filter.status === 'closed') clauses.push("ExecutionStatus != 'Running'");
    // The route's schema allows only [A-Za-z0-9._-] in these, so they cannot break out of the quotes.
    if (filter.state) clauses.push(`TuneflowState = '${filter.state}'`);
    if (filter.name) clauses.push(`TuneflowName = '${filter.name}'`);
    const out: Record<string, unknown>[] = [];
    for await (const wf of this.opts.client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
      const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
      const first = (key: string) => sa[key]?.[0] ?? null;
      out.push({
        id: wf.workflowId,
        workflowStatus: wf.status.name,
        name: first('TuneflowName'),
        phase: first('TuneflowState'),
        best: first('TuneflowBestValue'),
        startTime: wf.startTime.toISOString(),
        closeTime: wf.closeTime?.toISOString() ?? null,
      });
      if (out.length >= filter.limit) break;
    }
    return out;
  }

  private async describe(id: string) {
    try {
      return await this.opts.client.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ApiError(404, `no campaign "${id}"`);
      throw err;
    }
  }

  /** The status query; for a closed workflow answered once and kept. */
  async status(id: string): Promise<CampaignStatus> {
    const d = await this.describe(id);
    const running = d.status.name === 'RUNNING';
    let progress: CampaignProgress | null;
    if (running) progress = await campaignHandle(this.opts.client, id).status();
    else progress = (await this.closedState(id, d.runId)).progress;
    // The MLflow link needs the parent run, which exists once the spec is loaded; found once, then kept.
    const tracked = this.specs.get(id) ?? (progress && progress.phase !== 'loading' ? await this.tracked(id).catch(() => undefined) : undefined);
    return {
      id,
      runId: d.runId,
      workflowStatus: d.status.name,
      startTime: d.startTime.toISOString(),
      closeTime: d.closeTime?.toISOString() ?? null,
      progress,
      etaSeconds: running ? (progress?.remainingSeconds ?? null) : null,
      links: {
        temporal: this.opts.temporalUi ? `${this.opts.temporalUi}/namespaces/${encodeURIComponent(this.opts.namespace)}/workflows/${encodeURIComponent(id)}` : null,
        mlflow: tracked ? `${redactUserInfo(this.opts.mlflow.trackingUri)}/#/experiments/${tracked.run.info.experimentId}/runs/${tracked.run.info.runId}` : null,
      },
    };
  }

  private async closedState(id: string, runId: string) {
    const key = `${id}/${runId}`;
    let entry = this.closed.get(key);
    if (!entry) {
      const handle = campaignHandle(this.opts.client, id);
      entry = { progress: await handle.status().catch(() => null), rows: await handle.leaderboard().catch(() => null) };
      this.closed.set(key, entry);
      if (this.closed.size > CLOSED_CACHE) this.closed.delete(this.closed.keys().next().value!);
    }
    return entry;
  }

  /** Every trial, best first (the campaign's own ranking), as the leaderboard query gives it. */
  async leaderboard(id: string): Promise<LeaderboardRow[]> {
    const d = await this.describe(id);
    const rows = d.status.name === 'RUNNING' ? await campaignHandle(this.opts.client, id).leaderboard() : (await this.closedState(id, d.runId)).rows;
    if (!rows) throw new ApiError(409, `campaign "${id}" cannot list its trials (${d.status.name}; it may have failed before loading its spec)`);
    return rows;
  }

  async trials(id: string, q: { offset: number; limit: number; sort: 'rank' | 'number' | 'value' | 'epochs' | 'state'; order: 'asc' | 'desc' }) {
    const rows: TrialRow[] = (await this.leaderboard(id)).map((r, i) => ({ ...r, rank: i + 1 }));
    const key: Record<typeof q.sort, (r: TrialRow) => number | string> = {
      rank: (r) => r.rank,
      number: (r) => r.trialNumber,
      // No value sorts last whichever the order.
      value: (r) => r.values?.[0] ?? (q.order === 'asc' ? Infinity : -Infinity),
      epochs: (r) => r.epochs,
      state: (r) => r.state,
    };
    const sign = q.order === 'asc' ? 1 : -1;
    const k = key[q.sort];
    rows.sort((a, b) => {
      const x = k(a);
      const y = k(b);
      return (x < y ? -sign : x > y ? sign : 0) || a.rank - b.rank;
    });
    return { total: rows.length, offset: q.offset, limit: q.limit, trials: rows.slice(q.offset, q.offset + q.limit) };
  }

  /** The campaign's MLflow parent run and spec (kept: neither changes). */
  async tracked(id: string): Promise<{ run: Run; spec: ExperimentSpec }> {
    let entry = this.specs.get(id);
    if (!entry) {
      let run: Run;
      try {
        run = await findCampaignRun(this.opts.mlflow, id);
      } catch (err) {
        if (err instanceof LineageError) throw new ApiError(404, `campaign "${id}" has no MLflow run yet`);
        throw err;
      }
      const text = (await this.opts.mlflow.downloadArtifact(run.info.runId, 'experiment.yaml')).toString('utf8');
      entry = { run, spec: parseSpec(text, 'experiment.yaml') };
      this.specs.set(id, entry);
    }
    return entry;
  }

  /** One trial: the leaderboard's row, then its MLflow run: state and reason tags, every metric per epoch. */
  async trial(id: string, n: number) {
    const row = (await this.leaderboard(id)).find((r) => r.trialNumber === n);
    if (!row) throw new ApiError(404, `campaign "${id}" has no trial ${n}`);
    const { run: parent } = await this.tracked(id);
    const filter = tagFilter({ 'tuneflow.campaign_id': id, 'tuneflow.stage': 'search', 'tuneflow.trial_number': String(n) });
    const run = (await this.opts.mlflow.searchRuns({ experimentIds: [parent.info.experimentId], filter, maxResults: 1 })).runs[0];
    const metrics: Record<string, { step: number; value: number }[]> = {};
    for (const key of run ? [...new Set(run.data.metrics.map((m) => m.key))].sort() : []) {
      metrics[key] = (await this.opts.mlflow.getMetricHistory(run!.info.runId, key)).map((p) => ({ step: p.step, value: p.value })).sort((a, b) => a.step - b.step);
    }
    return {
      trialNumber: n,
      state: row.state,
      values: row.values,
      epochs: row.epochs,
      params: row.params,
      reason: run?.data.tags['tuneflow.reason'] ?? null,
      runId: run?.info.runId ?? null,
      metrics,
      links: { mlflow: run ? `${redactUserInfo(this.opts.mlflow.trackingUri)}/#/experiments/${parent.info.experimentId}/runs/${run.info.runId}` : null },
    };
  }

  async importance(id: string) {
    const [{ spec }, rows] = await Promise.all([this.tracked(id), this.leaderboard(id)]);
    const views = rows.map((r) => ({ number: r.trialNumber, params: r.params, state: r.state, ...(r.values ? { values: r.values } : {}), intermediate: {} }));
    const ranked = importance(parseSpace(spec.search.space), views, spec.objective[0]!.direction);
    return { method: 'PED-ANOVA', importance: ranked.map((p) => ({ param: p.name, importance: p.importance })) };
  }

  async control(id: string, verb: ControlVerb, body: { trials?: number; seconds?: number; n?: number; configurations?: Record<string, unknown>[] }): Promise<{ progress?: CampaignProgress; started?: string }> {
    const d = await this.describe(id);
    if (d.status.name !== 'RUNNING') {
      // As `tuneflow extend`: a finished campaign continues as a new one.
      if (verb === 'extend' && body.trials !== undefined && body.seconds === undefined) {
        try {
          return { started: (await extendFinishedCampaign(this.opts.client, this.opts.mlflow, id, body.trials)).workflowId };
        } catch (err) {
          if (err instanceof LineageError) throw new ApiError(409, err.message);
          throw err;
        }
      }
      throw new ApiError(409, `${verb} rejected: the campaign is not running (${d.status.name})`);
    }
    const h = campaignHandle(this.opts.client, id);
    try {
      switch (verb) {
        case 'pause':
        case 'resume':
        case 'stop':
        case 'cancel':
          return { progress: await h[verb]() };
        case 'extend': {
          const req: ExtendRequest = { ...(body.trials !== undefined ? { trials: body.trials } : {}), ...(body.seconds !== undefined ? { seconds: body.seconds } : {}) };
          return { progress: await h.extend(req) };
        }
        case 'concurrency':
          return { progress: await h.setConcurrency(body.n!) };
        case 'enqueue':
          return { progress: await h.enqueue(body.configurations as never) };
      }
    } catch (err) {
      if (err instanceof ControlRejectedError) throw new ApiError(409, err.message);
      throw err;
    }
  }

  /** The report's files, built from MLflow; one build per campaign at a time (a second caller shares it). */
  report(id: string): Promise<Map<string, string>> {
    let pending = this.reports.get(id);
    if (!pending) {
      pending = (async () => loadCampaign(this.opts.mlflow, (await this.tracked(id)).run).then(buildReport))().finally(() => this.reports.delete(id));
      this.reports.set(id, pending);
    }
    return pending;
  }

  async zip(id: string): Promise<Uint8Array> {
    const folder = `tuneflow-report-${id.replace(/[^\w.-]/g, '_')}`;
    const files = await this.report(id);
    return zipSync(Object.fromEntries([...files].map(([path, text]) => [`${folder}/${path}`, strToU8(text)])), { level: 6 });
  }

  /** Temporal and MLflow reachable, and who polls each task queue. */
  async health() {
    const service = this.opts.client.workflowService;
    const check = async <T>(probe: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> => {
      try {
        return { ok: true, value: await probe() };
      } catch (err) {
        return { ok: false, error: redactUserInfo((err as Error).message).split('\n')[0]! };
      }
    };
    const temporalOk = await check(() => service.getSystemInfo({}));
    const mlflowOk = await check(() => this.opts.mlflow.getExperimentByName('Default'));
    const Type = temporal.api.enums.v1.TaskQueueType;
    const pollers = async (name: string, type: number) =>
      new Set(((await service.describeTaskQueue({ namespace: this.opts.namespace, taskQueue: { name }, taskQueueType: type })).pollers ?? []).map((p) => p.identity)).size;
    const queues: { name: string; kind: string; workers: number | null }[] = [];
    const list: [string, string, number][] = [
      [this.opts.queues.control, 'workflow', Type.TASK_QUEUE_TYPE_WORKFLOW],
      [this.opts.queues.control, 'activity', Type.TASK_QUEUE_TYPE_ACTIVITY],
      ...this.opts.queues.training.map((q): [string, string, number] => [q, 'activity', Type.TASK_QUEUE_TYPE_ACTIVITY]),
    ];
    for (const [name, kind, type] of list) {
      queues.push({ name, kind, workers: temporalOk.ok ? await pollers(name, type).catch(() => null) : null });
    }
    return {
      ok: temporalOk.ok && mlflowOk.ok,
      temporal: temporalOk.ok ? { ok: true } : { ok: false, error: temporalOk.error },
      mlflow: mlflowOk.ok ? { ok: true } : { ok: false, error: mlflowOk.error },
      queues,
    };
  }
}
