// Step 1: npm dependencies. `--ignore-scripts` because @tensorflow/tfjs-node's install script
// downloads libtensorflow from a host that is often unreachable (the tensorflow step provides it);
// nothing else we use needs an install script (esbuild/swc ship binaries as optionalDependencies).
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { SetupError, run } from './util.mjs';

/** Why an install is needed, or null when node_modules matches package-lock.json. */
export function npmInstallReason(repoRoot) {
  const lock = path.join(repoRoot, 'package-lock.json');
  const installed = path.join(repoRoot, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installed)) return 'node_modules is missing';
  if (!fs.existsSync(lock)) return 'package-lock.json is missing';
  if (fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs) return 'package-lock.json changed';
  return null;
}

/** npm itself: the one running `npm run setup` when there is one, else `npm` on PATH. */
function npmCommand(env) {
  const npmCli = env.npm_execpath;
  return npmCli && npmCli.endsWith('.js') ? [process.execPath, npmCli] : ['npm'];
}

/**
 * Where node_modules links to when it is a symbolic link (a worktree sharing another checkout's
 * install), else null. npm ci follows such a link: it would empty the shared folder for everyone.
 */
export function linkedNodeModules(repoRoot) {
  const dir = path.join(repoRoot, 'node_modules');
  try {
    if (!fs.lstatSync(dir).isSymbolicLink()) return null;
  } catch {
    return null;
  }
  return path.resolve(repoRoot, fs.readlinkSync(dir));
}

/** A linked node_modules is left alone; it must hold an install made in the checkout that owns it. */
function linkedDetail(linked) {
  if (!fs.existsSync(path.join(linked, '.package-lock.json'))) {
    throw new SetupError(`node_modules links to ${linked}, which holds no npm install: run \`npm ci\` in the checkout that owns `
      + 'it (npm here would follow the link), or replace the link with a folder of its own');
  }
  return `left alone: node_modules links to ${linked} (npm ci here would empty it for every checkout sharing it)`;
}

export async function check(ctx) {
  const linked = linkedNodeModules(ctx.repoRoot);
  if (linked) return { ok: true, detail: linkedDetail(linked) };
  const reason = npmInstallReason(ctx.repoRoot);
  return { ok: !reason, detail: reason ?? 'node_modules matches package-lock.json' };
}

export async function ensure(ctx) {
  const linked = linkedNodeModules(ctx.repoRoot);
  if (linked) return { detail: linkedDetail(linked) };
  const reason = npmInstallReason(ctx.repoRoot);
  if (!reason) return { detail: 'reused node_modules (package-lock.json unchanged)' };
  const hasLock = fs.existsSync(path.join(ctx.repoRoot, 'package-lock.json'));
  const args = hasLock ? ['ci', '--ignore-scripts', '--no-audit', '--no-fund'] : ['install', '--ignore-scripts', '--no-audit', '--no-fund'];
  ctx.progress(`${reason}: npm ${args.join(' ')}`);
  const [command, ...prefix] = npmCommand(ctx.env);
  await run(command, [...prefix, ...args], { cwd: ctx.repoRoot, env: ctx.env, logFile: path.join(ctx.cache, 'logs', 'npm.log') });
  // npm may write package-lock.json after its hidden lock file; stamp the latter so a second run reuses.
  const now = new Date();
  fs.utimesSync(path.join(ctx.repoRoot, 'node_modules', '.package-lock.json'), now, now);
  return { detail: `npm ${args[0]} (${reason})` };
}
