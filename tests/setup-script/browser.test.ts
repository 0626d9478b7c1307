// The Browser step: which chromium it chooses, with fake `chromium` and `apt-get` scripts. The real
// apt-get never runs here: PATH holds only the fakes a test puts there.
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { scratchFolder, script, stepContext } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadBrowser = () => import('../../setup/browser.mjs');

const scratch = scratchFolder('tuneflow-browser-test-', ['path']);
let tmp: string;
let cache: string;
let bin: string;
beforeEach(() => {
  tmp = scratch();
  cache = path.join(tmp, 'cache');
  bin = path.join(tmp, 'path');
});

const fakeChromium = (file: string, version = '131.0.6778.204') => script(file, `echo "Chromium ${version} built on Debian GNU/Linux 12 (bookworm)"`);
const brokenChromium = (file: string) => script(file, 'echo "error while loading shared libraries: libnss3.so" >&2; exit 127');

/** An `apt-get` that appends its arguments to apt-calls and, on `install`, puts a fake chromium on PATH. */
function fakeAptGet(fails?: 'update' | 'install'): string {
  return script(path.join(bin, 'apt-get'), [
    `echo "$*" >> '${path.join(tmp, 'apt-calls')}'`,
    `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> '${path.join(tmp, 'apt-calls')}'`,
    fails ? `[ "$1" = ${fails} ] && { echo "E: Unable to locate package chromium" >&2; exit 100; }` : '',
    `if [ "$1" = install ]; then printf '#!/bin/sh\\necho "Chromium 131.0.6778.204 built on Debian"\\n' > '${path.join(bin, 'chromium')}'; chmod +x '${path.join(bin, 'chromium')}'; fi`,
  ].join('\n'));
}

const aptCalls = () => (fs.existsSync(path.join(tmp, 'apt-calls')) ? fs.readFileSync(path.join(tmp, 'apt-calls'), 'utf8').trim().split('\n') : []);

const ctx = (env: Record<string, string | undefined> = {}) => stepContext({ tmp, cache, bin }, env);

describe('Browser step', () => {
  it('prefers $TUNEFLOW_CHROMIUM to PATH, without apt-get, and fails on a broken one', async () => {
    const { ensure } = await loadBrowser();
    fakeAptGet();
    fakeChromium(path.join(bin, 'chromium'));
    const explicit = fakeChromium(path.join(tmp, 'mine', 'chrome'), '120.0.1');
    const withExplicit = await ensure(ctx({ TUNEFLOW_CHROMIUM: explicit }).ctx, { isRoot: true });
    expect(withExplicit.tools).toEqual({ chromium: explicit });
    expect(withExplicit.detail).toMatch(/^reused .*Chromium 120\.0\.1.*from \$TUNEFLOW_CHROMIUM/);

    brokenChromium(explicit);
    await expect(ensure(ctx({ TUNEFLOW_CHROMIUM: explicit }).ctx, { isRoot: true })).rejects.toThrow(/\$TUNEFLOW_CHROMIUM=.*does not run/);
    expect(aptCalls()).toEqual([]);
  });

  it('reuses chromium on PATH without apt-get', async () => {
    const { ensure, check } = await loadBrowser();
    fakeAptGet();
    const onPath = fakeChromium(path.join(bin, 'chromium'));
    const { ctx: c, messages } = ctx();
    expect(await check(c)).toMatchObject({ ok: true });
    const result = await ensure(c, { isRoot: true });
    expect(result.tools).toEqual({ chromium: onPath });
    expect(result.detail).toMatch(/^reused .*from PATH/);
    expect(messages).toEqual([]);
    expect(aptCalls()).toEqual([]);
  });

  it('as root with apt-get: apt-get update, then install chromium without recommends, logged; a second run reuses it', async () => {
    const { ensure, check } = await loadBrowser();
    fakeAptGet();
    const { ctx: c, messages } = ctx();
    expect(await check(c)).toMatchObject({ ok: false });
    const result = await ensure(c, { isRoot: true });
    expect(result.tools).toEqual({ chromium: path.join(bin, 'chromium') });
    expect(result.detail).toMatch(/^installed .*Chromium 131.*with apt-get/);
    expect(aptCalls()).toEqual(['update', 'DEBIAN_FRONTEND=noninteractive', 'install -y --no-install-recommends chromium', 'DEBIAN_FRONTEND=noninteractive']);
    expect(messages).toEqual([expect.stringMatching(/installing Debian's chromium with apt-get/)]);
    expect(fs.readdirSync(path.join(cache, 'logs')).sort()).toEqual(['chromium-apt-install.log', 'chromium-apt-update.log']);

    const again = await ensure(ctx().ctx, { isRoot: true });
    expect(again.detail).toMatch(/^reused .*from PATH/);
    expect(aptCalls()).toHaveLength(4); // apt-get did not run again
  });

  it('replaces a broken chromium on PATH with apt-get', async () => {
    const { ensure } = await loadBrowser();
    fakeAptGet();
    brokenChromium(path.join(bin, 'chromium'));
    expect((await ensure(ctx().ctx, { isRoot: true })).detail).toMatch(/^installed /);
  });

  it('a failing apt-get: the error quotes it and names the log', async () => {
    const { ensure } = await loadBrowser();
    fakeAptGet('install');
    await expect(ensure(ctx().ctx, { isRoot: true })).rejects.toThrow(/apt-get install -y --no-install-recommends chromium` failed \(exit 100\):[\s\S]*Unable to locate package chromium[\s\S]*full log: .*chromium-apt-install\.log/);
  });

  it('not root, or no apt-get: a SetupError saying what to install, and apt-get never runs', async () => {
    const { ensure } = await loadBrowser();
    await expect(ensure(ctx().ctx, { isRoot: true })).rejects.toThrow(/no chromium: .*there is no apt-get .*apt-get install --no-install-recommends chromium.*TUNEFLOW_CHROMIUM/);
    fakeAptGet();
    await expect(ensure(ctx().ctx, { isRoot: false })).rejects.toThrow(/no chromium: .*not running as root.*apt-get install --no-install-recommends chromium.*TUNEFLOW_CHROMIUM/);
    expect(aptCalls()).toEqual([]);
  });
});
