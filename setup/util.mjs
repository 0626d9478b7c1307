// Helpers shared by the set-up steps: running commands, atomic directories, file links.
// Node built-ins only: this runs before node_modules exists.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** A failure with a message meant for the user; index.mjs prints it without a stack trace. */
export class SetupError extends Error {}

/**
 * Runs a command and resolves with its stdout. On failure rejects with a SetupError that quotes the
 * last lines of output; the whole output goes to `logFile` (when given) so nothing is lost. It replaces
 * what the file held: give each command of a step a log of its own.
 */
export function run(command, args, { cwd, env, logFile } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', (err) => {
      reject(new SetupError(err.code === 'ENOENT' ? `${command} not found` : `cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (logFile) {
        fs.mkdirSync(path.dirname(logFile), { recursive: true });
        fs.writeFileSync(logFile, output);
      }
      if (code === 0) return resolve(stdout);
      const tail = output.trim().split('\n').slice(-15).map((line) => `    ${line}`).join('\n');
      const where = logFile ? `\n    (full log: ${logFile})` : '';
      reject(new SetupError(`\`${[command, ...args].join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${tail}${where}`));
    });
  });
}

/** `python -m pip install <args>` through `run`, without pip's own upgrade notice. */
export function pipInstall(python, args, options) {
  return run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...args], options);
}

/** First executable file called `name` on PATH, or null. */
export function whichOnPath(name, env = process.env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Builds `finalDir` in a sibling temp folder and renames it into place, so an interrupted build
 * never leaves something that looks finished. Leftovers of killed runs are removed first.
 */
export async function buildDirAtomically(finalDir, build) {
  const parent = path.dirname(finalDir);
  const prefix = `${path.basename(finalDir)}.tmp-`;
  fs.mkdirSync(parent, { recursive: true });
  for (const entry of fs.readdirSync(parent)) {
    const pid = Number(entry.slice(prefix.length));
    if (entry.startsWith(prefix) && !isProcessAlive(pid)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
  const tmp = path.join(parent, `${prefix}${process.pid}`);
  fs.mkdirSync(tmp);
  try {
    await build(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  fs.rmSync(finalDir, { recursive: true, force: true });
  fs.renameSync(tmp, finalDir);
}

/** Writes a file atomically (temp file + rename). */
export function writeFileAtomically(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Hard-links `src` to `dest` (no extra disk), copying when they are on different file systems. */
export function linkOrCopy(src, dest) {
  fs.rmSync(dest, { force: true });
  try {
    fs.linkSync(src, dest);
  } catch {
    fs.copyFileSync(src, dest);
  }
}

export function formatSeconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `<bin> --version`, trimmed: how every step checks that a tool runs. */
export async function versionOf(bin) {
  return (await run(bin, ['--version'])).trim();
}

/**
 * The tool a user named in `$variable` (it must run: a broken explicit choice is an error), else the first
 * of `candidates` ({bin, source}, bin null when absent) that runs; null when none does.
 */
export async function findWorkingTool(env, variable, candidates) {
  const explicit = env[variable];
  if (explicit) {
    const bin = path.resolve(explicit);
    try {
      return { bin, version: await versionOf(bin), source: `$${variable}` };
    } catch (err) {
      throw new SetupError(`$${variable}=${explicit} does not run: ${err.message}`);
    }
  }
  for (const { bin, source } of candidates) {
    if (!bin || !fs.existsSync(bin)) continue;
    try {
      return { bin, version: await versionOf(bin), source };
    } catch {
      // broken or half-written: try the next one, or install
    }
  }
  return null;
}
