// Determinism across releases: every recorded history (tests/fixtures/histories, made by
// `npm run record:histories` from real campaigns) must replay through the current workflow code.
// A failure here means a change would break campaigns that are running now: guard it with `patched()`.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(__dirname, '..', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded campaign histories', () => {
  it('has a history for every workflow path', () => {
    const paths = ['retrain-and-register', 'promotion-and-pruning', 'failed-trial', 'pause-enqueue-extend-stop', 'cancel', 'continue-as-new', 'fork-warm-start', 'pbt'];
    for (const p of paths) expect(files.some((f) => f.startsWith(p))).toBe(true);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowsPath: join(__dirname, '..', '..', 'workflows', 'index.ts') }, history, file);
  }, 120_000);
});
