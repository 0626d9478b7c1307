// A typed client for MLflow's REST API (tracking 2.0, the artifact proxy and the model registry),
// built on Node's fetch. It only moves data; the idempotent helpers the activities use are in runs.ts.
//
// Every failure is an MlflowError. Its `retryable` flag separates what a retry can fix (network
// errors, timeouts, 5xx, 429) from what it cannot (bad input, missing resources), so an activity can
// let Temporal retry the first kind and fail fast on the second.

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';
export type RunViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  creationTime?: number;
  lastUpdateTime?: number;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  status: RunStatus;
  startTime?: number;
  endTime?: number;
  /** e.g. `mlflow-artifacts:/1/<runId>/artifacts` when the server proxies artifacts. */
  artifactUri: string;
  lifecycleStage: LifecycleStage;
  userId: string;
}

export interface Metric {
  key: string;
  /** NaN and ±Infinity are allowed; MLflow stores ±Infinity as ±Number.MAX_VALUE. */
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface RunData {
  /** The latest value of each metric (highest step, then latest timestamp). */
  metrics: Metric[];
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface RunsPage {
  runs: Run[];
  nextPageToken?: string;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  /** MLflow search syntax, e.g. "tags.`tuneflow.stage` = 'search'"; see runs.ts `tagFilter`. */
  filter?: string;
  /** Per page; MLflow allows up to 50000 (default 1000). */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
  runViewType?: RunViewType;
}

export interface ArtifactInfo {
  /** Relative to the run's artifact root. */
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export interface RegisteredModel {
  name: string;
  description?: string;
  tags: Record<string, string>;
}

export interface ModelVersion {
  name: string;
  version: string;
  source: string;
  runId?: string;
  status: string;
  tags: Record<string, string>;
}

export interface MlflowClientOptions {
  /** http(s) URL of the tracking server. Credentials in the URL (`http://user:pass@host`) are used for Basic auth. */
  trackingUri: string;
  /** Bearer token; default `$MLFLOW_TRACKING_TOKEN`. */
  token?: string;
  /** Basic auth; default `$MLFLOW_TRACKING_USERNAME` / `$MLFLOW_TRACKING_PASSWORD`. */
  username?: string;
  password?: string;
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  /**
   * Timeout of the requests that create something with a server-chosen id (a run, a model version); default
   * 4 minutes. A create the server has received still lands after the client gave up, and the caller's retry
   * would then make a second one, so these wait out a slow server rather than time out like the rest. Keep it
   * under the activity's start-to-close timeout (5 minutes for the control activities).
   */
  createTimeoutMs?: number;
  /**
   * How long a request keeps retrying while the server refuses connections (down or restarting) before
   * it fails; default 0 (fail at once). Only refused connections are retried: the server never saw
   * those requests, so a retry cannot create a second run. Workers set it to ride out MLflow outages.
   */
  waitForServerMs?: number;
  /** Where the auth defaults come from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Server limits of one log-batch request (mlflow/utils/validation.py). */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000 } as const;

export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  /** HTTP status; undefined when no response arrived (network error, timeout). */
  readonly status: number | undefined;
  /** MLflow's `error_code`, e.g. RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE. */
  readonly errorCode: string | undefined;
  readonly retryable: boolean;

  constructor(message: string, opts: { status?: number; errorCode?: string; retryable: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
    this.errorCode = opts.errorCode;
    this.retryable = opts.retryable;
  }
}

/** True for failures a later attempt may not see again: no response, timeouts, 5xx and 429. */
export function isRetryable(err: unknown): boolean {
  return err instanceof MlflowError && err.retryable;
}

export function isMlflowErrorCode(err: unknown, errorCode: string): boolean {
  return err instanceof MlflowError && err.errorCode === errorCode;
}

const API = 'api/2.0/mlflow';
const ARTIFACTS_API = 'api/2.0/mlflow-artifacts/artifacts';
const MAX_MESSAGE_CHARS = 2000;

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: Buffer | string;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

export class MlflowClient {
  /** Without credentials, so it is safe to show. */
  readonly trackingUri: string;
  private readonly baseUrl: URL;
  readonly #authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly createTimeoutMs: number;
  private readonly waitForServerMs: number;
  /** A run's artifact root never changes, so it is looked up once per run. */
  private readonly artifactRoots = new Map<string, string>();

  constructor(opts: MlflowClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.trackingUri);
    } catch {
      throw new MlflowError(`trackingUri must be an http(s) URL, got ${JSON.stringify(redactUserInfo(opts.trackingUri))}`, { retryable: false });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MlflowError(`trackingUri must be an http(s) URL, got ${url.protocol} (start a server with \`mlflow server\`)`, { retryable: false });
    }
    const env = opts.env ?? process.env;
    const username = opts.username ?? (url.username ? decodeURIComponent(url.username) : undefined) ?? env.MLFLOW_TRACKING_USERNAME;
    const password = opts.password ?? (url.password ? decodeURIComponent(url.password) : undefined) ?? env.MLFLOW_TRACKING_PASSWORD;
    const token = opts.token ?? env.MLFLOW_TRACKING_TOKEN;
    url.username = '';
    url.password = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url;
    this.trackingUri = url.href.replace(/\/$/, '');
    if (token) this.#authorization = `Bearer ${token}`;
    else if (username !== undefined && password !== undefined) this.#authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.createTimeoutMs = opts.createTimeoutMs ?? Math.max(this.timeoutMs, 240_000);
    this.waitForServerMs = opts.waitForServerMs ?? 0;
  }

  // ----- experiments -----

  /** The experiment with this name (active or deleted), or undefined when there is none. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const res = await this.request<{ experiment: RawExperiment }>('GET', `${API}/experiments/get-by-name`, { query: { experiment_name: name } });
      return toExperiment(res.experiment);
    } catch (err) {
      if (isMlflowErrorCode(err, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
      throw err;
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.request<{ experiment: RawExperiment }>('GET', `${API}/experiments/get`, { query: { experiment_id: experimentId } });
    return toExperiment(res.experiment);
  }

  /** Returns the new experiment's id. Without `artifactLocation` the server's default applies (the artifact proxy). */
  async createExperiment(name: string, opts: { artifactLocation?: string; tags?: Record<string, string> } = {}): Promise<string> {
    const res = await this.request<{ experiment_id: string }>('POST', `${API}/experiments/create`, {
      json: { name, artifact_location: opts.artifactLocation, tags: toKeyValues(opts.tags) },
    });
    return String(res.experiment_id);
  }

  /** Marks the experiment deleted; its name stays taken until `mlflow gc` removes it for good. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.request('POST', `${API}/experiments/delete`, { json: { experiment_id: experimentId } });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.request('POST', `${API}/experiments/restore`, { json: { experiment_id: experimentId } });
  }

  /** Ids of the active experiments, every page of them. */
  async listExperimentIds(): Promise<string[]> {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.request<{ experiments?: RawExperiment[]; next_page_token?: string }>('POST', `${API}/experiments/search`, {
        json: { max_results: 1000, page_token: pageToken },
      });
      ids.push(...(res.experiments ?? []).map((e) => toExperiment(e).experimentId));
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return ids;
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.request('POST', `${API}/experiments/set-experiment-tag`, { json: { experiment_id: experimentId, key, value } });
  }

  // ----- runs -----

  async createRun(opts: { experimentId: string; runName?: string; startTime?: number; tags?: Record<string, string> }): Promise<Run> {
    const res = await this.request<{ run: RawRun }>('POST', `${API}/runs/create`, {
      timeoutMs: this.createTimeoutMs,
      json: {
        experiment_id: opts.experimentId,
        run_name: opts.runName,
        start_time: opts.startTime ?? Date.now(),
        tags: toKeyValues(opts.tags),
      },
    });
    return toRun(res.run);
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.request<{ run: RawRun }>('GET', `${API}/runs/get`, { query: { run_id: runId } });
    return toRun(res.run);
  }

  async updateRun(opts: { runId: string; status?: RunStatus; endTime?: number; runName?: string }): Promise<RunInfo> {
    const res = await this.request<{ run_info: RawRunInfo }>('POST', `${API}/runs/update`, {
      json: { run_id: opts.runId, status: opts.status, end_time: opts.endTime, run_name: opts.runName },
    });
    return toRunInfo(res.run_info);
  }

  /** Marks the run deleted (restorable in the UI until garbage-collected). */
  async deleteRun(runId: string): Promise<void> {
    await this.request('POST', `${API}/runs/delete`, { json: { run_id: runId } });
  }

  /** One page of runs. */
  async searchRuns(opts: SearchRunsOptions): Promise<RunsPage> {
    const res = await this.request<{ runs?: RawRun[]; next_page_token?: string }>('POST', `${API}/runs/search`, {
      json: {
        experiment_ids: opts.experimentIds,
        filter: opts.filter,
        max_results: opts.maxResults,
        order_by: opts.orderBy,
        page_token: opts.pageToken,
        run_view_type: opts.runViewType,
      },
    });
    return { runs: (res.runs ?? []).map(toRun), nextPageToken: res.next_page_token || undefined };
  }

  /** Every run matching `opts`, following page tokens. */
  async *searchAllRuns(opts: Omit<SearchRunsOptions, 'pageToken'>): AsyncGenerator<Run> {
    let pageToken: string | undefined;
    do {
      const page = await this.searchRuns({ ...opts, pageToken });
      yield* page.runs;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.request('POST', `${API}/runs/set-tag`, { json: { run_id: runId, key, value } });
  }

  /**
   * Logs metrics, params and tags, split into as many requests as the server's batch limits need.
   * Params and tags go first, so a metric never lands on a run whose params failed to log.
   */
  async logBatch(opts: {
    runId: string;
    metrics?: readonly { key: string; value: number; timestamp: number; step?: number }[];
    params?: Record<string, string>;
    tags?: Record<string, string>;
  }): Promise<void> {
    for (const batch of splitBatch(opts.metrics ?? [], toKeyValues(opts.params), toKeyValues(opts.tags))) {
      await this.request('POST', `${API}/runs/log-batch`, {
        json: {
          run_id: opts.runId,
          metrics: batch.metrics.map((m) => ({ key: m.key, value: metricValueToJson(m.value), timestamp: m.timestamp, step: m.step ?? 0 })),
          params: batch.params,
          tags: batch.tags,
        },
      });
    }
  }

  /** Every logged point of one metric, in the server's order (by step, then timestamp), following page tokens. */
  async getMetricHistory(runId: string, key: string, opts: { pageSize?: number } = {}): Promise<Metric[]> {
    const points: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.request<{ metrics?: RawMetric[]; next_page_token?: string }>('GET', `${API}/metrics/get-history`, {
        query: { run_id: runId, metric_key: key, max_results: opts.pageSize ?? 25_000, page_token: pageToken },
      });
      const page = (res.metrics ?? []).map(toMetric);
      points.push(...page);
      // The server may hand out a token that leads to an empty page; stop there.
      pageToken = page.length > 0 ? res.next_page_token || undefined : undefined;
    } while (pageToken);
    return points;
  }

  // ----- artifacts (through the server's artifact proxy) -----

  /** Uploads (or overwrites) one file at `relativePath` under the run's artifact root. */
  async logArtifact(runId: string, relativePath: string, content: string | Buffer): Promise<void> {
    const url = await this.artifactPath(runId, relativePath);
    await this.request('PUT', url, { body: content });
  }

  /** The entries directly inside `path` (default the root), with paths relative to the run's artifact root. */
  async listArtifacts(runId: string, path?: string): Promise<ArtifactInfo[]> {
    const res = await this.request<{ files?: { path: string; is_dir?: boolean; file_size?: number | string }[] }>('GET', `${API}/artifacts/list`, {
      query: { run_id: runId, path: path === undefined ? undefined : checkRelativePath(path) },
    });
    return (res.files ?? []).map((f) => ({
      path: f.path,
      isDir: Boolean(f.is_dir),
      ...(f.file_size === undefined ? {} : { fileSize: Number(f.file_size) }),
    }));
  }

  async downloadArtifact(runId: string, relativePath: string): Promise<Buffer> {
    const url = await this.artifactPath(runId, relativePath);
    return this.request<Buffer>('GET', url);
  }

  /** Deletes a file or a whole folder under the run's artifact root; a path that is not there is no error. */
  async deleteArtifact(runId: string, relativePath: string): Promise<void> {
    const url = await this.artifactPath(runId, relativePath);
    await this.request('DELETE', url);
  }

  /**
   * The same three operations on a path relative to the artifact proxy's own root, outside any run (for a
   * probe of the proxy, e.g. `tuneflow doctor`).
   */
  async putProxiedArtifact(path: string, content: string | Buffer): Promise<void> {
    await this.request('PUT', proxiedPath(path), { body: content });
  }

  async getProxiedArtifact(path: string): Promise<Buffer> {
    return this.request<Buffer>('GET', proxiedPath(path));
  }

  async deleteProxiedArtifact(path: string): Promise<void> {
    await this.request('DELETE', proxiedPath(path));
  }

  // ----- model registry -----

  /** Creates the registered model, or returns the existing one with that name. */
  async createRegisteredModel(name: string, opts: { description?: string; tags?: Record<string, string> } = {}): Promise<RegisteredModel> {
    try {
      const res = await this.request<{ registered_model: RawRegisteredModel }>('POST', `${API}/registered-models/create`, {
        json: { name, description: opts.description, tags: toKeyValues(opts.tags) },
      });
      return toRegisteredModel(res.registered_model);
    } catch (err) {
      if (!isMlflowErrorCode(err, 'RESOURCE_ALREADY_EXISTS')) throw err;
      const res = await this.request<{ registered_model: RawRegisteredModel }>('GET', `${API}/registered-models/get`, { query: { name } });
      return toRegisteredModel(res.registered_model);
    }
  }

  /** Always creates a new version; runs.ts `ensureModelVersion` is the idempotent form. */
  async createModelVersion(opts: { name: string; source: string; runId?: string; description?: string; tags?: Record<string, string> }): Promise<ModelVersion> {
    const res = await this.request<{ model_version: RawModelVersion }>('POST', `${API}/model-versions/create`, {
      timeoutMs: this.createTimeoutMs,
      json: { name: opts.name, source: opts.source, run_id: opts.runId, description: opts.description, tags: toKeyValues(opts.tags) },
    });
    return toModelVersion(res.model_version);
  }

  /** e.g. filter `name='m' and run_id='abc'`. */
  async searchModelVersions(opts: { filter?: string; maxResults?: number; pageToken?: string } = {}): Promise<{ modelVersions: ModelVersion[]; nextPageToken?: string }> {
    const res = await this.request<{ model_versions?: RawModelVersion[]; next_page_token?: string }>('GET', `${API}/model-versions/search`, {
      query: { filter: opts.filter, max_results: opts.maxResults, page_token: opts.pageToken },
    });
    return { modelVersions: (res.model_versions ?? []).map(toModelVersion), nextPageToken: res.next_page_token || undefined };
  }

  // ----- plumbing -----

  /** `api/2.0/mlflow-artifacts/artifacts/<root path>/<relativePath>`, each segment URL-encoded. */
  private async artifactPath(runId: string, relativePath: string): Promise<string> {
    let root = this.artifactRoots.get(runId);
    if (root === undefined) {
      root = proxiedArtifactRoot((await this.getRun(runId)).info.artifactUri);
      this.artifactRoots.set(runId, root);
    }
    return proxiedSegments([...root.split('/').filter(Boolean), ...checkRelativePath(relativePath).split('/')]);
  }

  private async request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {};
    if (this.#authorization) headers.Authorization = this.#authorization;
    let body: string | Buffer | undefined;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      body = opts.body;
    }
    const what = `MLflow ${method} /${path}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const giveUpAt = Date.now() + this.waitForServerMs;
    let response: Response;
    for (let pauseMs = 250; ; pauseMs = Math.min(pauseMs * 2, 5_000)) {
      try {
        response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
        break;
      } catch (err) {
        const refused = describeFetchFailure(err, timeoutMs) === 'ECONNREFUSED';
        if (refused && Date.now() + pauseMs < giveUpAt) {
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          continue;
        }
        const waited = refused && this.waitForServerMs > 0 ? ` for ${Math.round(this.waitForServerMs / 1000)} s` : '';
        throw new MlflowError(`${what} failed: ${describeFetchFailure(err, timeoutMs)}${waited} (server ${this.trackingUri})`, { retryable: true, cause: err });
      }
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (err) {
      throw new MlflowError(`${what} failed while reading the response: ${describeFetchFailure(err, timeoutMs)}`, { retryable: true, cause: err });
    }
    if (!response.ok) throw responseError(what, response.status, bytes.toString('utf8'));
    if (path.startsWith(ARTIFACTS_API) && method === 'GET') return bytes as T;
    const text = bytes.toString('utf8');
    if (!text.trim()) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MlflowError(`${what} answered ${response.status} with a body that is not JSON: ${truncate(text, 200)}`, { status: response.status, retryable: false });
    }
  }
}

/** SQLAlchemy's QueuePool timeout, as MLflow words it in a 400 answer. */
const POOL_TIMEOUT = /QueuePool limit of size \d+ overflow \d+ reached, connection timed out/;

function responseError(what: string, status: number, text: string): MlflowError {
  let errorCode: string | undefined;
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    /* not JSON: a proxy's HTML page, or the security middleware's plain text */
  }
  // MLflow answers its database pool's timeout with 400 (a server with SQLAlchemy's default pool deadlocks under a
  // burst of writes: docs/design-notes.md, "Services and processes"). Nothing was written, and a retry can succeed.
  const retryable = status >= 500 || status === 429 || POOL_TIMEOUT.test(message);
  const code = errorCode ? ` ${errorCode}` : '';
  return new MlflowError(`${what} failed: ${status}${code}: ${truncate(message, MAX_MESSAGE_CHARS) || '(empty body)'}`, { status, errorCode, retryable });
}

function describeFetchFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `http://user:pass@host` → `http://***@host`: a URI fit for messages and logs. */
export function redactUserInfo(uri: string): string {
  return uri.replace(/\/\/[^/@]*@/, '//***@');
}

/**
 * The path under the artifact proxy for a run's artifact root: `mlflow-artifacts:/1/<run>/artifacts`
 * (or `mlflow-artifacts://host:port/...`) → `1/<run>/artifacts`.
 */
export function proxiedArtifactRoot(artifactUri: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (!match) {
    throw new MlflowError(
      `The run's artifact root ${artifactUri} is not served by the MLflow artifact proxy; start the server with --serve-artifacts ` +
        'and create experiments without an explicit artifact location.',
      { retryable: false },
    );
  }
  return match[1]!.replace(/\/+$/, '');
}

/** `api/2.0/mlflow-artifacts/artifacts/<path>`, each segment URL-encoded. */
function proxiedPath(path: string): string {
  return proxiedSegments(checkRelativePath(path).split('/'));
}

function proxiedSegments(segments: string[]): string {
  return `${ARTIFACTS_API}/${segments.map(encodeURIComponent).join('/')}`;
}

/** Rejects paths that would leave the run's artifact root or that URL normalization would rewrite. */
function checkRelativePath(path: string): string {
  const segments = path.split('/');
  if (!path || path.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new MlflowError(`artifact path ${JSON.stringify(path)} must be relative, without empty, "." or ".." segments`, { retryable: false });
  }
  return path;
}

interface Batch {
  metrics: { key: string; value: number; timestamp: number; step?: number }[];
  params: KeyValue[];
  tags: KeyValue[];
}

/** Splits into batches within BATCH_LIMITS, params and tags first, keeping each list's order. */
export function splitBatch(metrics: readonly Batch['metrics'][number][], params: readonly KeyValue[] = [], tags: readonly KeyValue[] = []): Batch[] {
  const batches: Batch[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const batchParams = params.slice(p, p + BATCH_LIMITS.params);
    const batchTags = tags.slice(t, t + BATCH_LIMITS.tags);
    const room = Math.min(BATCH_LIMITS.metrics, BATCH_LIMITS.entities - batchParams.length - batchTags.length);
    const batchMetrics = metrics.slice(m, m + room);
    batches.push({ metrics: batchMetrics, params: batchParams, tags: batchTags });
    p += batchParams.length;
    t += batchTags.length;
    m += batchMetrics.length;
  }
  return batches;
}

/** JSON has no NaN or Infinity; MLflow's JSON parser accepts them as these strings. */
function metricValueToJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

// ----- wire format (snake_case JSON) → typed objects -----

interface KeyValue {
  key: string;
  value: string;
}

interface RawExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  tags?: KeyValue[];
  creation_time?: number | string;
  last_update_time?: number | string;
}

interface RawRunInfo {
  run_id?: string;
  run_uuid?: string;
  experiment_id: string;
  run_name?: string;
  status?: string;
  start_time?: number | string;
  end_time?: number | string;
  artifact_uri?: string;
  lifecycle_stage?: string;
  user_id?: string;
}

interface RawMetric {
  key: string;
  value: number | string;
  timestamp?: number | string;
  step?: number | string;
}

interface RawRun {
  info: RawRunInfo;
  data?: { metrics?: RawMetric[]; params?: KeyValue[]; tags?: KeyValue[] };
}

interface RawRegisteredModel {
  name: string;
  description?: string;
  tags?: KeyValue[];
}

interface RawModelVersion {
  name: string;
  version: string | number;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: KeyValue[];
}

function toKeyValues(record: Record<string, string> | undefined): KeyValue[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}

function fromKeyValues(list: KeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value]));
}

