// The chaos bench's checks must see what they claim to count: runs it should call lost, duplicated runs
// and points (on the real MLflow server of the global setup), and an epoch whose checkpoint was written
// twice.
import { randomUUID } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { checkMlflow, EpochTrainingWatcher } from '../../bench/chaos-verify';
import { MlflowClient } from '../../mlflow/client';
import { tempDir } from '../helpers/temp';

const trackingUri = inject('mlflowTrackingUri');
const dir = tempDir('chaos-verify');

describe('checkMlflow', () => {
  it('counts lost trials, duplicate runs and duplicate points, and passes a clean trial', async () => {
    const client = new MlflowClient({ trackingUri });
    const experimentId = await client.createExperiment(`chaos-verify-${randomUUID().slice(0, 8)}`);
    const campaign = `campaign-${randomUUID().slice(0, 8)}`;
    const trialRun = async (trial: number, state: string, status: 'FINISHED' | 'RUNNING') => {
      const run = await client.createRun({
        experimentId,
        runName: `trial-${trial}`,
        tags: { 'tuneflow.campaign_id': campaign, 'tuneflow.stage': 'search', 'tuneflow.trial_number': String(trial), 'tuneflow.state': state },
      });
      if (status === 'FINISHED') await client.updateRun({ runId: run.info.runId, status, endTime: Date.now() });
      return run.info.runId;
    };
    // 0: clean, two epochs. 1: logged twice (a retry that created a second run). 2: finished in MLflow
    // but left RUNNING by tuneflow. 3: never created. 4: COMPLETE but the MLflow run still RUNNING.
    const clean = await trialRun(0, 'COMPLETE', 'FINISHED');
    await client.logBatch({ runId: clean, metrics: [1, 2].map((step) => ({ key: 'loss', value: 1 / step, timestamp: step, step })) });
    const twice = await trialRun(1, 'COMPLETE', 'FINISHED');
    await trialRun(1, 'COMPLETE', 'FINISHED');
    // A second point at step 1 (another value and time: an epoch logged again) and a gap at step 2.
    await client.logBatch({ runId: twice, metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 1 }] });
    await client.logBatch({ runId: twice, metrics: [{ key: 'loss', value: 0.4, timestamp: 9, step: 1 }, { key: 'loss', value: 0.3, timestamp: 3, step: 3 }] });
    await trialRun(2, 'RUNNING', 'FINISHED');
    await trialRun(4, 'COMPLETE', 'RUNNING');

    const found = await checkMlflow(trackingUri, experimentId, campaign, [0, 1, 2, 3, 4]);
    expect(found.lostTrials).toEqual([
      { trial: 1, why: '2 search runs' },
      { trial: 2, why: 'state RUNNING' },
      { trial: 3, why: '0 search runs' },
      { trial: 4, why: 'MLflow run status RUNNING' },
    ]);
    expect(found.duplicateRuns).toBe(1);
    expect(found.duplicatePoints).toBe(1);
    expect(found.missingEpochPoints).toBe(1);
    expect(found.runs).toBe(5);
    expect([...found.loggedEpochs].sort()).toEqual(['trial-0/1', 'trial-0/2', 'trial-1/1', 'trial-1/3']);
  });
});

describe('EpochTrainingWatcher', () => {
  const writeState = (job: string, epoch: number, history: { epoch: number; endedAt: number }[], mtime: number) => {
    const at = join(dir, 'campaign', job, `epoch-${epoch}`);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'state.json'), JSON.stringify({ history }));
    utimesSync(join(at, 'state.json'), mtime, mtime);
  };

  it('counts an epoch trained again, also when its checkpoint is overwritten in place', async () => {
    const watcher = new EpochTrainingWatcher(join(dir, 'campaign'));
    writeState('trial-0', 1, [{ epoch: 1, endedAt: 100 }], 1_000);
    writeState('trial-0', 2, [{ epoch: 1, endedAt: 100 }, { epoch: 2, endedAt: 200 }], 1_001);
    await watcher.scan();
    expect(watcher.trainedTwice).toBe(0);
    // Resumed from epoch 1 and trained epoch 2 again: the same checkpoint folder, a new end time.
    writeState('trial-0', 2, [{ epoch: 1, endedAt: 100 }, { epoch: 2, endedAt: 250 }], 1_002);
    // A checkpoint caught mid-write is skipped, not fatal, and read on a later scan.
    mkdirSync(join(dir, 'campaign', 'trial-1', 'epoch-1'), { recursive: true });
    writeFileSync(join(dir, 'campaign', 'trial-1', 'epoch-1', 'state.json'), '{"history": [');
    await watcher.scan();
    expect(watcher.trainedTwice).toBe(1);
    expect(watcher.totalTrainings).toBe(3);
    writeState('trial-1', 1, [{ epoch: 1, endedAt: 300 }], 1_003);
    await watcher.scan();
    expect([...watcher.epochs].sort()).toEqual(['trial-0/1', 'trial-0/2', 'trial-1/1']);
  });
});
