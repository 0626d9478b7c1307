// `node dist/bench/mlflow-burst.js`: the MLflow stall in isolation. Many log-batch requests at once (params,
// metrics and a tag each, as a trial's start and end send them) against a fresh server, each timed. MLflow's
// SQL store opens a second pooled connection inside log-batch (and create-run) while holding the first, so a
// burst larger than the SQLAlchemy pool (5 + 10 overflow by default) deadlocks the pool until SQLAlchemy's
// 30 s pool timeout fails the waiting requests (cli/services/mlflow-server.ts sizes the pool instead).
// Compares MLflow's default pool with the one tuneflow launches, side by side, on two fresh servers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { fmt, machine, table } from './table';

export interface BurstResult {
  requests: number;
  /** Slowest request, seconds (request to answer, or to the 60 s give-up). */
  maxSeconds: number;
  medianSeconds: number;
  /** HTTP status -> count; 0 = no answer within 60 s. */
  statuses: Record<number, number>;
  /** The first answer that was not 200, as the server wrote it. */
  firstError?: string;
}

async function post<T>(url: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** `requests` runs, then one log-batch on each, all at once. */
export async function logBatchBurst(url: string, requests: number): Promise<BurstResult> {
  const { experiment_id: experimentId } = await post<{ experiment_id: string }>(url, 'experiments/create', { name: `burst-${Date.now()}-${Math.random()}` });
  const runIds: string[] = [];
  for (let i = 0; i < requests; i++) {
    const { run } = await post<{ run: { info: { run_id: string } } }>(url, 'runs/create', { experiment_id: experimentId, start_time: Date.now() });
    runIds.push(run.info.run_id);
  }
  const statuses: Record<number, number> = {};
  let firstError: string | undefined;
  const seconds = await Promise.all(
    runIds.map(async (runId, i) => {
      const started = performance.now();
      let status = 0;
      try {
        const res = await fetch(`${url}/api/2.0/mlflow/runs/log-batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            run_id: runId,
            params: [{ key: 'lr', value: String(i) }, { key: 'units', value: '32' }, { key: 'activation', value: 'relu' }],
            metrics: [{ key: 'val_loss', value: 1 / (i + 1), timestamp: Date.now(), step: 1 }, { key: 'val_accuracy', value: 0.5, timestamp: Date.now(), step: 1 }],
            tags: [{ key: 'tuneflow.state', value: 'RUNNING' }],
          }),
          signal: AbortSignal.timeout(60_000),
        });
        status = res.status;
        const text = await res.text();
        if (status !== 200) firstError ??= `${status}: ${text.slice(0, 300)}`;
      } catch {
        status = 0;
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      return (performance.now() - started) / 1000;
    }),
  );
  seconds.sort((a, b) => a - b);
  return { requests, maxSeconds: seconds.at(-1)!, medianSeconds: seconds[Math.floor(seconds.length / 2)]!, statuses, ...(firstError ? { firstError } : {}) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '48' }, rounds: { type: 'string', default: '2' } } });
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-burst-'));
  // MLflow's own pool: what `mlflow server` gets when nothing sizes it (SQLAlchemy's QueuePool defaults).
  const settings: [string, NodeJS.ProcessEnv][] = [
    ['MLflow default pool (5 + 10)', { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '5', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '10' }],
    ['as tuneflow launches it', {}],
  ];
  const rows: (string | number)[][] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, env] of settings) {
        const saved = { ...process.env };
        Object.assign(process.env, env);
        const server = await startMlflowServer({ dir: join(dir, `${round}-${rows.length}`), logFile: join(dir, `${round}-${rows.length}.log`) }).finally(() => {
          process.env = saved;
        });
        try {
          const r = await logBatchBurst(server.url, requests);
          rows.push([name, r.requests, fmt(r.medianSeconds, 2), fmt(r.maxSeconds, 2), Object.entries(r.statuses).map(([s, n]) => `${s === '0' ? 'no answer' : s} x ${n}`).join(', '), r.firstError ?? '']);
          process.stderr.write(`burst: ${name}: max ${r.maxSeconds.toFixed(1)} s\n`);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(table(['server', 'log-batch at once', 'median s', 'max s', 'answers', 'first error'], rows));
  console.log(`\n${machine()}`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench:mlflow-burst: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
