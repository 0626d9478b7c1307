// Step 2: the Temporal CLI (it runs the dev server). `$TUNEFLOW_TEMPORAL_BIN`, else `temporal` on
// PATH, else our cached build, else `go install` of v1.5.1 (later releases carry a replace directive
// in go.mod and cannot be installed that way).
import fs from 'node:fs';
import path from 'node:path';
import { SetupError, buildDirAtomically, run, whichOnPath } from './util.mjs';

const TEMPORAL_CLI_VERSION = '1.5.1';

function cachedBuildDir(cache) {
  return path.join(cache, `temporal-${TEMPORAL_CLI_VERSION}`);
}

async function versionOf(bin) {
  return (await run(bin, ['--version'])).trim();
}

/** The first working Temporal CLI that is already there, or null. A broken explicit choice fails. */
async function findExisting(ctx) {
  const explicit = ctx.env.TUNEFLOW_TEMPORAL_BIN;
  if (explicit) {
    const bin = path.resolve(explicit);
    try {
      return { bin, version: await versionOf(bin), source: '$TUNEFLOW_TEMPORAL_BIN' };
    } catch (err) {
      throw new SetupError(`$TUNEFLOW_TEMPORAL_BIN=${explicit} does not run: ${err.message}`);
    }
  }
  const candidates = [
    { bin: whichOnPath('temporal', ctx.env), source: 'PATH' },
    { bin: path.join(cachedBuildDir(ctx.cache), 'bin', 'temporal'), source: 'cache' },
  ];
  for (const { bin, source } of candidates) {
    if (!bin || !fs.existsSync(bin)) continue;
    try {
      return { bin, version: await versionOf(bin), source };
    } catch {
      // broken or half-written: try the next one, or build
    }
  }
  return null;
}

export async function check(ctx) {
  const found = await findExisting(ctx);
  if (!found) return { ok: false, detail: `not installed (a run builds v${TEMPORAL_CLI_VERSION} with go install, ~3 min)` };
  return { ok: true, detail: `${found.bin} (${found.version}, from ${found.source})` };
}

export async function ensure(ctx) {
  const found = await findExisting(ctx);
  if (found) return { detail: `reused ${found.bin} (${found.version}, from ${found.source})`, tools: { temporal: found.bin } };

  if (!whichOnPath('go', ctx.env)) {
    throw new SetupError('no Temporal CLI and no Go toolchain to build one: install Go >= 1.25 or the Temporal CLI '
      + '(https://docs.temporal.io/cli), or set TUNEFLOW_TEMPORAL_BIN');
  }
  ctx.progress(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (first run only, ~3 min)`);
  const dir = cachedBuildDir(ctx.cache);
  await buildDirAtomically(dir, (tmp) => run('go', ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
    env: { ...ctx.env, GOTOOLCHAIN: 'local', GOBIN: path.join(tmp, 'bin') },
    logFile: path.join(ctx.cache, 'logs', 'temporal-build.log'),
  }));
  const bin = path.join(dir, 'bin', 'temporal');
  return { detail: `built ${bin} (${await versionOf(bin)})`, tools: { temporal: bin } };
}
