// The manifest and sync plans of the remote checkpoint store (pure functions).
import { describe, expect, it } from 'vitest';
import { isSafeRelativePath, ManifestError, parseManifest, planRestore, planUpload, type FileMap, type Manifest } from '../../stores/manifest';

const sha = (c: string) => c.repeat(64);
const entry = (c: string, size = 10) => ({ size, mtimeMs: 1000, sha256: sha(c) });
const manifest = (generation: number, files: FileMap): Manifest => ({ format: 1, generation, writer: 'test', writtenAt: 0, files });

describe('parseManifest', () => {
  it('reads back what a writer wrote', () => {
    const m = manifest(3, { 'epoch-2/weights.bin': entry('a'), 'epoch-2/state.json': entry('b', 0) });
    expect(parseManifest(JSON.stringify(m), 'm')).toEqual(m);
  });

  it.each([
    ['{"format": 1, "generation": 1, "fi', /m: not JSON/],
    ['[]', /m: not a JSON object/],
    ['{"format": 2, "generation": 1, "files": {}}', /format 2, this tuneflow reads format 1/],
    ['{"format": 1, "generation": 0, "files": {}}', /"generation" must be an integer >= 1/],
    ['{"format": 1, "generation": 1}', /"files" must be an object/],
    [JSON.stringify(manifest(1, { '../escape': entry('a') })), /file "..\/escape" is not a relative path inside the job folder/],
    [JSON.stringify(manifest(1, { '/abs': entry('a') })), /file "\/abs" is not a relative path/],
    [JSON.stringify(manifest(1, { 'a//b': entry('a') })), /not a relative path/],
    [JSON.stringify(manifest(1, { a: { ...entry('a'), sha256: 'xyz' } })), /file "a": "sha256" must be 64 lowercase hex digits/],
    [JSON.stringify(manifest(1, { a: { ...entry('a'), size: -1 } })), /file "a": "size" must be an integer >= 0/],
  ])('refuses %s', (text, message) => {
    expect(() => parseManifest(text, 'm')).toThrow(ManifestError);
    expect(() => parseManifest(text, 'm')).toThrow(message);
  });

  it('knows a path inside the job folder', () => {
    expect(isSafeRelativePath('epoch-3/model.json')).toBe(true);
    expect(isSafeRelativePath('.tuneflow/reports.jsonl')).toBe(true);
    for (const bad of ['', '.', 'a/./b', 'a/../b', '/a', 'a\\b', 'a/']) expect(isSafeRelativePath(bad)).toBe(false);
  });
});

describe('planUpload', () => {
  it('uploads everything the first time, one blob per distinct content', () => {
    const plan = planUpload({ 'epoch-1/model.json': entry('a'), 'epoch-2/model.json': entry('a'), 'epoch-2/weights.bin': entry('b') }, null);
    expect(plan).toEqual({ unchanged: false, uploads: [{ sha256: sha('a'), path: 'epoch-1/model.json' }, { sha256: sha('b'), path: 'epoch-2/weights.bin' }], obsolete: [] });
  });

  it('makes no request when nothing changed', () => {
    const files = { 'epoch-1/weights.bin': entry('a') };
    expect(planUpload(files, manifest(4, files))).toEqual({ unchanged: true, uploads: [], obsolete: [] });
  });

  it('uploads only new content, and drops blobs nothing points to any more', () => {
    const before = manifest(1, { 'epoch-1/model.json': entry('a'), 'epoch-1/weights.bin': entry('b') });
    // The next epoch: same topology (model.json), new weights; epoch 1 removed by the engine.
    const plan = planUpload({ 'epoch-2/model.json': entry('a'), 'epoch-2/weights.bin': entry('c') }, before);
    expect(plan.uploads).toEqual([{ sha256: sha('c'), path: 'epoch-2/weights.bin' }]);
    expect(plan.obsolete).toEqual([sha('b')]);
  });

  it('a removal alone changes the manifest but uploads no blob', () => {
    const before = manifest(1, { 'epoch-1/weights.bin': entry('a'), 'epoch-2/weights.bin': entry('b') });
    expect(planUpload({ 'epoch-2/weights.bin': entry('b') }, before)).toEqual({ unchanged: false, uploads: [], obsolete: [sha('a')] });
  });
});

describe('planRestore', () => {
  const remote = manifest(5, { 'epoch-4/weights.bin': entry('d'), 'epoch-2/weights.bin': entry('b'), '.tuneflow/reports.jsonl': entry('r') });

  it('downloads only what the local folder lacks or holds otherwise', () => {
    const local = { 'epoch-2/weights.bin': entry('b'), '.tuneflow/reports.jsonl': entry('q') };
    expect(planRestore(remote, local, null).download.map((d) => d.path)).toEqual(['.tuneflow/reports.jsonl', 'epoch-4/weights.bin']);
  });

  it('removes what a later writer removed, keeps what this worker never published', () => {
    const known = manifest(3, { 'epoch-2/weights.bin': entry('b'), 'epoch-3/weights.bin': entry('c') });
    const local = { 'epoch-2/weights.bin': entry('b'), 'epoch-3/weights.bin': entry('c'), 'epoch-5/weights.bin': entry('e') };
    const plan = planRestore(remote, local, known);
    expect(plan.remove).toEqual(['epoch-3/weights.bin']);
    expect(plan.download.map((d) => d.path)).toEqual(['.tuneflow/reports.jsonl', 'epoch-4/weights.bin']);
  });

  it('a folder already in sync needs nothing', () => {
    expect(planRestore(remote, { ...remote.files }, remote)).toEqual({ download: [], remove: [] });
  });
});
