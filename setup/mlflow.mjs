// Step 3: MLflow in its own Python venv (it runs the tracking server).
// A venv cannot be renamed (its scripts hard-code their path), so instead of build-and-rename it is
// built in place and counts as done only once the marker file written after the install exists.
import fs from 'node:fs';
import path from 'node:path';
import { requirePython, systemPython } from './paths.mjs';
import { SetupError, pipInstall, run } from './util.mjs';

const MLFLOW_VERSION = '3.17.2'; // 3.18.0 needs an mlflow-skinny that is not on PyPI yet
// The server runs under gunicorn with options of this version (cli/services/mlflow-server.ts gunicornOptions);
// MLflow itself accepts a range, so it is pinned here.
const GUNICORN_VERSION = '26.2.0';

export function mlflowPaths(cache) {
  const dir = path.join(cache, `mlflow-${MLFLOW_VERSION}`);
  const venv = path.join(dir, 'venv');
  return { dir, venv, python: path.join(venv, 'bin', 'python'), mlflow: path.join(venv, 'bin', 'mlflow'), marker: path.join(dir, 'installed') };
}

/** The installed versions of mlflow and gunicorn according to the venv's package metadata (fast: imports neither). */
async function installedVersions(paths) {
  if (!fs.existsSync(paths.marker)) return null;
  try {
    const script = 'import importlib.metadata as m; print(m.version("mlflow"), m.version("gunicorn"))';
    const [mlflow, gunicorn] = (await run(paths.python, ['-c', script])).trim().split(' ');
    return { mlflow, gunicorn };
  } catch {
    return null;
  }
}

/** tools.json: the venv's MLflow, and that this MLflow has the pinned gunicorn (`mlflowGunicorn`, read by mlflow-server.ts). */
function venvTools(paths) {
  return { mlflow: paths.mlflow, python: paths.python, mlflowGunicorn: paths.mlflow };
}

/** `$TUNEFLOW_MLFLOW_BIN` (an MLflow installed some other way) replaces the venv. */
async function explicitMlflow(ctx) {
  const explicit = ctx.env.TUNEFLOW_MLFLOW_BIN;
  if (!explicit) return null;
  const bin = path.resolve(explicit);
  try {
    return { bin, version: (await run(bin, ['--version'])).trim() };
  } catch (err) {
    throw new SetupError(`$TUNEFLOW_MLFLOW_BIN=${explicit} does not run: ${err.message}`);
  }
}

export async function check(ctx) {
  const explicit = await explicitMlflow(ctx);
  if (explicit) return { ok: true, detail: `${explicit.bin} (${explicit.version}, from $TUNEFLOW_MLFLOW_BIN)` };
  const paths = mlflowPaths(ctx.cache);
  const versions = await installedVersions(paths);
  if (versions?.mlflow !== MLFLOW_VERSION) return { ok: false, detail: `not installed (a run creates ${paths.venv}, ~1 min)` };
  if (versions.gunicorn !== GUNICORN_VERSION) return { ok: false, detail: `gunicorn ${versions.gunicorn} in ${paths.venv}, not ${GUNICORN_VERSION} (a run installs it)` };
  return { ok: true, detail: `${paths.mlflow} (mlflow ${versions.mlflow}, gunicorn ${versions.gunicorn})` };
}

export async function ensure(ctx) {
  const explicit = await explicitMlflow(ctx);
  // Its gunicorn is not ours to know: the server keeps MLflow's default (mlflowGunicorn names another MLflow).
  if (explicit) return { detail: `using $TUNEFLOW_MLFLOW_BIN ${explicit.bin} (${explicit.version})`, tools: { mlflow: explicit.bin } };
  const paths = mlflowPaths(ctx.cache);
  const tools = venvTools(paths);
  const versions = await installedVersions(paths);
  // One log per command: `run` writes a command's whole output over its log file.
  const logs = path.join(ctx.cache, 'logs');
  const logFile = path.join(logs, 'mlflow-install.log');
  if (versions?.mlflow === MLFLOW_VERSION) {
    if (versions.gunicorn === GUNICORN_VERSION) return { detail: `reused ${paths.venv} (mlflow ${versions.mlflow})`, tools };
    ctx.progress(`pip install gunicorn==${GUNICORN_VERSION} into ${paths.venv}`);
    await pipInstall(paths.python, [`gunicorn==${GUNICORN_VERSION}`], { logFile });
    return { detail: `reused ${paths.venv} (mlflow ${versions.mlflow}), gunicorn ${GUNICORN_VERSION} installed`, tools };
  }

  const python = systemPython(ctx.env);
  await requirePython(python, [3, 10], `MLflow ${MLFLOW_VERSION}`);
  ctx.progress(`creating ${paths.venv} with pip install mlflow==${MLFLOW_VERSION} (first run only, ~1 min)`);
  fs.rmSync(paths.dir, { recursive: true, force: true }); // an interrupted earlier attempt
  fs.mkdirSync(paths.dir, { recursive: true });
  await run(python, ['-m', 'venv', paths.venv], { logFile: path.join(logs, 'mlflow-venv.log') });
  await pipInstall(paths.python, [`mlflow==${MLFLOW_VERSION}`, `gunicorn==${GUNICORN_VERSION}`], { logFile });
  const reported = (await run(paths.mlflow, ['--version'])).trim();
  fs.writeFileSync(paths.marker, `${reported}\n`);
  return { detail: `installed ${paths.venv} (${reported})`, tools };
}
