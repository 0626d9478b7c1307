// Who may run what: the folder rule for programs and scripts, the environment a program gets, `${NAME}`.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandVariables, programEnvironment, realRoots, resolveCommand } from '../../training/trainables/access';
import { tempDir } from '../helpers/temp';

const root = tempDir('access');
const project = join(root, 'project');
const elsewhere = join(root, 'elsewhere');
mkdirSync(project, { recursive: true });
mkdirSync(elsewhere, { recursive: true });
writeFileSync(join(project, 'train.py'), 'print(1)\n');
writeFileSync(join(project, 'run.sh'), '#!/bin/sh\necho hi\n');
chmodSync(join(project, 'run.sh'), 0o755);
writeFileSync(join(project, 'not-executable.sh'), '#!/bin/sh\n');
writeFileSync(join(elsewhere, 'secret.py'), 'print(2)\n');
writeFileSync(join(elsewhere, 'tool.sh'), '#!/bin/sh\n');
chmodSync(join(elsewhere, 'tool.sh'), 0o755);
symlinkSync(join(elsewhere, 'secret.py'), join(project, 'innocent.py'));

const env = { PATH: process.env.PATH };
const resolveIn = async (command: string[]) => resolveCommand(command, project, env, await realRoots([project]));
const refusal = (command: string[]) => resolveIn(command).then(() => 'allowed', (error: Error) => error.message);

describe('which programs a worker runs', () => {
  it('runs a program under its roots, or an interpreter from PATH with a script under them', async () => {
    expect((await resolveIn(['./run.sh', '--fast'])).args).toEqual(['--fast']);
    const python = await resolveIn(['sh', 'train.py']);
    expect(python.program).toMatch(/\/sh$/);
    expect(python.args).toEqual(['train.py']);
  });

  it('refuses an interpreter given code inline, or a script outside the roots, also through a symlink', async () => {
    expect(await refusal(['sh', '-c', 'cat /etc/passwd'])).toMatch(/is outside the folders this worker runs code from .* and is not given a script under them as its first argument/);
    expect(await refusal(['sh', join(elsewhere, 'secret.py')])).toMatch(/^trainable\.command script .*secret\.py is outside the folders/);
    expect(await refusal(['sh', 'innocent.py'])).toMatch(/innocent\.py \(really .*elsewhere\/secret\.py\) is outside the folders/);
    expect(await refusal([join(elsewhere, 'tool.sh')])).toMatch(/tool\.sh is outside the folders .* is not given a script/);
  });

  it('says when a program is missing or not executable, or the script is missing', async () => {
    expect(await refusal(['no-such-program-xyz', 'train.py'])).toBe(`trainable.command: cannot run "no-such-program-xyz": it is not on the worker's PATH`);
    expect(await refusal(['./not-executable.sh'])).toBe(`trainable.command: cannot run "./not-executable.sh": ${join(project, 'not-executable.sh')} is not an executable file`);
    expect(await refusal(['sh', 'missing.py'])).toBe(`trainable.command script ${join(project, 'missing.py')} does not exist`);
  });

  it('refuses a working folder outside the roots', async () => {
    const message = await resolveCommand(['sh', 'train.py'], elsewhere, env, await realRoots([project])).then(() => 'allowed', (error: Error) => error.message);
    expect(message).toMatch(/^trainable\.cwd .*elsewhere is outside the folders/);
  });
});

describe("a program's environment", () => {
  const worker = { PATH: '/usr/bin', HOME: '/home/u', MLFLOW_TRACKING_TOKEN: 'secret', TEMPORAL_API_KEY: 'key', TUNEFLOW_SERVE_TOKEN: 't', CUDA_VISIBLE_DEVICES: '0' };

  it("leaves out tuneflow's, Temporal's and MLflow's variables unless passEnv names one; env is added", () => {
    expect(programEnvironment(worker, { env: { EXTRA: '1' }, passEnv: [] })).toEqual({ PATH: '/usr/bin', HOME: '/home/u', CUDA_VISIBLE_DEVICES: '0', EXTRA: '1' });
    expect(programEnvironment(worker, { env: {}, passEnv: ['MLFLOW_TRACKING_TOKEN'] })).toMatchObject({ MLFLOW_TRACKING_TOKEN: 'secret' });
  });

  it('expands ${NAME} and names a variable that is not set', () => {
    expect(expandVariables('${PY}/bin', { PY: '/venv' })).toBe('/venv/bin');
    expect(() => expandVariables('${NOPE}', {})).toThrow('trainable.command uses ${NOPE}, which is not set on this worker');
  });
});
