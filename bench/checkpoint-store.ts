// What the MLflow checkpoint store costs per checkpoint size: `npm run bench:store`. A local MLflow
// server gets one job's checkpoint (an engine-shaped epoch folder: weights a third, optimizer state two
// thirds, three small JSON files) saved by one worker's store, then restored by another worker's (separate
// folder), then restored again with its cache current; then the next epoch (new weights, optimizer and
// state) is saved. Prints requests, bytes and milliseconds of each.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { MlflowClient } from '../mlflow/client';
import { createCheckpointStore, type StoredJob, type TransferStats } from '../stores';
import { machine, table } from './table';

const SIZES_MIB = [0.45, 5, 50];

function writeEpoch(dir: string, epoch: number, bytes: number): void {
  const folder = join(dir, `epoch-${epoch}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'weights.bin'), randomBytes(Math.round(bytes / 3)));
  writeFileSync(join(folder, 'optimizer.bin'), randomBytes(Math.round((2 * bytes) / 3)));
  writeFileSync(join(folder, 'model.json'), JSON.stringify({ topology: 'the same every epoch' }).padEnd(3000));
  writeFileSync(join(folder, 'optimizer.json'), JSON.stringify({ className: 'Adam' }).padEnd(1000));
  writeFileSync(join(folder, 'state.json'), JSON.stringify({ epoch }).padEnd(2000));
}

const cell = (s: TransferStats) => `${s.requests} req, ${(s.bytes / 2 ** 20).toFixed(2)} MiB, ${s.ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-store-'));
  const server = await startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') });
  try {
    const mlflow = new MlflowClient({ trackingUri: server.url });
    const experimentId = await mlflow.createExperiment('bench-store');
    const rows: string[][] = [];
    for (const mib of SIZES_MIB) {
      const runId = (await mlflow.createRun({ experimentId })).info.runId;
      await mlflow.getRun(runId); // the artifact root lookup happens once per run: not part of the figures
      const job = (worker: string): StoredJob => ({ dir: join(dir, worker, String(mib)), runId, name: `${mib} MiB` });
      const storeOf = (worker: string) => createCheckpointStore({ kind: 'mlflow', root: join(dir, worker), mlflow });
      const [a, b] = [storeOf('a'), storeOf('b')];
      const bytes = Math.round(mib * 2 ** 20);
      writeEpoch(job('a').dir, 1, bytes);
      const first = await a.save(job('a'));
      const restore = await b.restore(job('b'));
      const again = await b.restore(job('b'));
      writeEpoch(job('b').dir, 2, bytes);
      const next = await b.save(job('b'));
      rows.push([String(mib), cell(first), cell(restore), cell(again), cell(next)]);
    }
    console.log(`MLflow checkpoint store by checkpoint size (${machine()}; a local MLflow server)`);
    console.log(table(['checkpoint MiB', 'first save', 'restore elsewhere', 'restore, cache current', 'next epoch save'], rows));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
