// Who may run what. A spec can make a worker run code, so a worker runs only modules and programs under
// the folders it was started with (`tuneflow worker --trainables-root DIR`, default its working folder),
// checked on real paths (symlinks resolved), and gives a program its own environment without tuneflow's,
// Temporal's and MLflow's variables (credentials among them) unless the spec names one to pass on.
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { CommandTrainableSpec } from '../../spec/types';
import { TrainableError } from '../errors';

/** Variables a program never inherits unless `passEnv` names them: they configure (and authenticate) tuneflow's services. */
const WITHHELD_PREFIXES = ['TUNEFLOW_', 'TEMPORAL_', 'MLFLOW_'];

/** The allowed folders as real paths; the working folder when none are given. */
export async function realRoots(roots: readonly string[] | undefined): Promise<string[]> {
  const given = roots && roots.length > 0 ? roots : [process.cwd()];
  return Promise.all(given.map(async (root) => realpath(resolve(root)).catch(() => resolve(root))));
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function outsideRoots(what: string, path: string, real: string, roots: readonly string[]): TrainableError {
  const where = real === path ? path : `${path} (really ${real})`;
  return new TrainableError(
    `${what} ${where} is outside the folders this worker runs code from (${roots.join(', ')}); ` +
      `start the worker with --trainables-root <folder> to allow it`,
  );
}

/** The real path of `path` if it exists under one of `roots`; else a TrainableError naming `what`. */
export async function allowedPath(what: string, path: string, roots: readonly string[]): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new TrainableError(`${what} ${path} does not exist`);
  }
  if (!roots.some((root) => isInside(real, root))) throw outsideRoots(what, path, real, roots);
  return real;
}

/** `${NAME}` replaced by the variable's value; an unset variable is an error naming it. */
export function expandVariables(word: string, variables: Record<string, string | undefined>): string {
  return word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new TrainableError(`trainable.command uses \${${name}}, which is not set on this worker`);
    return value;
  });
}

/** The program's environment: the worker's minus the withheld variables (bar `passEnv`), plus the spec's `env`. */
export function programEnvironment(workerEnv: NodeJS.ProcessEnv, spec: Pick<CommandTrainableSpec, 'env' | 'passEnv'>): Record<string, string> {
  const kept = Object.entries(workerEnv).filter(
    (entry): entry is [string, string] =>
      entry[1] !== undefined && (spec.passEnv.includes(entry[0]) || !WITHHELD_PREFIXES.some((prefix) => entry[0].startsWith(prefix))),
  );
  return { ...Object.fromEntries(kept), ...spec.env };
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` as a path (it has a slash: relative to `cwd`) or looked up on PATH, like a shell does. */
async function locateProgram(name: string, cwd: string, path: string | undefined): Promise<string | null> {
  if (name.includes('/')) return (await isExecutable(resolve(cwd, name))) ? resolve(cwd, name) : null;
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    if (await isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

export interface ResolvedCommand {
  program: string;
  args: string[];
  cwd: string;
}

/**
 * The program to start and its arguments, checked against the roots: the program itself is under a root
 * (`./train.sh`, a binary), or it is an interpreter elsewhere (`python3` on PATH, a venv's python) whose
 * first argument is a script under a root (`python3 train.py`). `bash -c ...` or `python -m x` are refused:
 * nothing under the roots says what they run.
 */
export async function resolveCommand(
  command: readonly string[],
  cwd: string,
  variables: Record<string, string | undefined>,
  roots: readonly string[],
): Promise<ResolvedCommand> {
  const realCwd = await allowedPath('trainable.cwd', cwd, roots);
  const [name, ...args] = command.map((word) => expandVariables(word, variables));
  const program = await locateProgram(name!, realCwd, variables.PATH);
  if (!program) {
    const how = name!.includes('/') ? `${resolve(realCwd, name!)} is not an executable file` : `it is not on the worker's PATH`;
    throw new TrainableError(`trainable.command: cannot run "${name}": ${how}`);
  }
  const realProgram = await realpath(program);
  if (roots.some((root) => isInside(realProgram, root))) return { program, args, cwd: realCwd };
  const script = args[0];
  if (script === undefined || script.startsWith('-')) {
    throw new TrainableError(
      `trainable.command: ${program} is outside the folders this worker runs code from (${roots.join(', ')}) and is not given a script ` +
        `under them as its first argument; write e.g. [python3, train.py], or start the worker with --trainables-root <folder>`,
    );
  }
  await allowedPath('trainable.command script', resolve(realCwd, script), roots);
  return { program, args, cwd: realCwd };
}
