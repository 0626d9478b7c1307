// Where the external programs (MLflow, Temporal CLI, chromium for the browser test) live. `npm run setup`
// installs them and records their paths in tools.json; an environment variable or PATH can override.
// The cache-folder rule mirrors setup/paths.mjs (an ES module that CommonJS code cannot import).
import { accessSync, constants, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { cacheDir } from '../../training/cache';

export { cacheDir };

export type ToolName = 'mlflow' | 'temporal' | 'chromium';

const ENV_VAR: Record<ToolName, string> = {
  mlflow: 'TUNEFLOW_MLFLOW_BIN',
  temporal: 'TUNEFLOW_TEMPORAL_BIN',
  chromium: 'TUNEFLOW_CHROMIUM',
};

export class ToolNotFoundError extends Error {
  override readonly name = 'ToolNotFoundError';
}

export function toolsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'tools.json');
}

/** The paths set-up recorded; an absent or unreadable file means set-up has not run. */
export function readToolsFile(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(toolsFile(env), 'utf8'));
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The absolute path of `name`: its variable (`$TUNEFLOW_<NAME>_BIN`; `$TUNEFLOW_CHROMIUM` for chromium),
 * else the path `npm run setup` recorded in tools.json, else the first `name` on PATH. Throws ToolNotFoundError telling the user what to run.
 * `recordedTools`: tools.json's entries, for a caller that has read them already.
 */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env, recordedTools = readToolsFile(env)): string {
  const envVar = ENV_VAR[name];
  const fromEnv = env[envVar];
  if (fromEnv) {
    const file = resolve(fromEnv);
    if (isExecutableFile(file)) return file;
    throw new ToolNotFoundError(`${envVar}=${fromEnv} is not an executable file; fix or unset it.`);
  }
  const recorded = recordedTools[name];
  if (recorded && isExecutableFile(recorded)) return recorded;
  const onPath = findOnPath(name, env);
  if (onPath) return onPath;
  const why = recorded
    ? `${toolsFile(env)} points to ${recorded}, which is missing`
    : `it is not in ${toolsFile(env)} nor on PATH`;
  throw new ToolNotFoundError(`Cannot find \`${name}\`: ${why}. Run \`npm run setup\` (or set ${envVar}).`);
}

const POSTGRES_PROGRAMS = ['initdb', 'postgres'];
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

const holdsPostgres = (dir: string) => POSTGRES_PROGRAMS.every((p) => isExecutableFile(join(dir, p)));

/**
 * The folder of PostgreSQL's server programs (initdb, postgres), by the rules of setup/postgres.mjs:
 * `$TUNEFLOW_POSTGRES_BIN_DIR`, else the folder set-up recorded (`postgresBinDir` in tools.json), else
 * Debian's newest `/usr/lib/postgresql/<version>/bin`, else the real folder of `initdb` on PATH.
 */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env, debianRoot = DEBIAN_POSTGRES_ROOT): string {
  const fromEnv = env.TUNEFLOW_POSTGRES_BIN_DIR;
  if (fromEnv) {
    if (holdsPostgres(resolve(fromEnv))) return resolve(fromEnv);
    throw new ToolNotFoundError(`TUNEFLOW_POSTGRES_BIN_DIR=${fromEnv} does not hold PostgreSQL's initdb and postgres; fix or unset it.`);
  }
  const recorded = readToolsFile(env).postgresBinDir;
  if (recorded && holdsPostgres(recorded)) return recorded;
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not Debian
  }
  for (const version of versions) {
    const dir = join(debianRoot, version, 'bin');
    if (holdsPostgres(dir)) return dir;
  }
  const initdb = findOnPath('initdb', env);
  if (initdb && holdsPostgres(dirname(realpathSync(initdb)))) return dirname(realpathSync(initdb));
  throw new ToolNotFoundError(
    'Cannot find PostgreSQL\'s server programs (initdb, postgres) for MLflow\'s database: run `npm run setup` '
    + '(as root it installs Debian\'s postgresql; otherwise `sudo apt-get install postgresql`), or set TUNEFLOW_POSTGRES_BIN_DIR.',
  );
}
