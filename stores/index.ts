// Checkpoint stores (see types.ts): where a job folder's durable copy lives, chosen by
// TUNEFLOW_CHECKPOINT_STORE (cli/config.ts). docs/checkpoint-stores.md explains both.
import type { MlflowClient } from '../mlflow/client';
import { localStore } from './local';
import { mlflowStore } from './mlflow';
import { STORE_KINDS, type CheckpointStore, type StoreKind } from './types';

export { localStore } from './local';
export { mlflowStore, MANIFEST_PATH, STORE_PREFIX, blobPath } from './mlflow';
export { addStats, CheckpointStoreError, NO_TRANSFER, STORE_KINDS, type CheckpointStore, type StoredJob, type StoreKind, type TransferStats } from './types';

/** `local`, `mlflow`, or a clear error naming the variable. */
export function parseStoreKind(value: string | undefined, variable = 'TUNEFLOW_CHECKPOINT_STORE'): StoreKind {
  if (value === undefined || value.trim() === '') return 'local';
  const kind = value.trim().toLowerCase();
  if ((STORE_KINDS as readonly string[]).includes(kind)) return kind as StoreKind;
  throw new Error(`${variable}=${JSON.stringify(value)}: the checkpoint store must be one of ${STORE_KINDS.join(', ')}`);
}

export interface StoreSettings {
  kind: StoreKind;
  /** The local checkpoint root (TUNEFLOW_CHECKPOINT_DIR): the store itself (local) or this worker's cache (mlflow). */
  root: string;
  /** Needed by the mlflow store only. */
  mlflow?: MlflowClient;
  ignore?: (path: string) => boolean;
  warn?: (message: string) => void;
}

export function createCheckpointStore(settings: StoreSettings): CheckpointStore {
  if (settings.kind === 'local') return localStore(settings.root);
  if (!settings.mlflow) throw new Error('the mlflow checkpoint store needs the MLflow server (MLFLOW_TRACKING_URI)');
  return mlflowStore({
    mlflow: settings.mlflow,
    root: settings.root,
    ...(settings.ignore ? { ignore: settings.ignore } : {}),
    ...(settings.warn ? { warn: settings.warn } : {}),
  });
}
