// What the set-up step tests share: a fresh folder per test, and fake programs (shell scripts) that stand
// in for the network, package managers and tools.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temp folder for each test (with `subfolders` made inside), removed after it; call the result for its path. */
export function scratchFolder(prefix: string, subfolders: string[] = []): () => string {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const sub of subfolders) fs.mkdirSync(path.join(dir, sub));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** An executable shell script at `file` running `body` with only the system's own PATH. */
export function script(file: string, body: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\nexport PATH=/usr/bin:/bin\n${body}\n`, { mode: 0o755 });
  return file;
}

/** A set-up step's context: `repoRoot` the scratch folder, only `bin` on PATH; `messages` collects its progress lines. */
export function stepContext(folders: { tmp: string; cache: string; bin: string }, env: Record<string, string | undefined> = {}) {
  const messages: string[] = [];
  return { messages, ctx: { repoRoot: folders.tmp, cache: folders.cache, env: { PATH: folders.bin, ...env }, progress: (m: string) => messages.push(m) } };
}

/**
 * A system python at `<dir>/python3`: `-c ...` prints `version`; `-m venv DIR` says so on stdout and gives
 * DIR/bin the scripts `venvBin` names (file name -> body), as a venv's python, pip and tools.
 */
export function fakeSystemPython(dir: string, version: string, venvBin: Record<string, string>): string {
  const template = path.join(dir, 'venv-template', 'bin');
  for (const [name, body] of Object.entries(venvBin)) script(path.join(template, name), body);
  return script(path.join(dir, 'python3'), [
    `[ "$1" = -c ] && { echo ${version}; exit 0; }`,
    '[ "$1 $2" = "-m venv" ] || exit 2',
    'echo "created virtual environment $3"',
    `mkdir -p "$3" && cp -R '${template}' "$3/"`,
  ].join('\n'));
}
