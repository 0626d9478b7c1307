// Step 4: PostgreSQL for MLflow's database backend (`tuneflow run --db postgres`, docs/postgres.md).
// Two parts:
// - PostgreSQL's server programs (initdb, postgres): `$TUNEFLOW_POSTGRES_BIN_DIR`, else Debian's
//   newest `/usr/lib/postgresql/<version>/bin`, else the folder of `initdb` on PATH, else, as root where
//   apt-get exists, `apt-get update` and `apt-get install -y --no-install-recommends postgresql`,
//   else a SetupError saying what to install. apt owns that install; tools.json records the folder.
//   As root it also makes sure the unprivileged `postgres` user exists: initdb and postgres refuse
//   to run as root, so cli/services/postgres.ts runs them as that user.
// - The driver MLflow's SQLAlchemy store needs, psycopg2-binary (pinned, wheels only), in MLflow's
//   venv. A marker file inside the venv records it: the MLflow step recreates the venv whole, marker
//   included, so a new MLflow always gets the driver again.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { mlflowPaths } from './mlflow.mjs';
import { SetupError, pipInstall, run, whichOnPath } from './util.mjs';

export const PSYCOPG2_VERSION = '2.9.13';
export const DRIVER = `psycopg2-binary==${PSYCOPG2_VERSION}`;
/** The programs tuneflow runs from the folder; the client programs (psql, pg_isready) are optional. */
const SERVER_PROGRAMS = ['initdb', 'postgres'];
const DEBIAN_ROOT = '/usr/lib/postgresql';
const SERVICE_USER = 'postgres';
const INSTALL_HINT = 'install Debian\'s postgresql (`sudo apt-get install --no-install-recommends postgresql`), '
  + 'or set TUNEFLOW_POSTGRES_BIN_DIR to the folder holding initdb and postgres';

const isExecutable = (file) => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** `postgres --version` of a folder holding the server programs ("15.18"), or null when it is not one or they do not run. */
async function serverVersion(dir) {
  if (!SERVER_PROGRAMS.every((name) => isExecutable(path.join(dir, name)))) return null;
  try {
    const out = (await run(path.join(dir, 'postgres'), ['--version'])).trim(); // "postgres (PostgreSQL) 15.18 (Debian ...)"
    return /\(PostgreSQL\) (\S+)/.exec(out)?.[1] ?? out;
  } catch {
    return null;
  }
}

/** Debian's version folders, newest first (`/usr/lib/postgresql/15/bin`, ...). */
function debianBinDirs(root) {
  let entries = [];
  try {
    entries = fs.readdirSync(root).filter((e) => /^\d+(\.\d+)?$/.test(e));
  } catch {
    return [];
  }
  return entries.sort((a, b) => Number(b) - Number(a)).map((v) => path.join(root, v, 'bin'));
}

/** The first folder with working server programs, as `{ dir, version, source }`, or null. A broken explicit choice fails. */
export async function findBinDir(env, debianRoot = DEBIAN_ROOT) {
  const explicit = env.TUNEFLOW_POSTGRES_BIN_DIR;
  if (explicit) {
    const dir = path.resolve(explicit);
    const version = await serverVersion(dir);
    if (!version) throw new SetupError(`$TUNEFLOW_POSTGRES_BIN_DIR=${explicit} does not hold working ${SERVER_PROGRAMS.join(' and ')} programs`);
    return { dir, version, source: '$TUNEFLOW_POSTGRES_BIN_DIR' };
  }
  for (const dir of debianBinDirs(debianRoot)) {
    const version = await serverVersion(dir);
    if (version) return { dir, version, source: `Debian's ${debianRoot}` };
  }
  const initdb = whichOnPath('initdb', env);
  if (initdb) {
    const dir = path.dirname(fs.realpathSync(initdb)); // /usr/local/bin/initdb is often a link into the real folder
    const version = await serverVersion(dir);
    if (version) return { dir, version, source: 'PATH' };
  }
  return null;
}

/** MLflow's python: the set-up venv's, or the one beside `$TUNEFLOW_MLFLOW_BIN`. */
function mlflowPython(ctx) {
  if (ctx.env.TUNEFLOW_MLFLOW_BIN) {
    const python = path.join(path.dirname(path.resolve(ctx.env.TUNEFLOW_MLFLOW_BIN)), 'python');
    if (!isExecutable(python)) {
      throw new SetupError(`no python beside $TUNEFLOW_MLFLOW_BIN=${ctx.env.TUNEFLOW_MLFLOW_BIN}: install ${DRIVER} where that MLflow runs, or skip this step (--skip-postgres)`);
    }
    return python;
  }
  const paths = mlflowPaths(ctx.cache);
  if (!fs.existsSync(paths.marker)) {
    throw new SetupError(`MLflow's venv (${paths.venv}) is not installed: run set-up with the mlflow step, or skip this one (--skip-postgres)`);
  }
  return paths.python;
}

