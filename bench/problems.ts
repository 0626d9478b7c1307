// The benchmark problems of ../shared/bench-problems.md, exactly as defined there (all minimized).
// Our samplers and Optuna's run on these same definitions; the Python side mirrors them in
// bench/optuna_samplers.py and `npm run bench:samplers` checks that both agree before it starts.
import type { SearchSpace } from '../search/space-types';

export interface Problem {
  name: string;
  budget: number;
  space: SearchSpace;
  /** Best value known (for the table). */
  optimum: number;
  evaluate(params: Record<string, number | string | boolean>): number;
}

const num = (p: Record<string, number | string | boolean>, key: string) => Number(p[key]);

export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

export function hartmann6(x: number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += H_A[i]![j]! * (x[j]! - H_P[i]![j]!) ** 2;
    sum += H_ALPHA[i]! * Math.exp(-inner);
  }
  return -sum;
}

export function rosenbrock(x: number[]): number {
  let sum = 0;
  for (let i = 0; i < x.length - 1; i++) sum += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return sum;
}

export function ackley(x: number[]): number {
  const n = x.length;
  const sq = x.reduce((s, v) => s + v * v, 0) / n;
  const cos = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / n;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cos) + 20 + Math.E;
}

const OPT_SHIFT: Record<string, number> = { adam: 0, rmsprop: -0.3, sgd: 1.0 };
const OPT_COST: Record<string, number> = { adam: 0, rmsprop: 0.05, sgd: 0.15 };

export function syntheticHpo(p: Record<string, number | string | boolean>): number {
  const lr = num(p, 'learning_rate');
  const bs = num(p, 'batch_size');
  const optimizer = String(p.optimizer);
  const u = Math.log10(lr);
  const v = Math.log2(bs);
  const uStar = Math.log10(3e-3) + 0.5 * Math.log10(bs / 96) + OPT_SHIFT[optimizer]!;
  return (
    0.5 * (u - uStar) ** 2 +
    0.5 * ((v - Math.log2(96)) / 2) ** 2 +
    0.5 * ((num(p, 'dropout') - 0.2) / 0.25) ** 2 +
    0.1 * (num(p, 'n_layers') - 3) ** 2 +
    OPT_COST[optimizer]!
  );
}

const box = (names: string[], low: number, high: number): SearchSpace =>
  Object.fromEntries(names.map((n) => [n, { type: 'float' as const, low, high }]));
const vector = (p: Record<string, number | string | boolean>, names: string[]) => names.map((n) => num(p, n));
const xs = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);

export const PROBLEMS: Problem[] = [
  {
    name: 'branin',
    budget: 50,
    space: { x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } },
    optimum: 0.397887,
    evaluate: (p) => branin(num(p, 'x1'), num(p, 'x2')),
  },
  { name: 'hartmann6', budget: 100, space: box(xs(6), 0, 1), optimum: -3.32237, evaluate: (p) => hartmann6(vector(p, xs(6))) },
  { name: 'rosenbrock4', budget: 100, space: box(xs(4), -5, 10), optimum: 0, evaluate: (p) => rosenbrock(vector(p, xs(4))) },
  { name: 'ackley5', budget: 100, space: box(xs(5), -32.768, 32.768), optimum: 0, evaluate: (p) => ackley(vector(p, xs(5))) },
  {
    name: 'synthetic_hpo',
    budget: 100,
    space: {
      learning_rate: { type: 'float', low: 1e-5, high: 1, log: true },
      batch_size: { type: 'int', low: 16, high: 512, log: true },
      dropout: { type: 'float', low: 0, high: 0.5 },
      optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
      n_layers: { type: 'int', low: 1, high: 4 },
    },
    optimum: 0,
    evaluate: syntheticHpo,
  },
];

/** branin_mf: the multi-fidelity problem for schedulers; y at step t in 1..27, cost = steps reported. */
export const BRANIN_MF = {
  name: 'branin_mf',
  trials: 100,
  maxSteps: 27,
  space: PROBLEMS[0]!.space,
  optimum: 0.471319,
  value(params: Record<string, number | string | boolean>, step: number): number {
    const x1 = num(params, 'x1');
    return branin(x1, num(params, 'x2')) + (2 / step) * (1 + 0.5 * Math.sin(3 * x1));
  },
};

/**
 * zdt1_mf: a two-objective multi-fidelity problem for multi-objective pruning (defined here, not in
 * bench-problems.md). ZDT1 on x0 and two distance variables, both minimized: f0 = x0,
 * f1 = g·(1 − √(x0/g)), g = 1 + 4.5·(x1 + x2). At step t in 1..27 each objective carries an extra
 * c(x)/t that fades with the step, with c depending on the point, so early steps rank trials only
 * roughly (at t = 1 the extra moves f0 by up to 0.75 and f1 by up to 4.5).
 */
export const ZDT1_MF = {
  name: 'zdt1_mf',
  trials: 100,
  maxSteps: 27,
  space: box(xs(3), 0, 1),
  directions: ['minimize', 'minimize'] as ('minimize' | 'maximize')[],
  /** Bounds the hypervolume: about the worst final values on a random-search front (f0 ≤ 1 always; the front rarely has f1 > 6). */
  reference: [1, 6],
  value(params: Record<string, number | string | boolean>, step: number): number[] {
    const [x0, x1, x2] = vector(params, xs(3)) as [number, number, number];
    const g = 1 + 4.5 * (x1 + x2);
    const f0 = x0;
    const f1 = g * (1 - Math.sqrt(x0 / g));
    return [f0 + (0.5 / step) * (1 + 0.5 * Math.sin(6 * x1 + x2)), f1 + (3 / step) * (1 + 0.5 * Math.cos(5 * x0 + 3 * x2))];
  },
};