/** int64 fields arrive as JSON numbers from MLflow but as strings from strict protobuf JSON. */
function optionalNumber(value: number | string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

function toExperiment(raw: RawExperiment): Experiment {
  return {
    experimentId: String(raw.experiment_id),
    name: raw.name,
    artifactLocation: raw.artifact_location ?? '',
    lifecycleStage: raw.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    tags: fromKeyValues(raw.tags),
    creationTime: optionalNumber(raw.creation_time),
    lastUpdateTime: optionalNumber(raw.last_update_time),
  };
}

function toRunInfo(raw: RawRunInfo): RunInfo {
  return {
    runId: raw.run_id ?? raw.run_uuid ?? '',
    experimentId: String(raw.experiment_id),
    runName: raw.run_name ?? '',
    status: (raw.status ?? 'RUNNING') as RunStatus,
    startTime: optionalNumber(raw.start_time),
    endTime: optionalNumber(raw.end_time),
    artifactUri: raw.artifact_uri ?? '',
    lifecycleStage: raw.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    userId: raw.user_id ?? '',
  };
}

function toMetric(raw: RawMetric): Metric {
  // Number('NaN') is NaN and Number('Infinity') is Infinity, the strings MLflow sends for those.
  return { key: raw.key, value: Number(raw.value), timestamp: Number(raw.timestamp ?? 0), step: Number(raw.step ?? 0) };
}

function toRun(raw: RawRun): Run {
  return {
    info: toRunInfo(raw.info),
    data: { metrics: (raw.data?.metrics ?? []).map(toMetric), params: fromKeyValues(raw.data?.params), tags: fromKeyValues(raw.data?.tags) },
  };
}

function toRegisteredModel(raw: RawRegisteredModel): RegisteredModel {
  return { name: raw.name, description: raw.description, tags: fromKeyValues(raw.tags) };
}

function toModelVersion(raw: RawModelVersion): ModelVersion {
  return { name: raw.name, version: String(raw.version), source: raw.source ?? '', runId: raw.run_id || undefined, status: raw.status ?? '', tags: fromKeyValues(raw.tags) };
}
