// Where set-up keeps things: the repository, the user's cache folder and tools.json, which tells the
// runtime (cli/) where the binaries are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError, run, writeFileAtomically } from './util.mjs';

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

/**
 * Throws a SetupError unless `python` runs and is at least `[major, minor]`; `needs` names what needs
 * it ("MLflow 3.17.2") and `otherwise` is added to the advice (e.g. how to skip the step).
 */
export async function requirePython(python, [minMajor, minMinor], needs, otherwise = '') {
  let version;
  try {
    version = (await run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'])).trim();
  } catch (err) {
    throw new SetupError(`cannot run Python (set TUNEFLOW_PYTHON to choose one): ${err.message}`);
  }
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    throw new SetupError(`${needs} needs Python >= ${minMajor}.${minMinor} but ${python} is ${version} (set TUNEFLOW_PYTHON to choose another${otherwise})`);
  }
}
