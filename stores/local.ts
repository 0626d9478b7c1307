// The local store: the job folder is the checkpoint. Workers that may resume each other's trials must
// mount the same checkpoint root (TUNEFLOW_CHECKPOINT_DIR).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointStoreError, NO_TRANSFER, type CheckpointStore } from './types';

export function localStore(root: string): CheckpointStore {
  return {
    kind: 'local',
    remote: false,
    location: root,
    restore: async () => NO_TRANSFER,
    save: async () => NO_TRANSFER,
    async remove(job) {
      await rm(job.dir, { recursive: true, force: true });
    },
    async probe() {
      const file = join(root, `.doctor-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
      const text = `tuneflow doctor ${new Date().toISOString()}`;
      try {
        await mkdir(root, { recursive: true });
        await writeFile(file, text);
        if ((await readFile(file, 'utf8')) !== text) throw new Error('the probe read back differs from what was written');
        await rm(file);
      } catch (error) {
        await rm(file, { force: true }).catch(() => undefined);
        throw new CheckpointStoreError(`the checkpoint folder ${root} is not writable: ${error instanceof Error ? error.message : String(error)} (set TUNEFLOW_CHECKPOINT_DIR)`);
      }
    },
  };
}
