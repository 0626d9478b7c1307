// Where downloaded and generated data sets live. The same rule as cli/services/tools.ts and
// setup/paths.mjs: `$TUNEFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/tuneflow`, else `~/.cache/tuneflow`.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUNEFLOW_CACHE_DIR) return resolve(env.TUNEFLOW_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'tuneflow');
  return join(homedir(), '.cache', 'tuneflow');
}

/** `<cache>/datasets/<folder>`: one folder per data set (and per option set for generated ones). */
export function datasetCacheDir(folder: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'datasets', folder);
}
