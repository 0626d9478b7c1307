// Temp folders for a test file, removed when the file's tests are done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Call at the top level of a test file: the folder is removed after all its tests. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tuneflow-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
