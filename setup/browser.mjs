// Step 5: a headless browser for the report's browser test (tests/report/browser.test.ts): Debian's
// `chromium`, driven by playwright-core. In this order: `$TUNEFLOW_CHROMIUM`, else `chromium` on PATH,
// else, when running as root where apt-get exists, `apt-get update` and
// `apt-get install -y --no-install-recommends chromium` (~1-2 min, logged to the cache's logs folder),
// else a SetupError saying what to install. Nothing is cached by us: apt owns the install.
import path from 'node:path';
import process from 'node:process';
import { SetupError, findWorkingTool, run, versionOf, whichOnPath } from './util.mjs';

const INSTALL_HINT = 'install Debian\'s chromium (`sudo apt-get install --no-install-recommends chromium`) '
  + 'or another Chromium, and put it on PATH or set TUNEFLOW_CHROMIUM to its path';


/** Whether this process may run apt-get itself (root). The options argument lets tests choose. */
function runningAsRoot(options) {
  return options.isRoot ?? process.getuid?.() === 0;
}

/** The first working chromium that is already there, or null. A broken explicit choice fails. */
function findExisting(ctx) {
  return findWorkingTool(ctx.env, 'TUNEFLOW_CHROMIUM', [{ bin: whichOnPath('chromium', ctx.env), source: 'PATH' }]);
}

export async function check(ctx) {
  const found = await findExisting(ctx);
  if (!found) return { ok: false, detail: 'not installed (as root a run installs Debian\'s chromium with apt-get, ~1-2 min)' };
  return { ok: true, detail: `${found.bin} (${found.version}, from ${found.source})` };
}

export async function ensure(ctx, options = {}) {
  const found = await findExisting(ctx);
  if (found) return { detail: `reused ${found.bin} (${found.version}, from ${found.source})`, tools: { chromium: found.bin } };

  const aptGet = whichOnPath('apt-get', ctx.env);
  if (!aptGet || !runningAsRoot(options)) {
    const why = aptGet ? 'not running as root, so apt-get cannot install it' : 'there is no apt-get to install it with';
    throw new SetupError(`no chromium: neither $TUNEFLOW_CHROMIUM nor \`chromium\` on PATH, and ${why}: ${INSTALL_HINT}`);
  }
  ctx.progress('installing Debian\'s chromium with apt-get (first run only, ~1-2 min)');
  const env = { ...ctx.env, DEBIAN_FRONTEND: 'noninteractive' };
  const logs = path.join(ctx.cache, 'logs');
  await run(aptGet, ['update'], { env, logFile: path.join(logs, 'chromium-apt-update.log') });
  await run(aptGet, ['install', '-y', '--no-install-recommends', 'chromium'], { env, logFile: path.join(logs, 'chromium-apt-install.log') });
  const bin = whichOnPath('chromium', ctx.env);
  if (!bin) throw new SetupError(`apt-get installed chromium but there is no \`chromium\` on PATH: ${INSTALL_HINT}`);
  return { detail: `installed ${bin} (${await versionOf(bin)}, with apt-get)`, tools: { chromium: bin } };
}
