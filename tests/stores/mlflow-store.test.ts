// The MLflow checkpoint store against the real MLflow server: two workers' caches (separate folders)
// synced through one run's artifacts, only changed files moved, removals mirrored, a writer killed
// mid-upload never read as a checkpoint, a damaged blob refused, clean-up, and the doctor's probe.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../cli/services/process';
import { MlflowClient } from '../../mlflow/client';
import { blobPath, createCheckpointStore, MANIFEST_PATH, STORE_PREFIX, type StoredJob } from '../../stores';
import { parseManifest } from '../../stores/manifest';
import { until } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const trackingUri = inject('mlflowTrackingUri');
const mlflow = new MlflowClient({ trackingUri });
const workerA = tempDir('store-a');
const workerB = tempDir('store-b');
const storeA = createCheckpointStore({ kind: 'mlflow', root: workerA, mlflow, ignore: (p) => p.startsWith('model/') });
const storeB = createCheckpointStore({ kind: 'mlflow', root: workerB, mlflow, ignore: (p) => p.startsWith('model/') });
let experimentId = '';

beforeAll(async () => {
  experimentId = await mlflow.createExperiment(`store-${randomUUID().slice(0, 8)}`);
});

/** A job with its run, and its folder under each worker's cache. */
async function newJob(name: string): Promise<{ a: StoredJob; b: StoredJob; runId: string }> {
  const runId = (await mlflow.createRun({ experimentId, runName: name })).info.runId;
  return { runId, a: { dir: join(workerA, name), runId, name }, b: { dir: join(workerB, name), runId, name } };
}

