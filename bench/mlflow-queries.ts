// Read-only MLflow queries straight over MLflow's REST API (not through tuneflow's own client): what the
// chaos bench checks and the end-to-end tests assert on.
export interface RestRun {
  info: { run_id: string; run_name: string; status: string; artifact_uri: string };
  data: { tags?: { key: string; value: string }[]; params?: { key: string; value: string }[]; metrics?: { key: string; value: number; step: number }[] };
}

async function call<T>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function tagsOf(run: RestRun): Record<string, string> {
  return Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
}

export function paramsOf(run: RestRun): Record<string, string> {
  return Object.fromEntries((run.data.params ?? []).map((t) => [t.key, t.value]));
}

/** Every run of the campaign (parent, trials, retrains), found by the campaign tag. */
export async function campaignRuns(base: string, experimentId: string, campaignId: string): Promise<RestRun[]> {
  const runs: RestRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await call<{ runs?: RestRun[]; next_page_token?: string }>(base, '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experimentId],
      filter: `tags."tuneflow.campaign_id" = '${campaignId}'`,
      max_results: 500,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    runs.push(...(page.runs ?? []));
    pageToken = page.next_page_token;
  } while (pageToken);
  return runs;
}

export async function metricHistory(base: string, runId: string, key: string): Promise<{ step: number; value: number; timestamp: number }[]> {
  const out = await call<{ metrics?: { step: number; value: number; timestamp: number }[] }>(
    base,
    `/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=${encodeURIComponent(key)}&max_results=25000`,
  );
  return (out.metrics ?? []).map((m) => ({ step: Number(m.step), value: m.value, timestamp: Number(m.timestamp) }));
}

export async function artifactPaths(base: string, runId: string, path = ''): Promise<string[]> {
  const out = await call<{ files?: { path: string; is_dir: boolean }[] }>(
    base,
    `/api/2.0/mlflow/artifacts/list?run_id=${runId}${path ? `&path=${encodeURIComponent(path)}` : ''}`,
  );
  return (out.files ?? []).map((f) => f.path);
}

export async function downloadArtifact(base: string, run: RestRun, path: string): Promise<string> {
  // artifact_uri looks like mlflow-artifacts:/<experiment>/<run>/artifacts
  const root = run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
  const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`);
  if (!res.ok) throw new Error(`artifact ${path}: HTTP ${res.status}`);
  return res.text();
}
