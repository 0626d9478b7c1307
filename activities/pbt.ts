// Population-based training's side effects (docs/pbt.md): the exploit step copies a donor's checkpoint into
// its recipient's job folder, and each member's run records its hyperparameters per boundary (lineage).
//
// The copy is idempotent, keyed by (recipient, epoch): the donor's checkpoint is copied into a temporary
// folder next to the recipient's, a marker naming donor and epoch is written inside it, and the folder is
// renamed into place. A retry (the worker was killed) finds the marker and copies nothing; a worker killed
// before the rename leaves only a temporary folder, which the retry removes and copies anew. Either way the
// recipient ends with exactly one copy of the donor's checkpoint.
import { randomBytes } from 'node:crypto';
import { cp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import { logEpochMetrics } from '../mlflow/runs';
import type { CheckpointStore, StoredJob } from '../stores';
import { trainableDirs } from '../training';
import type { ExploitInput, ExploitOutput, PbtLineageInput } from './types';

/** Inside the copied folder: which donor and epoch it came from. */
export const EXPLOIT_MARKER = 'pbt-exploit.json';
const TEMP_PREFIX = '.tmp-pbt-';
const OLD_PREFIX = '.old-pbt-';

/** Tags on a member's run: its exploits (`<donor>@<epoch>`, comma-separated) and where its schedule is. */
export const PBT_TAGS = { exploits: 'tuneflow.pbt.exploits', lastDonor: 'tuneflow.pbt.last_donor' } as const;
export const PBT_SCHEDULE_ARTIFACT = 'pbt_schedule.json';

/** What a job's checkpoint at `epoch` is: tuneflow's engine keeps `epoch-<n>/`, a trainable its own `checkpoints/` folder. */
function checkpointOf(input: ExploitInput, jobDir: string): string {
  return input.spec.trainable ? trainableDirs(jobDir).checkpoints : join(jobDir, `epoch-${input.epoch}`);
}

interface Marker {
  donor: number;
  epoch: number;
}

async function readMarker(folder: string): Promise<Marker | null> {
  try {
    return JSON.parse(await readFile(join(folder, EXPLOIT_MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
}

/** Leftovers of an attempt killed mid-copy: no live attempt owns them (one exploit per recipient at a time). */
async function removeLeftovers(jobDir: string): Promise<void> {
  const names = await readdir(jobDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX) || n.startsWith(OLD_PREFIX))) await rm(join(jobDir, name), { recursive: true, force: true });
}

export async function exploitCheckpoint(store: CheckpointStore, donor: StoredJob, recipient: StoredJob, input: ExploitInput): Promise<ExploitOutput> {
  await store.restore(donor);
  await store.restore(recipient);
  const target = checkpointOf(input, recipient.dir);
  const done = await readMarker(target);
  if (done && done.donor === input.donor.trialNumber && done.epoch === input.epoch) {
    // Killed after the rename, before the store had it: saving again uploads only what it lacks.
    await store.save(recipient);
    return { copied: false, checkpoint: target };
  }
  await removeLeftovers(recipient.dir);
  const source = checkpointOf(input, donor.dir);
  const suffix = `${input.epoch}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = join(recipient.dir, `${TEMP_PREFIX}${suffix}`);
  try {
    await cp(source, temp, { recursive: true, errorOnExist: false });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${donor.name} has no checkpoint at epoch ${input.epoch} (${source}) to copy into ${recipient.name}`);
    throw error;
  }
  await writeFile(join(temp, EXPLOIT_MARKER), JSON.stringify({ donor: input.donor.trialNumber, epoch: input.epoch } satisfies Marker));
  // The recipient's own checkpoint moves aside first: a rename cannot replace a non-empty folder.
  const old = join(recipient.dir, `${OLD_PREFIX}${suffix}`);
  await rename(target, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(temp, target);
  await rm(old, { recursive: true, force: true });
  await store.save(recipient);
  return { copied: true, checkpoint: target };
}

const NUMERIC = (value: unknown): value is number | boolean => typeof value === 'number' || typeof value === 'boolean';

/**
 * A member's configuration from `epoch` on: numbers (and booleans as 0/1) as metrics `pbt.<name>` at step
 * `epoch`; the whole schedule, categoricals included, as `pbt_schedule.json`; the exploits as a tag. Every
 * write is idempotent: a step already logged is skipped, the artifact and the tag are rewritten whole.
 */
export async function logPbtLineage(mlflow: MlflowClient, input: PbtLineageInput): Promise<void> {
  const metrics = Object.fromEntries(
    Object.entries(input.params)
      .filter(([, v]) => NUMERIC(v))
      .map(([k, v]) => [`pbt.${k}`, Number(v)]),
  );
  await logEpochMetrics(mlflow, input.runId, [{ epoch: input.epoch, endedAt: Date.now(), metrics }]);
  const last = input.exploits.at(-1);
  if (last) {
    const tags = { [PBT_TAGS.exploits]: input.exploits.map((e) => `${e.donor}@${e.epoch}`).join(','), [PBT_TAGS.lastDonor]: String(last.donor) };
    await mlflow.logBatch({ runId: input.runId, tags });
  }
  await mlflow.logArtifact(input.runId, PBT_SCHEDULE_ARTIFACT, JSON.stringify({ schedule: input.schedule, exploits: input.exploits }, null, 1));
}