/** The marker inside the venv (`<venv>/bin/python` -> `<venv>/tuneflow-postgres-driver`). */
const markerOf = (python) => path.join(path.dirname(path.dirname(python)), 'tuneflow-postgres-driver');

async function driverImports(python) {
  try {
    await run(python, ['-c', 'import psycopg2']);
    return true;
  } catch {
    return false;
  }
}

async function driverReady(python) {
  const marker = markerOf(python);
  return fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === DRIVER && (await driverImports(python));
}

function runningAsRoot(options) {
  return options.isRoot ?? process.getuid?.() === 0;
}

async function userExists(name, env) {
  try {
    await run('id', ['-u', name], { env });
    return true;
  } catch {
    return false;
  }
}

export async function check(ctx, options = {}) {
  const found = await findBinDir(ctx.env, options.debianRoot);
  if (!found) return { ok: false, detail: 'no PostgreSQL server programs (as root a run installs Debian\'s postgresql with apt-get, ~1 min)' };
  let python;
  try {
    python = mlflowPython(ctx);
  } catch (err) {
    return { ok: false, detail: `${found.dir} (PostgreSQL ${found.version}), but ${err.message}` };
  }
  if (!(await driverReady(python))) return { ok: false, detail: `${found.dir} (PostgreSQL ${found.version}), but no ${DRIVER} in MLflow's venv (a run installs it, seconds)` };
  return { ok: true, detail: `${found.dir} (PostgreSQL ${found.version}, from ${found.source}); ${DRIVER}` };
}

/** Debian's package with apt-get (root only), then the folder it installed. */
async function installWithApt(ctx, options) {
  const aptGet = whichOnPath('apt-get', ctx.env);
  if (!aptGet || !runningAsRoot(options)) {
    const why = aptGet ? 'not running as root, so apt-get cannot install it' : 'there is no apt-get to install it with';
    throw new SetupError(`no PostgreSQL: neither $TUNEFLOW_POSTGRES_BIN_DIR, ${options.debianRoot ?? DEBIAN_ROOT}/<version>/bin nor initdb on PATH, and ${why}: ${INSTALL_HINT}`);
  }
  ctx.progress('installing Debian\'s postgresql with apt-get (first run only, ~1 min)');
  const env = { ...ctx.env, DEBIAN_FRONTEND: 'noninteractive' };
  const logs = path.join(ctx.cache, 'logs');
  await run(aptGet, ['update'], { env, logFile: path.join(logs, 'postgres-apt-update.log') });
  await run(aptGet, ['install', '-y', '--no-install-recommends', 'postgresql'], { env, logFile: path.join(logs, 'postgres-apt-install.log') });
  const found = await findBinDir(ctx.env, options.debianRoot);
  if (!found) throw new SetupError(`apt-get installed postgresql but no folder holds working initdb and postgres programs: ${INSTALL_HINT}`);
  return found;
}

/** `options`: `isRoot` and `debianRoot` let tests choose. */
export async function ensure(ctx, options = {}) {
  const python = mlflowPython(ctx); // before any install: without MLflow there is nothing to give a database
  let found = await findBinDir(ctx.env, options.debianRoot);
  const parts = [];
  if (found) {
    parts.push(`reused ${found.dir} (PostgreSQL ${found.version}, from ${found.source})`);
  } else {
    found = await installWithApt(ctx, options);
    parts.push(`installed ${found.dir} (PostgreSQL ${found.version}, with apt-get)`);
  }
  if (runningAsRoot(options) && !(await userExists(SERVICE_USER, ctx.env))) {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER], { env: ctx.env });
    parts.push(`created the system user ${SERVICE_USER}`);
  }
  if (await driverReady(python)) {
    parts.push(`reused ${DRIVER}`);
  } else {
    ctx.progress(`pip install ${DRIVER} into MLflow's venv (seconds)`);
    await pipInstall(python, ['--no-input', '--only-binary=:all:', DRIVER], {
      env: ctx.env,
      logFile: path.join(ctx.cache, 'logs', 'postgres-driver-install.log'),
    });
    if (!(await driverImports(python))) throw new SetupError(`pip installed ${DRIVER} but \`${python} -c "import psycopg2"\` fails`);
    fs.writeFileSync(markerOf(python), `${DRIVER}\n`);
    parts.push(`installed ${DRIVER}`);
  }
  return { detail: parts.join('; '), tools: { postgresBinDir: found.dir } };
}
