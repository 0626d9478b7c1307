// Step 3: MLflow in its own Python venv (it runs the tracking server).
// A venv cannot be renamed (its scripts hard-code their path), so instead of build-and-rename it is
// built in place and counts as done only once the marker file written after the install exists.
import fs from 'node:fs';
import path from 'node:path';
import { requirePython, systemPython } from './paths.mjs';
import { SetupError, run } from './util.mjs';

const MLFLOW_VERSION = '3.17.2'; // 3.18.0 needs an mlflow-skinny that is not on PyPI yet

export function mlflowPaths(cache) {
  const dir = path.join(cache, `mlflow-${MLFLOW_VERSION}`);
  const venv = path.join(dir, 'venv');
  return { dir, venv, python: path.join(venv, 'bin', 'python'), mlflow: path.join(venv, 'bin', 'mlflow'), marker: path.join(dir, 'installed') };
}

/** The installed version according to the venv's package metadata (fast: does not import mlflow). */
async function installedVersion(paths) {
  if (!fs.existsSync(paths.marker)) return null;
  try {
    const script = 'import importlib.metadata as m; print(m.version("mlflow"))';
    return (await run(paths.python, ['-c', script])).trim();
  } catch {
    return null;
  }
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
  const version = await installedVersion(paths);
  if (version !== MLFLOW_VERSION) return { ok: false, detail: `not installed (a run creates ${paths.venv}, ~1 min)` };
  return { ok: true, detail: `${paths.mlflow} (mlflow ${version})` };
}

export async function ensure(ctx) {
  const explicit = await explicitMlflow(ctx);
  if (explicit) return { detail: `using $TUNEFLOW_MLFLOW_BIN ${explicit.bin} (${explicit.version})`, tools: { mlflow: explicit.bin } };
  const paths = mlflowPaths(ctx.cache);
  const tools = { mlflow: paths.mlflow, python: paths.python };
  const version = await installedVersion(paths);
  if (version === MLFLOW_VERSION) return { detail: `reused ${paths.venv} (mlflow ${version})`, tools };

  const python = systemPython(ctx.env);
  await requirePython(python, [3, 10], `MLflow ${MLFLOW_VERSION}`);
  ctx.progress(`creating ${paths.venv} with pip install mlflow==${MLFLOW_VERSION} (first run only, ~1 min)`);
  fs.rmSync(paths.dir, { recursive: true, force: true }); // an interrupted earlier attempt
  fs.mkdirSync(paths.dir, { recursive: true });
  const logFile = path.join(ctx.cache, 'logs', 'mlflow-install.log');
  await run(python, ['-m', 'venv', paths.venv], { logFile });
  await run(paths.python, ['-m', 'pip', 'install', '--disable-pip-version-check', `mlflow==${MLFLOW_VERSION}`], { logFile });
  const reported = (await run(paths.mlflow, ['--version'])).trim();
  fs.writeFileSync(paths.marker, `${reported}\n`);
  return { detail: `installed ${paths.venv} (${reported})`, tools };
}
