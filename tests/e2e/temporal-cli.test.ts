// The two documented ways to start a campaign with the Temporal CLI itself: a spec path resolved on
// the worker, and the spec inline in the workflow input.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { campaignHandle, connectTemporal } from '../../cli/client';
import { findTool } from '../../cli/services/tools';
import type { RunningWorkers } from '../../cli/worker';
import { tempDir } from '../helpers/temp';
import { startTestWorkers } from '../helpers/campaign';

const address = inject('temporalAddress');
const checkpoints = tempDir('temporal-cli');

function temporalStart(workflowId: string, input: unknown): void {
  execFileSync(findTool('temporal'), [
    'workflow', 'start', '--address', address, '--type', 'campaign', '--task-queue', 'tuneflow',
    '--workflow-id', workflowId, '--input', JSON.stringify(input),
  ]);
}

describe('temporal workflow start --type campaign', () => {
  let workers: RunningWorkers;
  beforeAll(async () => {
    workers = await startTestWorkers(checkpoints, { temporalAddress: address });
  });
  afterAll(async () => workers?.shutdown());

  it('runs a campaign from a spec path and from an inline spec', async () => {
    const client = await connectTemporal(address);
    const inline = {
      name: 'inline-test',
      dataset: { name: 'synthetic-shapes', options: { trainSize: 300, testSize: 100, imageSize: 8 } },
      model: 'mlp',
      search: { space: { learningRate: { type: 'float', low: 0.001, high: 0.03, log: true } } },
      budget: { maxTrials: 2 },
      training: { epochs: 1 },
      retrain: { topK: 0 },
    };
    temporalStart('from-path', { specPath: join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml') });
    temporalStart('from-inline', { spec: inline });
    const [fromPath, fromInline] = await Promise.all([campaignHandle(client, 'from-path').result(), campaignHandle(client, 'from-inline').result()]);
    expect(fromPath.status).toBe('COMPLETED');
    expect(fromPath.trials.completed + fromPath.trials.pruned).toBe(4);
    expect(fromInline.status).toBe('COMPLETED');
    expect(fromInline.trials.completed).toBe(2);
    expect(fromInline.retrain).toEqual([]);
    const leaderboard = await campaignHandle(client, 'from-inline').leaderboard();
    expect(leaderboard.map((r) => r.state)).toEqual(['COMPLETE', 'COMPLETE']);
    await client.connection.close();
  }, 300_000);

  it('fails a campaign whose inline spec is invalid, with the field in the message', async () => {
    const client = await connectTemporal(address);
    temporalStart('bad-inline', { spec: { name: 'bad', dataset: 'synthetic-shapes', model: 'mlp', budget: { maxTrials: 0 } } });
    const error = await campaignHandle(client, 'bad-inline').result().then(() => null, (e: Error) => e);
    expect(error).not.toBeNull();
    const messages: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) messages.push(e.message);
    expect(messages.join('\n')).toContain('budget.maxTrials');
    await client.connection.close();
  });
});
