// The MLflow store: a job folder mirrored to its own run's artifacts, through the tracking server's
// artifact proxy, so a worker needs only the Temporal and MLflow endpoints. Under the run:
//   tuneflow-checkpoints/blobs/<sha256>   one per distinct file content
//   tuneflow-checkpoints/manifest.json    path → size, mtime, sha256; written last
// A save uploads the blobs the published manifest lacks, then the new manifest (MLflow's artifact
// repositories publish each file whole), then deletes blobs nothing points to any more (best effort).
// A restore reads the manifest and downloads only the files the local folder lacks or holds otherwise,
// each checked against its hash. Blobs without a manifest (a writer killed mid-upload) are never read.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import type { MlflowClient } from '../mlflow/client';
import { MlflowError } from '../mlflow/client';
import { readForUpload, readState, removeFile, scanFolder, sha256Of, writeRestored, writeState } from './folder';
import { blobsOf, blobsToUpload, isUnchanged, obsoleteBlobs, parseManifest, planRestore, type FileMap, type Manifest } from './manifest';
import { CheckpointStoreError, NO_TRANSFER, type CheckpointStore, type StoredJob, type TransferStats } from './types';

export const STORE_PREFIX = 'tuneflow-checkpoints';
export const MANIFEST_PATH = `${STORE_PREFIX}/manifest.json`;
export const blobPath = (sha256: string): string => `${STORE_PREFIX}/blobs/${sha256}`;

/** Transfers in flight at once per save or restore: enough to hide latency, few enough for a small server. */
const PARALLEL_TRANSFERS = 4;

export interface MlflowStoreOptions {
  mlflow: MlflowClient;
  /** The local checkpoint root: this worker's cache. */
  root: string;
  /** Paths (relative to the job folder, `/`-separated) never mirrored, e.g. an exported copy of the model. */
  ignore?: (path: string) => boolean;
  /** Problems that do not fail the call (a blob that could not be deleted). */
  warn?: (message: string) => void;
}

async function inParallel<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_TRANSFERS, items.length) }, lane));
}

const isNotFound = (error: unknown): boolean => error instanceof MlflowError && (error.status === 404 || error.errorCode === 'RESOURCE_DOES_NOT_EXIST');
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function runOf(job: StoredJob): string {
  if (!job.runId) throw new CheckpointStoreError(`the MLflow checkpoint store needs the MLflow run of ${job.name}`);
  return job.runId;
}

