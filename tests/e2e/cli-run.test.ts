// `tuneflow run --json` on the quickstart, as a user runs it: a child process of the built CLI
// against the real servers; stdout must hold exactly one JSON object. Then a tiny campaign run with
// `--set`, its results (every setting a trial trained with), `tuneflow train --from` / `--params` on its
// best configuration, and what the console shows with and without `--verbose`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MlflowClient } from '../../mlflow/client';
import { campaignRuns, downloadArtifact, metricHistory, paramsOf, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const dir = tempDir('cli-run');

function tuneflow(args: string[], timeoutMs = 900_000) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MLFLOW_TRACKING_URI: mlflow,
    TUNEFLOW_CHECKPOINT_DIR: join(dir, 'checkpoints'),
  };
  // As a user's shell has them: neither set.
  delete env.TF_CPP_MIN_LOG_LEVEL;
  delete env.TUNEFLOW_VERBOSE;
  const res = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8', timeout: timeoutMs, env });
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
    expect(stderr).toContain(`MLflow UI: ${mlflow}/#/experiments/${out.mlflow.experimentId}/runs (campaign run: `);
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

// A fixed model option (activation) and a fixed training setting (batchSize) that no search parameter
// names: a trial trains with them, so its params and best_hyperparameters.yaml must hold them.
const tinySpec = `name: cli-run-set
seed: 3
dataset:
  name: synthetic-shapes
  options: {trainSize: 200, testSize: 100, imageSize: 8}
model: {family: mlp, options: {activation: tanh}}
search:
  space:
    learningRate: {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
    units: {type: categorical, choices: [8, 16]}
  sampler: random
  scheduler: none
objective: {metric: val_loss, direction: minimize}
budget: {maxTrials: 5, maxConcurrentTrials: 2}
training: {epochs: 1, batchSize: 16}
retrain: {topK: 0}
`;

/** TensorFlow's C++ log lines (absl or older format) and the SDK's training-worker warning. */
const TF_LOG = /^(?:[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\]|WARNING: All log messages before absl|.*\b[IW] tensorflow\/)/m;
const NO_WORKFLOWS = 'No workflows registered';

describe('tuneflow run --set, the recorded configuration, and train --from / --params', () => {
  const specPath = join(dir, 'set.yaml');
  writeFileSync(specPath, tinySpec);
  const client = new MlflowClient({ trackingUri: mlflow, env: {} });

  it('runs with --set applied, a quiet console, every setting in the trial params and best_hyperparameters.yaml; train reuses the best', async () => {
    const run = tuneflow(['run', specPath, '--json', '--set', 'budget.maxTrials=2', '--set', 'model.layers=1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(TF_LOG);
    expect(run.stderr).not.toContain(NO_WORKFLOWS);
    const result = JSON.parse(run.stdout.trim()) as { workflowId: string; best: { params: Record<string, unknown> }; mlflow: { experimentId: string; parentRunId: string } };
    const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials).toHaveLength(2); // budget.maxTrials=2 from --set, not the file's 5
    for (const trial of trials) {
      // layers from --set, activation from model.options, batchSize and optimizer from training: all recorded.
      expect(paramsOf(trial)).toMatchObject({ layers: '1', activation: 'tanh', batchSize: '16', optimizer: 'adam' });
      expect(['8', '16']).toContain(paramsOf(trial).units);
    }
    const parent = runs.find((r) => r.info.run_id === result.mlflow.parentRunId)! as RestRun;
    const bestText = await downloadArtifact(mlflow, parent, 'best_hyperparameters.yaml');
    const best = (parseYaml(bestText) as { params: Record<string, unknown> }).params;
    expect(best).toEqual({ ...result.best.params, layers: 1, activation: 'tanh', batchSize: 16, optimizer: 'adam' });

    // train --from: the campaign's spec and best configuration from MLflow, logged as a run of its own.
    const fromRun = tuneflow(['train', '--from', result.workflowId, '--json']);
    expect(fromRun.code, fromRun.stderr).toBe(0);
    expect(fromRun.stderr).not.toMatch(/\n\s+at /);
    const report = JSON.parse(fromRun.stdout.trim()) as { params: Record<string, unknown>; paramSources: Record<string, string>; mlflow: { runId: string; experimentId: string } };
    expect(report.params).toEqual(best);
    expect(report.paramSources.learningRate).toBe('--from');
    expect(report.mlflow.experimentId).toBe(result.mlflow.experimentId); // the spec's experiment
    const trainRun = await client.getRun(report.mlflow.runId);
    expect(trainRun.info.status).toBe('FINISHED');
    expect(trainRun.data.tags).toMatchObject({ 'tuneflow.stage': 'train', 'tuneflow.source_campaign': result.workflowId });
    expect(trainRun.data.params).toMatchObject({ activation: 'tanh', batchSize: '16', layers: '1', learningRate: String(best.learningRate), units: String(best.units) });
    expect((await metricHistory(mlflow, report.mlflow.runId, 'val_loss')).map((m) => m.step)).toEqual([1]);
    expect(trainRun.data.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['test_accuracy', 'test_loss']));

    // train --params with the file the campaign wrote: the same configuration.
    const bestFile = join(dir, 'best_hyperparameters.yaml');
    writeFileSync(bestFile, bestText);
    const paramsRun = tuneflow(['train', specPath, '--params', bestFile, '--json']);
    expect(paramsRun.code, paramsRun.stderr).toBe(0);
    expect((JSON.parse(paramsRun.stdout.trim()) as { params: unknown }).params).toEqual(best);
  }, 600_000);

  it('--verbose lets TensorFlow and the SDK log', () => {
    const run = tuneflow(['run', specPath, '--json', '--verbose', '--set', 'budget.maxTrials=1', '--set', 'budget.maxConcurrentTrials=1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(NO_WORKFLOWS);
    // TensorFlow's own lines reach the console when this TensorFlow prints any at level 0 (2.21 prints its oneDNN notice).
    expect(run.stderr).toMatch(TF_LOG);
  }, 600_000);

  it('a bad --set names the key, exits 2 and starts nothing', () => {
    const run = tuneflow(['run', specPath, '--set', 'model.nosuch=1']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(/^tuneflow: --set model\.nosuch: model "mlp" has no option "nosuch" \(known: units, /);
    const value = tuneflow(['run', specPath, '--set', 'budget.maxTrials=many']);
    expect(value.code).toBe(2);
    expect(value.stderr.trim()).toMatch(/^set\.yaml with --set:\d+:\d+: budget\.maxTrials: /);
    expect(value.stderr).not.toMatch(/\n\s+at /);
  });
});
