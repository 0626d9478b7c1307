// A trainable's files on its MLflow run: the whole output log as `logs/output.log`, and every file it
// wrote under its artifacts folder at the same relative path. Called after each segment; a file already
// uploaded unchanged (same size and modification time, noted in `.tuneflow/uploaded.json`) is skipped.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { MlflowClient } from '../mlflow/client';
import type { trainableDirs } from '../training';

type Dirs = ReturnType<typeof trainableDirs>;

/** Walked by hand: readdir's `recursive` and `parentPath` need a newer Node 20 than tuneflow's minimum. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [])));
  return nested.flat();
}

export async function uploadTrainableFiles(mlflow: MlflowClient, runId: string, dirs: Dirs): Promise<void> {
  const manifestFile = join(dirs.own, 'uploaded.json');
  const uploaded = JSON.parse(await readFile(manifestFile, 'utf8').catch(() => '{}')) as Record<string, string>;
  const wanted: [file: string, artifactPath: string][] = [
    [dirs.log, 'logs/output.log'],
    ...(await filesUnder(dirs.artifacts)).map((file): [string, string] => [file, relative(dirs.artifacts, file).split(sep).join('/')]),
  ];
  let changed = false;
  for (const [file, artifactPath] of wanted) {
    const info = await stat(file).catch(() => null);
    if (!info) continue;
    const version = `${info.size}:${info.mtimeMs}`;
    if (uploaded[artifactPath] === version) continue;
    await mlflow.logArtifact(runId, artifactPath, await readFile(file));
    uploaded[artifactPath] = version;
    changed = true;
  }
  if (changed) await writeFile(manifestFile, JSON.stringify(uploaded));
}
