// The Python examples step (scikit-learn venv) without installing anything: which Python it accepts,
// when a venv counts as installed, what a failed install leaves to read. The real install runs in `npm run setup`.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeSystemPython, scratchFolder, script } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadStep = () => import('../../setup/python-examples.mjs');

const scratch = scratchFolder('tuneflow-examples-test-');
const ctx = (env: Record<string, string | undefined> = {}) => ({ repoRoot: scratch(), cache: path.join(scratch(), 'cache'), env, progress: () => {} });

describe('Python examples step', () => {
  it('refuses a Python older than 3.11 before creating anything, naming TUNEFLOW_PYTHON and --skip-examples', async () => {
    const { ensure, examplesPaths } = await loadStep();
    const old = script(path.join(scratch(), 'python3.10'), 'echo 3.10');
    await expect(ensure(ctx({ TUNEFLOW_PYTHON: old }))).rejects.toThrow(/scikit-learn 1\.9\.1 needs Python >= 3\.11 but .*python3\.10 is 3\.10 \(set TUNEFLOW_PYTHON .*--skip-examples\)/);
    expect(fs.existsSync(examplesPaths(ctx().cache).dir)).toBe(false);
  });

  it('counts a venv as installed only with the marker of the current requirements and the pinned version', async () => {
    const { check, examplesPaths, REQUIREMENTS_FILE, SKLEARN_VERSION } = await loadStep();
    expect(fs.readFileSync(REQUIREMENTS_FILE, 'utf8')).toContain(`scikit-learn==${SKLEARN_VERSION}\n`);
    const paths = examplesPaths(ctx().cache);
    expect(paths.python).toBe(path.join(ctx().cache, `python-examples-${SKLEARN_VERSION}`, 'venv', 'bin', 'python'));
    script(paths.python, `echo ${SKLEARN_VERSION}`); // a venv whose metadata says the pinned version
    expect(await check(ctx())).toMatchObject({ ok: false }); // no marker: an interrupted install
    fs.writeFileSync(paths.marker, 'sha256 of older requirements\n');
    expect(await check(ctx())).toMatchObject({ ok: false });
    const hash = (await import('node:crypto')).createHash('sha256').update(fs.readFileSync(REQUIREMENTS_FILE)).digest('hex');
    fs.writeFileSync(paths.marker, `${hash}\n`);
    expect(await check(ctx())).toEqual({ ok: true, detail: `${paths.python} (scikit-learn ${SKLEARN_VERSION})` });
    script(paths.python, 'echo 1.5.0');
    expect(await check(ctx())).toMatchObject({ ok: false });
  });

  it('a failed pip install names its log, and the venv\'s log is still there beside it', async () => {
    const { ensure, examplesPaths } = await loadStep();
    const python = fakeSystemPython(scratch(), '3.12', { python: 'echo "pip $*"; echo "ERROR: No matching distribution found for scikit-learn==1.9.1" >&2; exit 1' });
    await expect(ensure(ctx({ TUNEFLOW_PYTHON: python }))).rejects.toThrow(/failed \(exit 1\):[\s\S]*No matching distribution[\s\S]*full log: .*python-examples-install\.log/);
    const logs = path.join(ctx().cache, 'logs');
    expect(fs.readdirSync(logs).sort()).toEqual(['python-examples-install.log', 'python-examples-venv.log']);
    expect(fs.readFileSync(path.join(logs, 'python-examples-venv.log'), 'utf8')).toBe(`created virtual environment ${examplesPaths(ctx().cache).venv}\n`);
    expect(fs.readFileSync(path.join(logs, 'python-examples-install.log'), 'utf8')).toMatch(/^pip -m pip install --disable-pip-version-check --only-binary=:all: -r \S+python-examples\.requirements\.txt\nERROR: No matching/);
  });
});
