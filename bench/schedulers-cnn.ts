// The real-training half of `npm run bench:schedulers`: the quickstart CNN campaign run three times
// through the real workflow (Temporal dev server, MLflow server, tfjs-node workers), once per scheduler
// (`none`, `asha`, `hyperband`), with the same sampler seed so every run proposes the same trials.
// Target (issue 4): asha reaches the best validation accuracy of the `none` run with ≤ 40 % of its compute.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { connectTemporal, startCampaign, type CampaignResult } from '../cli/client';
import { startMlflowServer } from '../cli/services/mlflow-server';
import { startTemporalServer } from '../cli/services/temporal-server';
import { startWorkers } from '../cli/worker';
import { fmt, machine, table } from './table';

const SCHEDULERS: { label: string; scheduler: unknown }[] = [
  { label: 'none', scheduler: 'none' },
  { label: 'asha (promotion, η=3)', scheduler: { type: 'asha', options: { mode: 'promotion', minResource: 1, reductionFactor: 3 } } },
  { label: 'hyperband (η=3)', scheduler: { type: 'hyperband', options: { minResource: 1, reductionFactor: 3 } } },
];

/** The quickstart spec, turned into a 27-trial, 9-epoch campaign that maximizes validation accuracy. */
function specFor(label: string, scheduler: unknown, trials: number): string {
  const doc = parseDocument(readFileSync(join(__dirname, '..', '..', 'experiments', 'quickstart.yaml'), 'utf8'));
  doc.set('name', `bench-${label.split(' ')[0]}`);
  doc.setIn(['search', 'scheduler'], scheduler);
  doc.setIn(['search', 'sampler'], { type: 'random', options: {} });
  doc.set('objective', { metric: 'val_accuracy', direction: 'maximize' });
  doc.setIn(['budget', 'maxTrials'], trials);
  doc.setIn(['budget', 'maxConcurrentTrials'], 2);
  doc.setIn(['training', 'epochs'], 9);
  doc.set('retrain', { topK: 0 });
  return doc.toString();
}

export async function realCnnBench(opts: { trials: number }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-cnn-'));
  const [temporal, mlflow] = await Promise.all([
    startTemporalServer({ logFile: join(dir, 'temporal.log'), uiPort: null }),
    startMlflowServer({ dir: join(dir, 'mlflow'), logFile: join(dir, 'mlflow.log') }),
  ]);
  const workers = await startWorkers({
    temporalAddress: temporal.address,
    mlflowTrackingUri: mlflow.url,
    checkpointRoot: join(dir, 'checkpoints'),
    control: true,
    trainingQueues: ['tuneflow-training'],
  });
  const client = await connectTemporal(temporal.address);
  const results: { label: string; result: CampaignResult; wall: number }[] = [];
  try {
    for (const { label, scheduler } of SCHEDULERS) {
      const specPath = join(dir, `${label.split(' ')[0]}.yaml`);
      writeFileSync(specPath, specFor(label, scheduler, opts.trials));
      const started = Date.now();
      const handle = await startCampaign(client, { specPath });
      results.push({ label, result: await handle.result(), wall: (Date.now() - started) / 1000 });
    }
  } finally {
    await client.connection.close();
    await workers.shutdown();
    await Promise.all([temporal.stop(), mlflow.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  const none = results[0]!;
  const noneBest = none.result.best?.value ?? NaN;
  console.log(`\n## Real CNN campaign: quickstart data, ${opts.trials} trials × 9 epochs, 2 at a time, same sampler seed (CPU: ${machine()})\n`);
  console.log(
    table(
      ['scheduler', 'complete', 'pruned', 'train seconds', 'share of none', 'wall seconds', 'best val_accuracy'],
      results.map(({ label, result, wall }) => [
        label,
        result.trials.completed,
        result.trials.pruned,
        fmt(result.timing.trainSeconds),
        `${((100 * result.timing.trainSeconds) / none.result.timing.trainSeconds).toFixed(0)} %`,
        fmt(wall),
        fmt(result.best?.value ?? NaN),
      ]),
    ),
  );
  const asha = results[1]!;
  const share = asha.result.timing.trainSeconds / none.result.timing.trainSeconds;
  const reached = (asha.result.best?.value ?? -Infinity) >= noneBest;
  const verdict = reached && share <= 0.4 ? 'PASS' : 'FAIL';
  console.log(
    `\ntarget: ${verdict} — asha best ${fmt(asha.result.best?.value ?? NaN)} vs none ${fmt(noneBest)} (${reached ? 'reached' : 'not reached'}) ` +
      `with ${(share * 100).toFixed(0)} % of its training seconds (goal ≤ 40 %)`,
  );
}
