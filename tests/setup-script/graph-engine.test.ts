// The graph engine step: where it looks for TensorFlow, what a failure records, and that a built addon
// is reused from the cache (the real build runs in `npm run setup`, which every test run starts with).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchFolder } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadStep = () => import('../../setup/graph-engine.mjs');
const loadPaths = () => import('../../setup/paths.mjs');
const loadIndex = () => import('../../setup/index.mjs');

const scratch = scratchFolder('tuneflow-graph-engine-test-');
const repoRoot = path.resolve(__dirname, '..', '..');

describe('graph engine step', () => {
  it('without the extracted TensorFlow headers it fails naming the TensorFlow step, and builds nothing', async () => {
    const { ensure } = await loadStep();
    const cache = path.join(scratch(), 'cache');
    await expect(ensure({ repoRoot, cache, env: process.env, progress: () => {} })).rejects.toThrow(/has no C API headers: the TensorFlow native step extracts them first/);
    expect(fs.existsSync(path.join(cache, 'graph-engine'))).toBe(false);
  });

  it('records a failure in tools.json so training can say why it runs eagerly', async () => {
    const { failedTools } = await loadStep();
    const { readTools, writeTools } = await loadPaths();
    const cache = scratch();
    writeTools(cache, { graphEngine: { addon: '/old/graph_engine.node', tensorflow: '2.21.0' } });
    writeTools(cache, failedTools('g++ not found'));
    expect(readTools(cache).graphEngine).toEqual({ error: 'g++ not found' });
  });

  it('reuses the addon set-up built, keyed by its sources, and it runs a graph', async () => {
    const { ensure, check } = await loadStep();
    const { cacheDir } = await loadPaths();
    const ctx = { repoRoot, cache: cacheDir(process.env), env: process.env, progress: () => {} };
    const result = await ensure(ctx); // built by set-up already: a smoke check only
    expect(result.detail).toMatch(/^(reused|built) .*graph_engine\.node \(TensorFlow 2\.21\.0\)$/);
    expect(fs.existsSync(result.tools.graphEngine.addon)).toBe(true);
    expect(path.relative(path.join(ctx.cache, 'graph-engine'), result.tools.graphEngine.addon)).toMatch(/^[0-9a-f]{16}\/graph_engine\.node$/);
    expect(await check(ctx)).toMatchObject({ ok: true });
  });

  it('--skip-graph-engine is a known option', async () => {
    const { parseOptions } = await loadIndex();
    expect([...parseOptions(['--skip-graph-engine'], {}).skip]).toEqual(['graph-engine']);
    expect([...parseOptions([], { TUNEFLOW_SETUP_SKIP: 'graph-engine' }).skip]).toEqual(['graph-engine']);
  });
});
