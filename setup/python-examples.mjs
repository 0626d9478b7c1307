// Step: a Python venv with what the example trainables need (experiments/python/: scikit-learn).
// Like the MLflow step, the venv is built in place and counts as done only once the marker written
// after the install exists and holds the hash of the requirements it was built from.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requirePython, systemPython } from './paths.mjs';
import { SetupError, pipInstall, run } from './util.mjs';

export const SKLEARN_VERSION = '1.9.1';
export const REQUIREMENTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python-examples.requirements.txt');
const MIN_PYTHON = [3, 11]; // scikit-learn 1.9, numpy 2.4

export function examplesPaths(cache) {
  const dir = path.join(cache, `python-examples-${SKLEARN_VERSION}`);
  const venv = path.join(dir, 'venv');
  return { dir, venv, python: path.join(venv, 'bin', 'python'), marker: path.join(dir, 'installed') };
}

function requirementsHash() {
  return crypto.createHash('sha256').update(fs.readFileSync(REQUIREMENTS_FILE)).digest('hex');
}

/** The installed scikit-learn according to the venv's metadata (fast: imports nothing big), or null. */
async function installedVersion(paths) {
  try {
    if (fs.readFileSync(paths.marker, 'utf8').trim() !== requirementsHash()) return null;
    return (await run(paths.python, ['-c', 'import importlib.metadata as m; print(m.version("scikit-learn"))'])).trim();
  } catch {
    return null;
  }
}

export async function check(ctx) {
  const paths = examplesPaths(ctx.cache);
  const version = await installedVersion(paths);
  if (version !== SKLEARN_VERSION) return { ok: false, detail: `not installed (a run creates ${paths.venv}, ~30 s)` };
  return { ok: true, detail: `${paths.python} (scikit-learn ${version})` };
}

export async function ensure(ctx) {
  const paths = examplesPaths(ctx.cache);
  const tools = { examplesPython: paths.python };
  const version = await installedVersion(paths);
  if (version === SKLEARN_VERSION) return { detail: `reused ${paths.venv} (scikit-learn ${version})`, tools };

  const python = systemPython(ctx.env);
  await requirePython(python, MIN_PYTHON, `scikit-learn ${SKLEARN_VERSION}`, ', or skip the Python examples with --skip-examples');
  ctx.progress(`creating ${paths.venv} with scikit-learn==${SKLEARN_VERSION} (first run only, ~30 s)`);
  fs.rmSync(paths.dir, { recursive: true, force: true }); // an interrupted earlier attempt, or other requirements
  fs.mkdirSync(paths.dir, { recursive: true });
  // One log per command: `run` writes a command's whole output over its log file.
  const logs = path.join(ctx.cache, 'logs');
  await run(python, ['-m', 'venv', paths.venv], { logFile: path.join(logs, 'python-examples-venv.log') });
  await pipInstall(paths.python, ['--only-binary=:all:', '-r', REQUIREMENTS_FILE], { logFile: path.join(logs, 'python-examples-install.log') });
  // The example reads the data set scikit-learn ships: prove it loads before calling the venv ready.
  const smoke = 'import sklearn; from sklearn.datasets import load_breast_cancer; x = load_breast_cancer().data; print(sklearn.__version__, x.shape[0])';
  const [reported, rows] = (await run(paths.python, ['-c', smoke])).trim().split(' ');
  if (reported !== SKLEARN_VERSION || rows !== '569') {
    throw new SetupError(`${paths.venv}: expected scikit-learn ${SKLEARN_VERSION} with 569 breast-cancer rows, got ${reported} with ${rows}`);
  }
  fs.writeFileSync(paths.marker, `${requirementsHash()}\n`);
  return { detail: `installed ${paths.venv} (scikit-learn ${reported})`, tools };
}
