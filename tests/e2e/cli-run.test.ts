// `tuneflow run --json` on the quickstart, as a user runs it: a child process of the built CLI
// against the real servers; stdout must hold exactly one JSON object.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { campaignRuns, tagsOf } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('cli-run');

function tuneflow(args: string[], timeoutMs = 900_000) {
  const res = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      MLFLOW_TRACKING_URI: mlflow,
      TUNEFLOW_CHECKPOINT_DIR: join(dir, 'checkpoints'),
    },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('tuneflow run --json', () => {
  it('runs the quickstart and prints one JSON object with the summary', async () => {
    const { code, stdout, stderr } = tuneflow(['run', 'experiments/quickstart.yaml', '--json']);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(Object.keys(out).sort()).toEqual(['best', 'mlflow', 'retrain', 'status', 'timing', 'trials', 'workflowId']);
    expect(out.status).toBe('COMPLETED');
    expect(out.best).toMatchObject({ trialNumber: expect.any(Number), params: expect.any(Object), value: expect.any(Number) });
    expect(out.trials.completed + out.trials.pruned + out.trials.failed).toBe(12);
    expect(out.retrain.length).toBe(2);
    for (const r of out.retrain) expect(r.metrics.test_accuracy).toBeGreaterThan(0.5);
    expect(out.mlflow.trackingUri).toBe(mlflow);
    expect(out.timing.wallSeconds).toBeGreaterThan(out.timing.trainSeconds * 0.5);
    expect(stderr).toContain('MLflow UI:');
    const runs = await campaignRuns(mlflow, out.mlflow.experimentId, out.workflowId);
    expect(runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')).toHaveLength(12);
  }, 900_000);

  it('rejects a bad spec before starting anything, with file, line and column', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nsearch:\n  space:\n    lr: {type: float, low: 1, high: 0.1}\nbudget:\n  maxTrials: many\n');
    const { code, stdout, stderr } = tuneflow(['run', file]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:6:14: budget.maxTrials`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