function write(dir: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

const read = (dir: string, path: string) => readFileSync(join(dir, path), 'utf8');
const storedFiles = async (runId: string, path = `${STORE_PREFIX}/blobs`) => (await mlflow.listArtifacts(runId, path)).map((f) => f.path);

describe('the mlflow checkpoint store', () => {
  it('restores on another worker exactly what was saved, moving only what changed', async () => {
    const { a, b, runId } = await newJob('sync');
    write(a.dir, { 'epoch-1/model.json': '{"topology":1}', 'epoch-1/weights.bin': randomBytes(4096), 'model/exported.json': 'not mirrored' });
    const first = await storeA.save(a);
    expect(first).toMatchObject({ files: 2, requests: 3 }); // two blobs, then the manifest
    expect(await storeA.save(a)).toMatchObject({ files: 0, requests: 0 }); // nothing changed: no request

    const restored = await storeB.restore(b);
    expect(restored).toMatchObject({ files: 2, requests: 3, bytes: 4096 + 14 });
    expect(read(b.dir, 'epoch-1/model.json')).toBe('{"topology":1}');
    expect(readFileSync(join(b.dir, 'epoch-1/weights.bin'))).toEqual(readFileSync(join(a.dir, 'epoch-1/weights.bin')));
    expect(existsSync(join(b.dir, 'model'))).toBe(false);
    expect(await storeB.restore(b)).toMatchObject({ files: 0, requests: 1 }); // in sync: the manifest only

    // B trains epoch 2 (same topology: model.json's blob is shared) and the engine drops epoch 1.
    write(b.dir, { 'epoch-2/model.json': '{"topology":1}', 'epoch-2/weights.bin': randomBytes(4096) });
    rmSync(join(b.dir, 'epoch-1'), { recursive: true });
    const second = await storeB.save(b);
    expect(second).toMatchObject({ files: 1, bytes: 4096 });
    expect(second.requests).toBe(3); // one blob, the manifest, the deleted old weights
    expect(await storeA.restore(a)).toMatchObject({ files: 2, removed: 2 });
    expect(existsSync(join(a.dir, 'epoch-1'))).toBe(false); // mirrored removal, empty folder gone
    expect(read(a.dir, 'epoch-2/model.json')).toBe('{"topology":1}');
    expect(await storedFiles(runId)).toHaveLength(2);
    const manifest = parseManifest((await mlflow.downloadArtifact(runId, MANIFEST_PATH)).toString(), 'manifest');
    expect(manifest.generation).toBe(2);
    expect(Object.keys(manifest.files)).toEqual(['epoch-2/model.json', 'epoch-2/weights.bin']);
  });

  it('keeps what this worker wrote but never published, and removes what the store removed', async () => {
    const { a, b } = await newJob('unpublished');
    write(a.dir, { 'epoch-1/w.bin': 'one', 'epoch-2/w.bin': 'two' });
    await storeA.save(a);
    await storeB.restore(b);
    write(a.dir, { 'epoch-3/w.bin': 'three (written, then the worker was killed before its upload)' });
    rmSync(join(b.dir, 'epoch-1'), { recursive: true });
    await storeB.save(b);
    await storeA.restore(a);
    expect(existsSync(join(a.dir, 'epoch-1'))).toBe(false);
    expect(read(a.dir, 'epoch-3/w.bin')).toMatch(/^three/);
  });

  it('never reads a partial upload: blobs without their manifest are ignored', async () => {
    const { a, b, runId } = await newJob('partial');
    write(a.dir, { 'state.json': '{"epoch":1}' });
    await storeA.save(a);
    // A writer killed after its blobs and before its manifest: the blob is there, the manifest is the old one.
    await mlflow.logArtifact(runId, blobPath('f'.repeat(64)), '{"epoch":2}');
    await storeB.restore(b);
    expect(read(b.dir, 'state.json')).toBe('{"epoch":1}');
  });

  it('a worker process killed with SIGKILL in the middle of its upload leaves the previous checkpoint readable', async () => {
    const { a, b, runId } = await newJob('killed-upload');
    write(a.dir, { 'state.json': '{"epoch":1}', 'weights.bin': randomBytes(1024) });
    await storeA.save(a);
    const before = readFileSync(join(a.dir, 'weights.bin'));
    // The next epoch: 60 files of 512 KiB, uploaded by another process that is killed once blobs start arriving.
    const next: Record<string, Buffer | string> = { 'state.json': '{"epoch":2}', 'weights.bin': randomBytes(1024) };
    for (let i = 0; i < 60; i++) next[`shards/${i}.bin`] = randomBytes(512 * 1024);
    write(a.dir, next);
    const script = `require(${JSON.stringify(join(root, 'dist', 'stores'))}).createCheckpointStore({ kind: 'mlflow', root: ${JSON.stringify(workerA)}, mlflow: new (require(${JSON.stringify(join(root, 'dist', 'mlflow', 'client'))}).MlflowClient)({ trackingUri: ${JSON.stringify(trackingUri)} }) }).save(${JSON.stringify(a)}).then(() => process.exit(0))`;
    const writer = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => writer.once('exit', (code) => resolve(code)));
    await until('the killed writer to upload some blobs', async () => ((await storedFiles(runId)).length >= 5 ? true : undefined), 30_000);
    writer.kill('SIGKILL');
    expect(await exited).toBeNull(); // killed, not finished
    expect((await storedFiles(runId)).length).toBeLessThan(63); // it did not get to the manifest

    await storeB.restore(b);
    expect(read(b.dir, 'state.json')).toBe('{"epoch":1}');
    expect(readFileSync(join(b.dir, 'weights.bin'))).toEqual(before);
    expect(existsSync(join(b.dir, 'shards'))).toBe(false);
    // The next save from the killed worker's folder completes the upload.
    expect((await storeA.save(a)).files).toBeGreaterThan(0);
    await storeB.restore(b);
    expect(read(b.dir, 'state.json')).toBe('{"epoch":2}');
  }, 60_000);

  it('refuses a stored file that does not match its manifest', async () => {
    const { a, b, runId } = await newJob('damaged');
    write(a.dir, { 'weights.bin': 'good weights' });
    await storeA.save(a);
    const manifest = parseManifest((await mlflow.downloadArtifact(runId, MANIFEST_PATH)).toString(), 'manifest');
    await mlflow.logArtifact(runId, blobPath(manifest.files['weights.bin']!.sha256), 'bad weights!');
    await expect(storeB.restore(b)).rejects.toThrow(/damaged: the stored copy of weights.bin .* does not match its manifest \(12 bytes, expected 12\)/);
  });

  it('removes the job from the store and from the cache', async () => {
    const { a, runId } = await newJob('removed');
    write(a.dir, { 'weights.bin': 'w' });
    await storeA.save(a);
    await mlflow.logArtifact(runId, 'logs/output.log', 'kept: not a checkpoint');
    await storeA.remove(a);
    expect((await mlflow.listArtifacts(runId)).map((f) => f.path)).toEqual(['logs']);
    expect(existsSync(a.dir)).toBe(false);
  });

  it('probes the server: a working one passes, a wrong one fails with a clear message', async () => {
    await expect(storeA.probe()).resolves.toBeUndefined();
    const port = await freePort(); // nothing listens there
    const nowhere = createCheckpointStore({ kind: 'mlflow', root: workerA, mlflow: new MlflowClient({ trackingUri: `http://127.0.0.1:${port}` }) });
    await expect(nowhere.probe()).rejects.toThrow(
      new RegExp(`the MLflow checkpoint store could not write a probe at http://127\\.0\\.0\\.1:${port}/api/2\\.0/mlflow-artifacts/artifacts/tuneflow-doctor/probe-.*ECONNREFUSED.*--serve-artifacts`),
    );
  });
});
