// Where set-up keeps things: the repository, the user's cache folder and tools.json, which tells the
// runtime (cli/) where the binaries are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from './util.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `$TUNEFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/tuneflow`, else `~/.cache/tuneflow`. */
export function cacheDir(env = process.env, homeDir = os.homedir()) {
  if (env.TUNEFLOW_CACHE_DIR) return path.resolve(env.TUNEFLOW_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'tuneflow');
  return path.join(homeDir, '.cache', 'tuneflow');
}

export function toolsFile(cache) {
  return path.join(cache, 'tools.json');
}

export function readTools(cache) {
  try {
    return JSON.parse(fs.readFileSync(toolsFile(cache), 'utf8'));
  } catch {
    return {};
  }
}

/** Merges `tools` into tools.json: entries of skipped steps keep what an earlier run found. */
export function writeTools(cache, tools) {
  const merged = { ...readTools(cache), ...tools };
  writeFileAtomically(toolsFile(cache), `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

/** The python used to create venvs and download wheels: `$TUNEFLOW_PYTHON`, else `python3`. */
export function systemPython(env = process.env) {
  return env.TUNEFLOW_PYTHON || 'python3';
}
