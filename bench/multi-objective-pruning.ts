// Multi-objective pruning on zdt1_mf (bench/problems.ts): the ask/tell study through the multi-fidelity
// driver (one worker, promotions before new trials), each arm's front measured by its hypervolume
// (analysis/) against the problem's reference point. Two comparisons, both against no pruning:
//   same trials: every arm runs `trials` trials; steps spent and the final front's hypervolume;
//   equal steps: the front of the trials that completed within a step budget, new trials starting
//                until the largest budget is spent.
// `firstOnly` arms report the first objective only: pruning as it was before multi-objective pruning.
// Used by `npm run bench:schedulers` and by tests/bench/multi-objective-pruning.test.ts.
import { hypervolumeOfLosses } from '../analysis';
import { paretoFront } from '../search/pareto';
import { createStudy } from '../search/study';
import { driveStudy, type DriverLog } from './multi-fidelity';
import { ZDT1_MF } from './problems';
import { fmt, iqr, median, table } from './table';

export interface MoArm {
  label: string;
  type: string;
  options?: Record<string, unknown>;
  /** Report the first objective only (the old, single-objective pruning). */
  firstOnly?: boolean;
}

export const MO_ARMS: MoArm[] = [
  { label: 'none', type: 'none' },
  { label: 'median (dominated by ≥ 1/2)', type: 'median' },
  { label: 'percentile 25 (dominated by ≥ 1/4)', type: 'percentile' },
  { label: 'asha promotion', type: 'asha' },
  { label: 'hyperband promotion', type: 'hyperband', options: { mode: 'promotion' } },
  { label: 'hyperband (stopping)', type: 'hyperband' },
  { label: 'sha (stopping)', type: 'sha' },
  { label: 'median, first objective only', type: 'median', firstOnly: true },
  { label: 'asha, first objective only', type: 'asha', firstOnly: true },
];

export interface MoRun {
  /** Steps reported in all. */
  cost: number;
  completed: number;
  pruned: number;
  log: DriverLog;
}

/** One arm, one seed: `trials` trials of zdt1_mf with the given sampler (or as many as `maxCost` steps allow). */
export function runMoArm(arm: MoArm, sampler: string, seed: number, trials: number, maxCost?: number): MoRun {
  const study = createStudy({
    space: ZDT1_MF.space,
    directions: ZDT1_MF.directions,
    sampler: { type: sampler, seed },
    scheduler: { type: arm.type, ...(arm.options ? { options: arm.options } : {}) },
    maxSteps: ZDT1_MF.maxSteps,
  });
  const log = driveStudy(study, (p, step) => ZDT1_MF.value(p as Record<string, number>, step), {
    trials,
    maxSteps: ZDT1_MF.maxSteps,
    workers: 1,
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(arm.firstOnly ? { reportFirstOnly: true } : {}),
  });
  return { cost: log.cost, completed: log.completions.length, pruned: log.pruned, log };
}

/** Hypervolume (against zdt1_mf's reference) of the trials that completed within `budget` steps (all by default). */
export function frontHypervolume(log: DriverLog, budget = Infinity): number {
  const points = log.completions.filter((c) => c.cost <= budget).map((c) => c.values);
  return hypervolumeOfLosses(points, ZDT1_MF.reference);
}

/** The final front's size (COMPLETE trials no other one dominates). */
export function frontSize(log: DriverLog): number {
  return paretoFront(
    log.completions.map((c) => c.values),
    ZDT1_MF.directions,
  ).length;
}

/** Step budgets for the equal-steps comparison: 25, 50 and 100 full trials' worth. */
export const MO_BUDGETS = [675, 1350, 2700];

/** Prints both comparisons for each sampler over `seeds` (the `bench:schedulers` section). */
export function printMoPruningBench(seeds: readonly number[], samplerTypes: readonly string[]): void {
  console.log(`\n## multi-objective pruning — zdt1_mf (2 objectives, steps 1..${ZDT1_MF.maxSteps}), seeds ${seeds.join(',')}`);
  console.log(`hypervolume against the reference [${ZDT1_MF.reference.join(', ')}]; ratio = arm / none, same sampler and seed`);
  for (const sampler of samplerTypes) {
    const started = Date.now();
    const base = seeds.map((seed) => runMoArm(MO_ARMS[0]!, sampler, seed, ZDT1_MF.trials));
    const rows = MO_ARMS.map((arm, a) => {
      const same = a === 0 ? base : seeds.map((seed) => runMoArm(arm, sampler, seed, ZDT1_MF.trials));
      const wide = seeds.map((seed) => runMoArm(arm, sampler, seed, Infinity, MO_BUDGETS.at(-1)!));
      const ratios = same.map((r, i) => frontHypervolume(r.log) / frontHypervolume(base[i]!.log));
      const steps = same.map((r) => r.cost);
      const stepsRatio = steps.reduce((x, y) => x + y, 0) / base.reduce((x, r) => x + r.cost, 0);
      return [
        arm.label,
        `${median(steps).toFixed(0)} ±${iqr(steps).toFixed(0)}`,
        `${(100 * (1 - stepsRatio)).toFixed(0)} %`,
        `${fmt(median(ratios))} (min ${fmt(Math.min(...ratios))})`,
        String(median(same.map((r) => frontSize(r.log)))),
        String(median(same.map((r) => r.pruned))),
        String(median(wide.map((r) => r.log.completions.length + r.pruned))),
        ...MO_BUDGETS.map((b) => fmt(median(wide.map((r) => frontHypervolume(r.log, b))))),
      ];
    });
    console.log(`\n### sampler ${sampler}: ${ZDT1_MF.trials} trials per arm (same trials); new trials until ${MO_BUDGETS.at(-1)} steps (equal steps)\n`);
    console.log(
      table(
        ['scheduler', 'total steps (median ±IQR)', 'steps saved', 'hypervolume ratio (median, min)', 'front size', 'pruned', 'trials @equal steps', ...MO_BUDGETS.map((b) => `hypervolume @${b} steps`)],
        rows,
      ),
    );
    console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}
