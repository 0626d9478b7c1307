// `tuneflow report` as a user runs it: the built CLI, a child process, against the real servers, on a
// tiny campaign run to its end in this process. Then the files, one history point and one trials.csv
// row per trial; and an unknown campaign id is one line and exit code 2.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { HEALTH_METRICS, TRAINING_METRICS } from '../../report';
import { parse as parseYaml } from 'yaml';
import { campaignFixture } from '../helpers/campaign';
import { tagsOf } from '../helpers/mlflow-queries';
import { runNode } from '../helpers/run-node';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const dir = tempDir('report');
const campaign = campaignFixture(join(root, 'tests', 'fixtures', 'specs', 'tiny.yaml'), join(dir, 'checkpoints'));
const tuneflow = (args: string[]) =>
  runNode([join(root, 'dist', 'cli', 'main.js'), ...args], { cwd: dir, env: { MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'), TEMPORAL_ADDRESS: inject('temporalAddress') } });

describe('tuneflow report', () => {
  it('writes the report of a finished campaign: every file, one history point and one trials.csv row per trial', async () => {
    const { result, runs } = campaign();
    const trials = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'search');
    expect(trials).toHaveLength(4);
    const out = join(dir, 'out');
    const started = Date.now();
    const { code, stderr } = await tuneflow(['report', result.workflowId, '--out', out]);
    const seconds = (Date.now() - started) / 1000;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`${out}/report.html`);
    process.stderr.write(`tuneflow report of the tiny campaign: ${seconds.toFixed(1)} s (CLI process included)\n`);
    for (const f of ['report.html', 'leaderboard.csv', 'trials.csv', 'results.yaml', 'best_hyperparameters.yaml', 'plots/history.svg', 'plots/intermediate.svg', 'plots/timeline.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // One item per trial: a point for each trial with a value, a tick for one without.
    const history = readFileSync(join(out, 'plots', 'history.svg'), 'utf8');
    const items = (history.match(/role="graphics-symbol" aria-roledescription="(point|tick)"/g) ?? []).length;
    expect(items).toBe(4);
    expect(readFileSync(join(out, 'plots', 'timeline.svg'), 'utf8').match(/aria-roledescription="bar"/g)).toHaveLength(4);
    const rows = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('trial,state,val_loss,epochs,learningRate,units,start,end,run_id');
    expect(rows.slice(1).map((r) => Number(r.split(',')[0]))).toEqual([0, 1, 2, 3]);
    const results = parseYaml(readFileSync(join(out, 'results.yaml'), 'utf8'));
    expect(results).toMatchObject({ campaign: result.workflowId, status: result.status, trials: { total: 4 } });
    expect(results.best.trial).toBe(result.best?.trialNumber);
    // The retrain runs: one line per run and metric it logged, in the training curves and the health plot.
    const retrains = runs.filter((r) => tagsOf(r)['tuneflow.stage'] === 'retrain');
    expect(retrains.length).toBeGreaterThan(0);
    const lines = (file: string) => (readFileSync(join(out, 'plots', file), 'utf8').match(/role="graphics-symbol" aria-roledescription="line mark"/g) ?? []).length;
    const logged = (names: readonly string[]) => retrains.reduce((n, r) => n + (r.data.metrics ?? []).filter((m) => names.includes(m.key)).length, 0);
    expect(lines('training-curves.svg')).toBe(logged(TRAINING_METRICS));
    expect(logged(TRAINING_METRICS)).toBe(4 * retrains.length);
    expect(lines('model-health.svg')).toBe(logged(HEALTH_METRICS));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script/);
    // One objective and one numeric parameter: a sentence instead of the Pareto front and the contour.
    expect(html).toContain('One objective: no Pareto front.');
    expect(html).toContain('A contour needs two numeric parameters; the search space has 1.');
    expect(html).toContain(`Trial ${result.best?.trialNumber}:`);
    expect(readFileSync(join(out, 'best_hyperparameters.yaml'), 'utf8')).toContain(`trial: ${result.best?.trialNumber}`);
  });

  it('an unknown campaign id: one line, exit code 2, nothing written', async () => {
    const { code, stdout, stderr } = await tuneflow(['report', 'no-such-campaign', '--out', join(dir, 'none')]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('no campaign "no-such-campaign"')]);
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  it('no campaign id: a usage line, exit code 2', async () => {
    const { code, stderr } = await tuneflow(['report']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^tuneflow: report: give one campaign id/);
  });
});
