// Live-control verbs: pause, resume, stop, cancel, extend, set-concurrency, enqueue, status,
// leaderboard, watch and list. Each is a Temporal update or query on the running campaign; the
// campaign validates every update and refuses bad ones without recording anything.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { durationSeconds } from '../spec';
import { maxOf } from '../search/math/extremes';
import type { Params } from '../search/space-types';
import { MlflowClient } from '../mlflow/client';
import { campaignHandle, type CampaignHandle } from './client';
import { extendFinishedCampaign, forkCampaign } from './lineage';
import { formatLeaderboard, formatProgress } from './progress';

export const CONTROL_VERBS = ['pause', 'resume', 'stop', 'cancel', 'extend', 'fork', 'set-concurrency', 'enqueue', 'status', 'leaderboard', 'watch', 'list'] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];

export class ControlUsageError extends Error {}

const out = (text: string) => process.stdout.write(`${text}\n`);

function requireId(verb: string, id: string | undefined): string {
  if (!id) throw new ControlUsageError(`${verb}: give the campaign's workflow id (see \`tuneflow list\`)`);
  return id;
}

function parseConfigurations(text: string): Params[] {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ControlUsageError(`enqueue: not JSON or YAML: ${(err as Error).message}`);
  }
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p))) {
    throw new ControlUsageError('enqueue: give a configuration {"param": value, ...} or a list of them');
  }
  return list as Params[];
}

async function watch(handle: CampaignHandle): Promise<void> {
  let last = '';
  for (;;) {
    const line = formatProgress(await handle.status());
    if (line !== last) out(line);
    last = line;
    const done = await Promise.race([handle.result().then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))]);
    if (done) break;
  }
  const result = await handle.result().catch((err: Error) => ({ status: `FAILED: ${err.message}`, reason: undefined }));
  out(`campaign ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
}

async function list(client: Client, all: boolean): Promise<void> {
  const rows: string[][] = [['workflow id', 'status', 'name', 'phase', 'best']];
  const query = `WorkflowType = 'campaign'${all ? '' : " AND ExecutionStatus = 'Running'"}`;
  for await (const wf of client.workflow.list({ query })) {
    const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
    const first = (key: string) => (sa[key]?.[0] === undefined ? '' : String(sa[key]![0]));
    rows.push([wf.workflowId, wf.status.name, first('TuneflowName'), first('TuneflowState'), first('TuneflowBestValue')]);
  }
  const widths = rows[0]!.map((_, i) => maxOf(rows.map((r) => r[i]!.length)));
  for (const r of rows) out(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  if (rows.length === 1) out(all ? '(no campaigns)' : '(no running campaigns; --all lists finished ones too)');
}

/** Whether the campaign's workflow is still running (false when it closed or Temporal no longer knows it). */
async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** `mlflowUri` lets `extend` continue a finished campaign and `fork` branch one (both read it from MLflow). */
export async function controlCommand(client: Client, verb: ControlVerb, args: string[], services: { mlflowUri?: string } = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      trials: { type: 'string' },
      time: { type: 'string' },
      file: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      spec: { type: 'string' },
      set: { type: 'string', multiple: true },
    },
  });
  const mlflow = () => {
    if (!services.mlflowUri) throw new ControlUsageError(`${verb}: needs MLflow (set MLFLOW_TRACKING_URI)`);
    return new MlflowClient({ trackingUri: services.mlflowUri });
  };
  const started = (kind: string, s: { workflowId: string }) => {
    out(values.json ? JSON.stringify({ workflowId: s.workflowId, [kind]: positionals[0] }) : `campaign ${s.workflowId} ${kind} ${positionals[0]}; follow it with \`tuneflow watch ${s.workflowId}\``);
    return 0;
  };
  if (verb === 'fork') {
    const parent = requireId(verb, positionals[0]);
    return started('forks', await forkCampaign(client, mlflow(), parent, { ...(values.spec ? { specPath: values.spec } : {}), sets: values.set ?? [] }));
  }
  if (verb === 'extend' && !(await isRunning(client, requireId(verb, positionals[0])))) {
    const trials = Number(values.trials);
    if (!Number.isInteger(trials) || trials < 1) throw new ControlUsageError('extend: a finished campaign is extended with --trials N (a positive integer)');
    return started('extends', await extendFinishedCampaign(client, mlflow(), positionals[0]!, trials));
  }
  if (verb === 'list') {
    await list(client, values.all ?? false);
    return 0;
  }
  const handle = campaignHandle(client, requireId(verb, positionals[0]));
  const show = (p: Awaited<ReturnType<CampaignHandle['status']>>) =>
    out(values.json ? JSON.stringify(p) : `${formatProgress(p)}${p.separation ? `\n  note: ${p.separation} (docs/objectives.md)` : ''}`);
  switch (verb) {
    case 'status':
      show(await handle.status());
      return 0;
    case 'leaderboard': {
      const rows = await handle.leaderboard();
      if (values.json) out(JSON.stringify(rows));
      else for (const line of formatLeaderboard(rows)) out(line);
      return 0;
    }
    case 'watch':
      await watch(handle);
      return 0;
    case 'pause':
    case 'resume':
    case 'stop':
    case 'cancel':
      show(await handle[verb]());
      return 0;
    case 'extend': {
      const trials = values.trials === undefined ? undefined : Number(values.trials);
      const seconds = values.time === undefined ? undefined : durationSeconds(/^\d+(\.\d+)?$/.test(values.time) ? Number(values.time) : values.time);
      show(await handle.extend({ ...(trials !== undefined ? { trials } : {}), ...(seconds !== undefined ? { seconds } : {}) }));
      return 0;
    }
    case 'set-concurrency': {
      const n = Number(positionals[1]);
      if (positionals[1] === undefined) throw new ControlUsageError('set-concurrency: give the number of concurrent trials');
      show(await handle.setConcurrency(n));
      return 0;
    }
    case 'enqueue': {
      const text = values.file ? readFileSync(values.file, 'utf8') : positionals[1];
      if (text === undefined) throw new ControlUsageError('enqueue: give a configuration as JSON/YAML, or --file FILE');
      show(await handle.enqueue(parseConfigurations(text)));
      return 0;
    }
  }
}
