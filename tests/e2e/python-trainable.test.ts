// A Python program as the unit of work (experiments/python/sgd_breast_cancer.py, scikit-learn), through
// real worker processes: pruning stops programs early, the retrain stage runs the program and its
// evaluate stage, and a worker killed with SIGKILL mid-trial leaves no orphan program while the trial
// resumes from the program's own checkpoint, training at most the epoch in progress again.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectTemporal, startCampaign } from '../../cli/client';
import { readToolsFile } from '../../cli/services/tools';
import { artifactPaths, campaignRuns, metricHistory, paramsOf, tagsOf, type RestRun } from '../helpers/mlflow-queries';
import { campaignFixture } from '../helpers/campaign';
import { firstEpochLogged, processesMatching, startWorkerProcess, until } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const mlflow = inject('mlflowTrackingUri');
const program = join(root, 'experiments', 'python', 'sgd_breast_cancer.py');

if (!readToolsFile().examplesPython) throw new Error('the Python examples venv is missing: run `npm run setup` (its "Python examples" step)');

/** A spec in `dir` running the example program; `epochLog` gets "<trial> <epoch>" per epoch trained. */
function writeSpec(dir: string, name: string, body: string, env: Record<string, string>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `name: ${name}\n` +
      `trainable:\n  command: ["\${TUNEFLOW_EXAMPLES_PYTHON}", ${JSON.stringify(program)}]\n  cwd: ${JSON.stringify(join(root, 'experiments'))}\n` +
      `  evaluate: true\n  gracePeriod: 2s\n  env: ${JSON.stringify(env)}\n${body}`,
  );
  return path;
}

/** Epochs trained per trial number, from the program's own log. */
function epochsTrained(file: string): Map<number, number[]> {
  const trained = new Map<number, number[]>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n').filter(Boolean)) {
    const [trial, epoch] = line.split(' ').map(Number) as [number, number];
    trained.set(trial, [...(trained.get(trial) ?? []), epoch]);
  }
  return trained;
}

const steps = async (run: RestRun) => (await metricHistory(mlflow, run.info.run_id, 'val_loss')).map((m) => m.step).sort((a, b) => a - b);

describe('a Python command trainable with pruning and retrain', () => {
  const dir = tempDir('python-prune');
  const epochLog = join(dir, 'epochs.log');
  writeFileSync(epochLog, '');
  const spec = writeSpec(
    dir,
    'python-prune',
    [
      'search:',
      '  space:',
      '    alpha: {type: float, low: 1.0e-5, high: 1.0, log: true}',
      // Strong regularization first (val_loss ~0.3), then weak (overconfident, val_loss ~1): trials for the median rule to stop.
      '  enqueue: [{alpha: 0.3}, {alpha: 0.9}, {alpha: 1.0e-5}, {alpha: 3.0e-5}, {alpha: 1.0e-4}, {alpha: 2.0e-5}]',
      '  sampler: random',
      '  scheduler: {type: median, options: {nStartupTrials: 2}}',
      'objective: {metric: val_loss, direction: minimize}',
      'budget: {maxTrials: 6, maxConcurrentTrials: 2}',
      'training: {epochs: 6, segmentEpochs: 2}',
      'retrain: {topK: 1, epochs: 4}',
      'tracking: {reportEvery: 0}',
      '',
    ].join('\n'),
    { SGD_EPOCH_LOG: epochLog },
  );
  const campaign = campaignFixture(spec, tempDir('python-prune-checkpoints'));

  it('prunes poor trials early: their programs trained only the epochs they reported', async () => {
    const { result, runs } = campaign();
    expect(result.status).toBe('COMPLETED');
    expect(result.trials.failed).toBe(0);
    expect(result.trials.pruned).toBeGreaterThanOrEqual(1);
    const trained = epochsTrained(epochLog);
    const retrained = result.retrain[0]!.trialNumber;
    for (const run of runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')) {
      const trial = Number(tagsOf(run)['tuneflow.trial_number']);
      const reported = await steps(run);
      const last = reported.at(-1)!;
      expect(reported).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      const own = trained.get(trial)!.slice(0, trial === retrained ? -4 : undefined);
      expect(own).toEqual(reported); // each epoch trained once, none past the prune
      if (tagsOf(run)['tuneflow.state'] === 'PRUNED') expect(last).toBeLessThan(6);
      else expect(last).toBe(6);
    }
  });

  it('retrains with the program, evaluates it on the test split and keeps its artifacts and log', async () => {
    const { result, runs } = campaign();
    const retrain = runs.find((r) => tagsOf(r)['tuneflow.stage'] === 'retrain')!;
    expect(await steps(retrain)).toEqual([1, 2, 3, 4]);
    expect(result.retrain[0]!.metrics.test_accuracy).toBeGreaterThan(0.9);
    expect(paramsOf(retrain).alpha).toBeDefined();
    const files = await artifactPaths(mlflow, retrain.info.run_id);
    expect(files).toEqual(expect.arrayContaining(['coefficients.json', 'logs']));
    expect(await artifactPaths(mlflow, retrain.info.run_id, 'logs')).toEqual(['logs/output.log']);
  });
});

