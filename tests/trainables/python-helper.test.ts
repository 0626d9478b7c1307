// The Python side of the command-trainable protocol, without a worker: the test writes the trial file
// a worker would write and runs experiments/python/sgd_breast_cancer.py (scikit-learn, through
// python/tuneflow_trial.py) in its own process group with the examples venv that `npm run setup` makes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readToolsFile, toolsFile } from '../../cli/services/tools';

const root = join(__dirname, '..', '..');
const program = join(root, 'experiments', 'python', 'sgd_breast_cancer.py');
const python = readToolsFile().examplesPython;
const venvReady = python !== undefined && existsSync(python);
const title = venvReady
  ? 'Python trainable helper and the SGD example'
  : `Python trainable helper and the SGD example: SKIPPED, no examplesPython in ${toolsFile()} (run \`npm run setup\` without --skip-examples)`;

const scratch = mkdtempSync(join(tmpdir(), 'tuneflow-python-helper-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Stage = 'search' | 'retrain' | 'evaluate';
interface Segment { dir: string; stage?: Stage; fromEpoch: number; toEpoch: number; totalEpochs?: number; params?: Record<string, unknown>; seed?: number }

/** Writes `<dir>/trial-<stage>-<from>-<to>.json` as a worker would: the folders are the trial's, shared by its segments. */
function writeTrialFile(s: Segment): string {
  return protocolEnv(s).TUNEFLOW_TRIAL_FILE;
}

/** The trial file (written) and every variable of the protocol, as the worker passes them. */
function protocolEnv(s: Segment): Record<string, string> & { TUNEFLOW_TRIAL_FILE: string } {
  mkdirSync(s.dir, { recursive: true });
  const stage = s.stage ?? 'search';
  const file = join(s.dir, `trial-${stage}-${s.fromEpoch}-${s.toEpoch}.json`);
  const info = {
    protocol: 1, campaign: 'test', trial: 7, stage, params: s.params ?? {}, seed: s.seed ?? 11,
    fromEpoch: s.fromEpoch, toEpoch: s.toEpoch, totalEpochs: s.totalEpochs ?? s.toEpoch,
    checkpointDir: join(s.dir, 'checkpoints'), artifactsDir: join(s.dir, 'artifacts'), resultsFile: join(s.dir, 'results.jsonl'),
    dataset: null,
  };
  writeFileSync(file, JSON.stringify(info));
  mkdirSync(info.checkpointDir, { recursive: true }); // the worker makes both folders
  mkdirSync(info.artifactsDir, { recursive: true });
  return {
    TUNEFLOW_TRIAL_FILE: file, TUNEFLOW_RESULTS_FILE: info.resultsFile, TUNEFLOW_TRIAL_CHECKPOINT_DIR: info.checkpointDir,
    TUNEFLOW_ARTIFACTS_DIR: info.artifactsDir, TUNEFLOW_STAGE: stage, TUNEFLOW_SEED: String(info.seed),
    TUNEFLOW_FROM_EPOCH: String(s.fromEpoch), TUNEFLOW_TO_EPOCH: String(s.toEpoch), TUNEFLOW_PARAMS: JSON.stringify(info.params),
  };
}

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Starts `python args` (or `command args`) in its own process group (as the worker does), without tuneflow's variables but those in `env`. */
function start(args: string[], env: Record<string, string>, command = python!): { pid: number; done: Promise<Exit> } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TUNEFLOW_')));
  const child = spawn(command, args, { env: { ...base, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

async function runSegment(s: Segment, env: Record<string, string> = {}): Promise<Exit> {
  const result = await start([program], { TUNEFLOW_TRIAL_FILE: writeTrialFile(s), SGD_EPOCH_LOG: join(s.dir, 'epochs.log'), ...env }).done;
  if (result.code !== 0) throw new Error(`segment ${s.fromEpoch}..${s.toEpoch} exited ${result.code ?? result.signal}:\n${result.stderr}`);
  return result;
}

interface Line { epoch?: number; metrics: Record<string, number> }
const results = (dir: string): Line[] => {
  const file = join(dir, 'results.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : [];
};
const epochsTrained = (dir: string): string[] => (existsSync(join(dir, 'epochs.log')) ? readFileSync(join(dir, 'epochs.log'), 'utf8').trim().split('\n') : []);
const checkpoints = (dir: string): string[] => readdirSync(join(dir, 'checkpoints')).sort();
const waitFor = async (what: string, ok: () => boolean, ms: number) => {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!venvReady)(title, () => {
  const resumeParams = { learning_rate: 'invscaling', eta0: 0.05, alpha: 0.001, loss: 'hinge' };

  it('a fresh segment reports one line per epoch with metrics in range, and keeps only the newest checkpoint', async () => {
    const dir = join(scratch, 'resumed');
    await runSegment({ dir, fromEpoch: 0, toEpoch: 3, totalEpochs: 5, params: resumeParams });
    const lines = results(dir);
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    for (const { metrics } of lines) {
      expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'epoch_seconds', 'val_accuracy', 'val_loss']);
      for (const name of ['accuracy', 'val_accuracy']) {
        expect(metrics[name]).toBeGreaterThanOrEqual(0);
        expect(metrics[name]).toBeLessThanOrEqual(1);
      }
      expect(metrics.val_loss).toBeGreaterThan(0); // the hinge loss here (log loss for loss log_loss)
      expect(Number.isFinite(metrics.val_loss)).toBe(true);
      expect(metrics.epoch_seconds).toBeGreaterThan(0);
      expect(metrics.epoch_seconds).toBeLessThan(5);
    }
    expect(lines.at(-1)!.metrics.val_accuracy).toBeGreaterThan(0.85); // it learns: a linear model does ~0.95 here
    expect(epochsTrained(dir)).toEqual(['7 1', '7 2', '7 3']);
    expect(checkpoints(dir)).toEqual(['checkpoint-000003.pkl']);
    expect(readdirSync(join(dir, 'artifacts'))).toEqual([]); // a search segment writes no model
  });

  it('a segment after a checkpoint trains only the epochs after it, and matches an uninterrupted run exactly', async () => {
    const params = resumeParams;
    const dir = join(scratch, 'resumed'); // the checkpoint of epoch 3 the test above left
    // A retry after a kill: the checkpoint is at epoch 3 while the segment says 2..5.
    const resumed = await runSegment({ dir, fromEpoch: 2, toEpoch: 5, totalEpochs: 5, params });
    expect(resumed.stdout).toContain('resuming from the checkpoint of epoch 3');
    expect(epochsTrained(dir)).toEqual(['7 1', '7 2', '7 3', '7 4', '7 5']);
    expect(results(dir).map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5]);

    const straight = join(scratch, 'straight');
    await runSegment({ dir: straight, fromEpoch: 0, toEpoch: 5, totalEpochs: 5, params });
    const withoutTime = (ls: Line[]) => ls.map(({ epoch, metrics: { epoch_seconds: _, ...rest } }) => ({ epoch, ...rest }));
    expect(withoutTime(results(dir))).toEqual(withoutTime(results(straight)));
    expect(results(dir)[4]!.metrics.val_loss).toBeGreaterThan(0); // hinge loss, reported as val_loss
  });

  it('SIGTERM to the process group during a slow epoch ends it at once with status 143 and no further lines', async () => {
    const dir = join(scratch, 'sigterm');
    const run = start([program], { TUNEFLOW_TRIAL_FILE: writeTrialFile({ dir, fromEpoch: 0, toEpoch: 5 }), SGD_EPOCH_SLEEP: '1.5', SGD_EPOCH_LOG: join(dir, 'epochs.log') });
    await waitFor('the first results line', () => results(dir).length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 300)); // inside epoch 2's sleep
    const sent = Date.now();
    process.kill(-run.pid, 'SIGTERM');
    const exit = await run.done;
    const took = Date.now() - sent;
    expect(took).toBeLessThan(3_000); // the worker's grace period is 10 s by default; no line for epoch 2 below shows it did not finish the epoch
    expect(exit.code).toBe(143);
    expect(exit.stderr).toMatch(/SIGTERM \(trial pruned or cancelled\) during epoch 2/);
    expect(exit.stderr).not.toContain('Traceback');
    await new Promise((r) => setTimeout(r, 500));
    expect(results(dir).map((l) => l.epoch)).toEqual([1]);
    expect(epochsTrained(dir)).toEqual(['7 1']);
    expect(checkpoints(dir)).toEqual(['checkpoint-000001.pkl']);
  });

  it('exits when the process that started it dies, instead of training on as an orphan', async () => {
    const dir = join(scratch, 'orphan');
    // bash stands in for the worker: it starts the program, prints its pid and is then SIGKILLed.
    const env = { TUNEFLOW_TRIAL_FILE: writeTrialFile({ dir, fromEpoch: 0, toEpoch: 20 }), SGD_EPOCH_SLEEP: '0.5' };
    const parent = spawn('bash', ['-c', `"${python}" "${program}" & echo $!; wait`], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (c) => resolve(Number(String(c).trim()))));
    await waitFor('the first results line', () => results(dir).length >= 1, 15_000);
    parent.kill('SIGKILL');
    await waitFor('the orphaned program to exit', () => !alive(pid), 5_000); // it looks every second
    expect(results(dir).length).toBeLessThan(6); // it did not run to epoch 20
  });

  it('a retrain writes coefficients.json and model.pkl on its last epoch; evaluate reports test metrics from the final checkpoint', async () => {
    const dir = join(scratch, 'retrain');
    await runSegment({ dir, stage: 'retrain', fromEpoch: 0, toEpoch: 2, totalEpochs: 4 });
    expect(readdirSync(join(dir, 'artifacts'))).toEqual([]); // not the last epoch yet
    await runSegment({ dir, stage: 'retrain', fromEpoch: 2, toEpoch: 4, totalEpochs: 4 });
    expect(readdirSync(join(dir, 'artifacts')).sort()).toEqual(['coefficients.json', 'model.pkl']);
    const coefficients = JSON.parse(readFileSync(join(dir, 'artifacts', 'coefficients.json'), 'utf8')) as { coefficients: Record<string, number>; params: { loss: string } };
    expect(Object.keys(coefficients.coefficients)).toHaveLength(30);
    expect(coefficients.coefficients['mean radius']).toEqual(expect.any(Number));
    expect(coefficients.params.loss).toBe('log_loss');

    await runSegment({ dir, stage: 'evaluate', fromEpoch: 4, toEpoch: 4, totalEpochs: 4 });
    const last = results(dir).at(-1)!;
    expect(last.epoch).toBeUndefined();
    expect(Object.keys(last.metrics).sort()).toEqual(['test_accuracy', 'test_loss']);
    expect(last.metrics.test_accuracy).toBeGreaterThan(0.85);
    expect(last.metrics.test_accuracy).toBeLessThanOrEqual(1);
    expect(last.metrics.test_loss).toBeGreaterThan(0);
    expect(epochsTrained(dir)).toEqual(['7 1', '7 2', '7 3', '7 4']); // evaluate trains nothing
  });

  it('clear errors, without a traceback: no TUNEFLOW_TRIAL_FILE, a bad trial file, an unknown parameter', async () => {
    const missing = await start([program], {}).done;
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^tuneflow_trial: \$TUNEFLOW_TRIAL_FILE is not set: this program is a tuneflow trainable/);

    const dir = join(scratch, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'trial.json'), '{"protocol": 1,\n "stage": "search",\n "campaign": 3}');
    const badField = await start([program], { TUNEFLOW_TRIAL_FILE: join(dir, 'trial.json') }).done;
    expect(badField.stderr.trim()).toBe(`tuneflow_trial: trial file ${join(dir, 'trial.json')}: field 'campaign' should be a string, got 3`);
    writeFileSync(join(dir, 'trial.json'), '{"protocol": 1,\n "stage": }');
    const notJson = await start([program], { TUNEFLOW_TRIAL_FILE: join(dir, 'trial.json') }).done;
    expect(notJson.stderr.trim()).toBe(`tuneflow_trial: ${join(dir, 'trial.json')}:2:11: not JSON: Expecting value`);

    const unknown = await start([program], { TUNEFLOW_TRIAL_FILE: writeTrialFile({ dir, fromEpoch: 0, toEpoch: 1, params: { alpah: 0.1 } }) }).done;
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('sgd_breast_cancer: unknown parameter(s) alpah; known: alpha, eta0, l1_ratio, learning_rate, loss, penalty, power_t');
    for (const run of [missing, badField, notJson, unknown]) expect(run.stderr).not.toContain('Traceback');
  });

  it('the examples of docs/trainables-protocol.md run: the Python one (search, then evaluate) and the bash one (resumed)', async () => {
    const doc = readFileSync(join(root, 'docs', 'trainables-protocol.md'), 'utf8');
    const block = (lang: string) => {
      const found = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc);
      if (!found) throw new Error(`no \`\`\`${lang} block in docs/trainables-protocol.md`);
      return found[1]!;
    };
    const dir = join(scratch, 'docs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'example.py'), block('python'));
    writeFileSync(join(dir, 'example.sh'), block('bash'));

    const py = join(dir, 'py');
    const env = { PYTHONPATH: join(root, 'python') };
    for (const s of [{ dir: py, fromEpoch: 0, toEpoch: 3, params: { lr: 0.5 } }, { dir: py, stage: 'evaluate' as const, fromEpoch: 3, toEpoch: 3, params: { lr: 0.5 } }]) {
      const run = await start([join(dir, 'example.py')], { ...protocolEnv(s), ...env }).done;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    const lines = results(py);
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3, undefined]);
    expect(lines[2]!.metrics.loss).toBeLessThan(lines[0]!.metrics.loss!); // it learns y = 2x
    expect(lines[3]!.metrics.test_loss).toBe(lines[2]!.metrics.loss);

    const sh = join(dir, 'sh');
    for (const s of [{ dir: sh, fromEpoch: 0, toEpoch: 3 }, { dir: sh, fromEpoch: 2, toEpoch: 5 }]) {
      const run = await start([join(dir, 'example.sh')], protocolEnv(s), 'bash').done;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
    expect(results(sh)).toEqual([1, 2, 3, 4, 5].map((epoch) => ({ epoch, metrics: { loss: expect.closeTo(1 / (epoch + 11), 5) } })));
  });

  it("the helper's docstring examples run (python -m doctest)", async () => {
    const doctest = await start(['-m', 'doctest', join(root, 'python', 'tuneflow_trial.py')], {}).done;
    expect(doctest.stdout).toBe('');
    expect(doctest.code).toBe(0);
  });
});
