// The checkpoint store behind the training activities. Training always works on a local job folder
// (`<checkpoint root>/<campaign>/<job>`); the store decides where that folder's durable copy lives:
// - `local`: the folder is the copy (a shared file system, or one machine);
// - `mlflow`: the job's own MLflow run artifacts, through the tracking server's artifact proxy, with the
//   local folder as this worker's cache.

export const STORE_KINDS = ['local', 'mlflow'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface StoredJob {
  /** The local job folder the training processes read and write. */
  dir: string;
  /** The job's MLflow run (where the mlflow store keeps its files); absent when the run is unknown (nothing remote to touch). */
  runId?: string;
  /** For messages: `trial-3 of campaign-x`. */
  name: string;
}

/** What one call moved: files and bytes, requests made, local files removed, milliseconds. */
export interface TransferStats {
  files: number;
  bytes: number;
  requests: number;
  removed: number;
  ms: number;
}

export const NO_TRANSFER: TransferStats = { files: 0, bytes: 0, requests: 0, removed: 0, ms: 0 };

export function addStats(a: TransferStats, b: TransferStats): TransferStats {
  return { files: a.files + b.files, bytes: a.bytes + b.bytes, requests: a.requests + b.requests, removed: a.removed + b.removed, ms: a.ms + b.ms };
}

export interface CheckpointStore {
  readonly kind: StoreKind;
  /** Whether it keeps the files elsewhere than the local folder (then `remove` needs the job's run). */
  readonly remote: boolean;
  /** Where the durable copies are, for messages and `tuneflow doctor` (no credentials). */
  readonly location: string;
  /** Before a segment or an evaluation: the local folder gets what the store has that it lacks. */
  restore(job: StoredJob): Promise<TransferStats>;
  /** After an epoch (and a segment): the store gets what changed in the local folder, atomically. */
  save(job: StoredJob): Promise<TransferStats>;
  /** The job is over: its files go from the store and from the local folder. */
  remove(job: StoredJob): Promise<void>;
  /** Writes, reads back and deletes a small probe; throws a clear error when it cannot. */
  probe(): Promise<void>;
}

export class CheckpointStoreError extends Error {
  override name = 'CheckpointStoreError';
}
