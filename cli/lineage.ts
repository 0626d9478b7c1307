// `tuneflow extend` on a finished campaign and `tuneflow fork`: a new campaign that starts from the
// old one's spec (read back from MLflow, see activities/lineage.ts for why MLflow) and warm-starts
// its sampler from the old trials. The new campaign's workflow reads those trials itself.
import type { Client } from '@temporalio/client';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, parseDocument, type Document } from 'yaml';
import { finishedCampaign } from '../activities/lineage';
import type { MlflowClient } from '../mlflow/client';
import { startCampaignFromText, type CampaignHandle, type ExperimentSpec } from './client';

/** A `--set` the command line got wrong. */
export class LineageUsageError extends Error {}

type Started = CampaignHandle & { spec: ExperimentSpec };

/** The old spec with a budget of `trials` new trials; its enqueued configurations were tried already. */
export function extensionSpec(specText: string, trials: number): string {
  const doc = parseDocument(specText);
  doc.setIn(['budget', 'maxTrials'], trials);
  // Limits that must stay within maxTrials shrink with it (the spec loader checks them).
  for (const path of [['budget', 'maxConcurrentTrials'], ['retrain', 'topK']]) {
    const value = doc.getIn(path);
    if (typeof value === 'number' && value > trials) doc.setIn(path, trials);
  }
  doc.deleteIn(['search', 'enqueue']);
  return doc.toString();
}

/** `key.path=value` edits, the value read as YAML (`search.sampler=tpe`, `budget.maxTrials=20`, `search.space.units={type: int, low: 8, high: 64}`). */
export function applySets(specText: string, sets: readonly string[]): string {
  const doc: Document = parseDocument(specText);
  doc.deleteIn(['search', 'enqueue']);
  for (const set of sets) {
    const at = set.indexOf('=');
    if (at <= 0) throw new LineageUsageError(`--set ${set}: expected key.path=value, e.g. search.sampler=tpe`);
    let value: unknown;
    try {
      value = parseYaml(set.slice(at + 1));
    } catch (err) {
      throw new LineageUsageError(`--set ${set}: the value is not YAML (${(err as Error).message.split('\n')[0]})`);
    }
    doc.setIn(set.slice(0, at).split('.'), value);
  }
  return doc.toString();
}

/** Continue a finished campaign with `trials` more trials: same spec, same MLflow experiment, numbering goes on. */
export async function extendFinishedCampaign(client: Client, mlflow: MlflowClient, parent: string, trials: number): Promise<Started> {
  const { specText, specDir } = await finishedCampaign(mlflow, parent);
  return startCampaignFromText(client, {
    specText: extensionSpec(specText, trials),
    specName: `${parent} (extended)`,
    ...(specDir ? { specDir } : {}),
    lineage: { kind: 'extend', parent },
  });
}

/** A new campaign from a finished one, with a new spec file or edits of the old spec; fitting old trials warm-start it. */
export async function forkCampaign(
  client: Client,
  mlflow: MlflowClient,
  parent: string,
  change: { specPath?: string; sets?: readonly string[] },
): Promise<Started> {
  if (change.specPath !== undefined && change.sets?.length) throw new LineageUsageError('fork: give either --spec or --set, not both');
  if (change.specPath !== undefined) {
    await finishedCampaign(mlflow, parent); // fail now, not in the workflow, when the parent is unknown or running
    const specText = await readFile(change.specPath, 'utf8');
    return startCampaignFromText(client, { specText, specName: change.specPath, specDir: resolve(dirname(change.specPath)), lineage: { kind: 'fork', parent } });
  }
  if (!change.sets?.length) throw new LineageUsageError('fork: give the change: --spec new.yaml, or --set key.path=value (repeatable)');
  const { specText, specDir } = await finishedCampaign(mlflow, parent);
  return startCampaignFromText(client, {
    specText: applySets(specText, change.sets),
    specName: `${parent} (fork)`,
    ...(specDir ? { specDir } : {}),
    lineage: { kind: 'fork', parent },
  });
}
