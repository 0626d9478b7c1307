// The PBT rows of `npm run bench:schedulers` (`--pbt-only`, or after the real CNN part): population-based
// training against ASHA and no pruning on the real CNN bench (bench/schedulers-cnn.ts: synthetic shapes with
// noise, the quickstart CNN without dropout) through the real workflow, for several campaign seeds.
//
// Equal compute: `none` trains P trials × E epochs, PBT a population of P for E epochs (the same P × E
// epochs; its exploits copy checkpoints, they train nothing), ASHA (promotion, η = 3) gets 3 × P trials,
// which its pruning brings to about the same number of epochs. Each row shows the epochs and training
// seconds it really spent, read from the workflow history like the CNN part. The value compared is the
// best trial's (PBT: the best member's) validation accuracy at its last epoch.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CampaignResult } from '../cli/client';
import { startCampaign } from '../cli/client';
import { specFor, traceCampaign, withBenchServices, type RunTrace } from './schedulers-cnn';
import { fmt, machine, table } from './table';

export interface PbtBenchOptions {
  seeds: number[];
  /** Population (and none's trial count); ASHA gets 3×. */
  population: number;
  epochs: number;
  /** Epochs between PBT's exploit/explore decisions. */
  interval: number;
}

interface Arm {
  label: string;
  scheduler: unknown;
  trials: number;
  concurrency: number;
}

function arms(o: PbtBenchOptions): Arm[] {
  return [
    { label: 'none', scheduler: 'none', trials: o.population, concurrency: 2 },
    { label: 'asha', scheduler: { type: 'asha', options: { mode: 'promotion', minResource: 1, reductionFactor: 3 } }, trials: 3 * o.population, concurrency: 2 },
    {
      label: 'pbt',
      scheduler: { type: 'pbt', options: { populationSize: o.population, perturbationInterval: o.interval, quantile: 0.25, resampleProbability: 0.25, perturbationFactors: [0.8, 1.2] } },
      trials: o.population,
      concurrency: o.population,
    },
  ];
}

interface Outcome {
  arm: string;
  seed: number;
  result: CampaignResult;
  trace: RunTrace;
}

export async function pbtCnnBench(o: PbtBenchOptions): Promise<void> {
  const outcomes: Outcome[] = [];
  await withBenchServices(async (client, dir) => {
    for (const seed of o.seeds) {
      for (const arm of arms(o)) {
        const specPath = join(dir, `${arm.label}-${seed}.yaml`);
        writeFileSync(specPath, specFor(`${arm.label}-s${seed}`, arm.scheduler, { trials: arm.trials }, { epochs: o.epochs, concurrency: arm.concurrency, seed }));
        const started = Date.now();
        const handle = await startCampaign(client, { specPath });
        const result = await handle.result();
        const trace = await traceCampaign(client, handle.workflowId);
        outcomes.push({ arm: arm.label, seed, result, trace });
        console.error(`seed ${seed} ${arm.label}: ${result.status}, best ${fmt(result.best?.value ?? NaN)}, ${trace.epochs} epochs, ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    }
  });
  report(outcomes, o);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function report(outcomes: Outcome[], o: PbtBenchOptions): void {
  console.log(
    `\n## PBT vs ASHA vs none at equal compute: real CNN, synthetic shapes (16×16, noise 0.3; 3000 train / 1000 validation), ` +
      `population ${o.population} × ${o.epochs} epochs (PBT interval ${o.interval}), ASHA ${3 * o.population} trials, seeds ${o.seeds.join(',')} (CPU: ${machine()})\n`,
  );
  console.log(
    table(
      ['seed', 'scheduler', 'trials', 'epochs trained', 'train seconds', 'best val_accuracy (trial)', 'exploits'],
      outcomes.map(({ arm, seed, result, trace }) => [
        seed,
        arm,
        result.trials.completed + result.trials.pruned + result.trials.failed,
        trace.epochs,
        fmt(trace.seconds),
        `${fmt(result.best?.value ?? NaN)} (#${result.best?.trialNumber ?? '—'})`,
        arm === 'pbt' ? trace.exploits : '—',
      ]),
    ),
  );
  const names = [...new Set(outcomes.map((x) => x.arm))];
  const bestOf = (x: Outcome) => x.result.best?.value ?? NaN;
  const wins = (arm: string) => o.seeds.filter((seed) => {
    const here = outcomes.filter((x) => x.seed === seed);
    const top = Math.max(...here.map(bestOf));
    return bestOf(here.find((x) => x.arm === arm)!) === top;
  }).length;
  console.log(
    `\n${table(
      ['scheduler', 'seeds', 'mean epochs', 'mean train seconds', 'mean best val_accuracy', 'min', 'max', 'best or tied best (seeds)'],
      names.map((arm) => {
        const rows = outcomes.filter((x) => x.arm === arm);
        const best = rows.map(bestOf);
        return [arm, rows.length, fmt(mean(rows.map((r) => r.trace.epochs))), fmt(mean(rows.map((r) => r.trace.seconds))), fmt(mean(best)), fmt(Math.min(...best)), fmt(Math.max(...best)), wins(arm)];
      }),
    )}`,
  );
  const twice = outcomes.reduce((n, x) => n + x.trace.trainedTwice, 0);
  console.log(`epochs trained twice (PBT rows' campaigns): ${twice} ${twice === 0 ? 'PASS' : 'FAIL'}`);
}
