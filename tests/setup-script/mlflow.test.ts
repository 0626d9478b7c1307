// The MLflow step (its own venv) with a fake system python whose venv holds fake `python` and `mlflow`
// scripts: what it runs, what it logs, and when it counts as installed. The real install runs in `npm run setup`.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeSystemPython, scratchFolder } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadStep = () => import('../../setup/mlflow.mjs');

const scratch = scratchFolder('tuneflow-mlflow-step-test-');
const cache = () => path.join(scratch(), 'cache');
const log = (name: string) => fs.readFileSync(path.join(cache(), 'logs', name), 'utf8');

/** A system python whose venv's pip logs its arguments (and fails with `pipFails`), with MLflow 3.17.2 and gunicorn 26.2.0 once installed. */
function systemPython(pipFails = false): string {
  return fakeSystemPython(scratch(), '3.12', {
    python: [
      '[ "$1" = -c ] && { echo "3.17.2 26.2.0"; exit 0; }',
      'echo "pip $*"',
      pipFails ? 'echo "ERROR: Could not find a version that satisfies the requirement mlflow==3.17.2" >&2; exit 1' : '',
    ].join('\n'),
    mlflow: 'echo "mlflow, version 3.17.2"',
  });
}

const ctx = (python: string) => ({ repoRoot: scratch(), cache: cache(), env: { TUNEFLOW_PYTHON: python }, progress: () => {} });

describe('MLflow step', () => {
  it('logs the venv creation and the pip install to a file each, then reuses the venv', async () => {
    const { ensure, check, mlflowPaths } = await loadStep();
    const python = systemPython();
    const result = await ensure(ctx(python));
    const paths = mlflowPaths(cache());
    expect(result).toEqual({ detail: `installed ${paths.venv} (mlflow, version 3.17.2)`, tools: { mlflow: paths.mlflow, python: paths.python, mlflowGunicorn: paths.mlflow } });
    expect(fs.readdirSync(path.join(cache(), 'logs')).sort()).toEqual(['mlflow-install.log', 'mlflow-venv.log']);
    expect(log('mlflow-venv.log')).toBe(`created virtual environment ${paths.venv}\n`);
    expect(log('mlflow-install.log')).toBe('pip -m pip install --disable-pip-version-check mlflow==3.17.2 gunicorn==26.2.0\n');
    expect(await check(ctx(python))).toMatchObject({ ok: true });
    expect((await ensure(ctx(python))).detail).toBe(`reused ${paths.venv} (mlflow 3.17.2)`);
  });

  it('a failed pip install names its log, and the venv\'s log is still there beside it', async () => {
    const { ensure, check, mlflowPaths } = await loadStep();
    const python = systemPython(true);
    await expect(ensure(ctx(python))).rejects.toThrow(/mlflow==3\.17\.2 gunicorn==26\.2\.0` failed \(exit 1\):[\s\S]*Could not find a version[\s\S]*full log: .*mlflow-install\.log/);
    expect(log('mlflow-venv.log')).toBe(`created virtual environment ${mlflowPaths(cache()).venv}\n`);
    expect(log('mlflow-install.log')).toMatch(/^pip -m pip install [\s\S]*ERROR: Could not find a version/);
    expect(await check(ctx(python))).toMatchObject({ ok: false }); // no marker: it installs again next run
  });
});