describe('a worker killed with SIGKILL while its Python program trains', () => {
  const workers: ChildProcess[] = [];
  afterAll(() => {
    for (const w of workers) w.kill('SIGKILL');
  });

  it('leaves no orphan program, and the trial resumes from the program checkpoint', async () => {
    const dir = tempDir('python-kill');
    const epochLog = join(dir, 'epochs.log');
    writeFileSync(epochLog, '');
    const spec = writeSpec(
      dir,
      'python-kill',
      [
        'search:',
        '  space: {alpha: {type: float, low: 1.0e-5, high: 1.0e-2, log: true}}',
        '  sampler: random',
        '  scheduler: none',
        'objective: {metric: val_loss, direction: minimize}',
        'budget: {maxTrials: 1, maxConcurrentTrials: 1}',
        'training: {epochs: 6, segmentEpochs: 3}',
        'retrain: {topK: 1, epochs: 1}',
        'resources: {taskQueue: python-kill-test}',
        'tracking: {reportEvery: 0}',
        '',
      ].join('\n'),
      { SGD_EPOCH_LOG: epochLog, SGD_EPOCH_SLEEP: '0.7' },
    );
    const checkpoints = tempDir('python-kill-checkpoints');
    const first = startWorkerProcess('python-kill-test', checkpoints);
    workers.push(first.proc);
    const client = await connectTemporal(inject('temporalAddress'));
    try {
      const handle = await startCampaign(client, { specPath: spec });
      const trial0 = await firstEpochLogged('tuneflow/python-kill', handle.workflowId);
      // The program runs with the spec's epoch log in its environment, not on its command line: find it by its checkpoint folder.
      const programs = await until('the program to be running', async () => (processesMatching(program).length > 0 ? processesMatching(program) : undefined), 30_000);
      first.proc.kill('SIGKILL');
      await until('the killed worker\'s program to exit', async () => (programs.some((pid) => processesMatching(program).includes(pid)) ? undefined : true), 10_000);

      const second = startWorkerProcess('python-kill-test', checkpoints);
      workers.push(second.proc);
      const result = await handle.result();
      expect(result.status).toBe('COMPLETED');
      expect(result.trials.completed).toBe(1);
      expect(await steps(trial0)).toEqual([1, 2, 3, 4, 5, 6]);
      const trained = epochsTrained(epochLog).get(0)!.slice(0, -1); // the last line is the retrain's epoch
      const twice = trained.length - new Set(trained).size;
      console.log(`python trainable, one SIGKILL mid-segment: epochs trained twice ${twice}, epoch log ${JSON.stringify(trained)}`);
      expect(twice).toBeLessThanOrEqual(1); // one kill: at most the epoch in progress is trained again
      expect([...new Set(trained)].sort()).toEqual([1, 2, 3, 4, 5, 6]);
      const runs = await campaignRuns(mlflow, result.mlflow.experimentId, result.workflowId);
      expect(runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search')).toHaveLength(1);
    } finally {
      await client.connection.close();
    }
  }, 600_000);
});