export function mlflowStore(opts: MlflowStoreOptions): CheckpointStore {
  const { mlflow } = opts;
  const ignore = opts.ignore ?? (() => false);
  const warn = opts.warn ?? (() => undefined);
  const writer = `${hostname()}:${process.pid}`;

  /** The published manifest, or null when the job has none yet. One request. */
  async function readManifest(job: StoredJob, runId: string): Promise<Manifest | null> {
    let text: string;
    try {
      text = (await mlflow.downloadArtifact(runId, MANIFEST_PATH)).toString('utf8');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
    return parseManifest(text, `the checkpoint manifest of ${job.name} (run ${runId}, artifact ${MANIFEST_PATH})`);
  }

  return {
    kind: 'mlflow',
    remote: true,
    location: `${mlflow.trackingUri} (each job's run, artifacts under ${STORE_PREFIX}/; local cache ${opts.root})`,

    async restore(job): Promise<TransferStats> {
      const started = performance.now();
      const runId = runOf(job);
      const remote = await readManifest(job, runId);
      const stats = { ...NO_TRANSFER, requests: 1 };
      const state = await readState(job.dir);
      if (!remote) {
        // Nothing published yet (a first segment), or the store lost it: what the folder has stays, and
        // the next save publishes all of it.
        if (state.known) await writeState(job.dir, { ...state, known: null });
        return { ...stats, ms: performance.now() - started };
      }
      const local = await scanFolder(job.dir, state.hashes, ignore);
      const plan = planRestore(remote, local, state.known);
      // The manifest is recorded before any file arrives: after a kill mid-restore, the next restore
      // knows the half-written files came from the store and replaces or removes them.
      await writeState(job.dir, { known: remote, hashes: local });
      for (const path of plan.remove) {
        await removeFile(job.dir, path);
        delete local[path];
        stats.removed += 1;
      }
      await inParallel(plan.download, async ({ path, entry }) => {
        const content = await mlflow.downloadArtifact(runId, blobPath(entry.sha256));
        stats.requests += 1;
        if (sha256Of(content) !== entry.sha256 || content.length !== entry.size) {
          throw new CheckpointStoreError(
            `${job.name}: the stored copy of ${path} (run ${runId}, ${blobPath(entry.sha256)}) does not match its manifest ` +
              `(${content.length} bytes, expected ${entry.size}); the checkpoint store of this job is damaged`,
          );
        }
        const mtimeMs = await writeRestored(job.dir, path, content, entry.mtimeMs);
        local[path] = { size: entry.size, mtimeMs, sha256: entry.sha256 };
        stats.files += 1;
        stats.bytes += content.length;
      });
      await writeState(job.dir, { known: remote, hashes: local });
      return { ...stats, ms: performance.now() - started };
    },

    async save(job): Promise<TransferStats> {
      const started = performance.now();
      const runId = runOf(job);
      const state = await readState(job.dir);
      const local = await scanFolder(job.dir, state.hashes, ignore);
      if (isUnchanged(local, state.known)) {
        await writeState(job.dir, { known: state.known, hashes: local });
        return { ...NO_TRANSFER, ms: performance.now() - started };
      }
      const stats = { ...NO_TRANSFER };
      const stored = blobsOf(state.known?.files ?? {});
      // A file that changes between the scan and its upload is uploaded as read and listed as read; a
      // second round uploads what such a change left without a blob (another path with its old content).
      for (let round = 0; round < 3; round++) {
        const uploads = blobsToUpload(local, stored);
        if (uploads.length === 0) break;
        await inParallel(uploads, async ({ sha256, path }) => {
          // Read once: what is uploaded is what is hashed.
          const read = await readForUpload(job.dir, path);
          if (!read) {
            delete local[path]; // removed since the scan
            return;
          }
          if (read.sha256 !== sha256) local[path] = { size: read.content.length, mtimeMs: -1, sha256: read.sha256 }; // hashed again next time
          if (stored.has(read.sha256)) return;
          stored.add(read.sha256);
          await mlflow.logArtifact(runId, blobPath(read.sha256), read.content);
          stats.requests += 1;
          stats.files += 1;
          stats.bytes += read.content.length;
        });
      }
      if (blobsToUpload(local, stored).length > 0) throw new CheckpointStoreError(`${job.name}: its files kept changing while they were uploaded; the next save tries again`);
      const manifest: Manifest = { format: 1, generation: (state.known?.generation ?? 0) + 1, writer, writtenAt: Date.now(), files: sortedFiles(local) };
      await mlflow.logArtifact(runId, MANIFEST_PATH, JSON.stringify(manifest));
      stats.requests += 1;
      await writeState(job.dir, { known: manifest, hashes: local });
      // Only now may the previous manifest's blobs go; a failure leaves garbage, never a broken checkpoint.
      for (const sha256 of obsoleteBlobs(state.known, local)) {
        try {
          await mlflow.deleteArtifact(runId, blobPath(sha256));
          stats.requests += 1;
        } catch (error) {
          warn(`${job.name}: could not delete the stored blob ${blobPath(sha256)} of run ${runId}: ${messageOf(error)}`);
        }
      }
      return { ...stats, ms: performance.now() - started };
    },

    async remove(job): Promise<void> {
      if (job.runId) await mlflow.deleteArtifact(job.runId, STORE_PREFIX);
      await rm(job.dir, { recursive: true, force: true });
    },

    async probe(): Promise<void> {
      const path = `tuneflow-doctor/probe-${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-${randomBytes(4).toString('hex')}.txt`;
      const text = `tuneflow doctor ${new Date().toISOString()}`;
      let step = 'write';
      try {
        await mlflow.putProxiedArtifact(path, text);
        step = 'read back';
        const read = (await mlflow.getProxiedArtifact(path)).toString('utf8');
        if (read !== text) throw new Error(`read ${read.length} bytes that differ from the ${text.length} written`);
        step = 'delete';
        await mlflow.deleteProxiedArtifact(path);
      } catch (error) {
        throw new CheckpointStoreError(
          `the MLflow checkpoint store could not ${step} a probe at ${mlflow.trackingUri}/api/2.0/mlflow-artifacts/artifacts/${path}: ${messageOf(error)}. ` +
            'It needs a tracking server that proxies artifacts (`mlflow server --serve-artifacts`, the default since MLflow 2) and credentials that may write them.',
        );
      }
    },
  };
}

function sortedFiles(files: FileMap): FileMap {
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}
