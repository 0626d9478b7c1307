// Box-constrained quasi-Newton minimization: L-BFGS with projected gradients (the "L-BFGS-B-lite" that
// small problems need). Each iteration takes the two-loop L-BFGS direction on the variables that are
// not held at a bound, and a projected backtracking line search with the Armijo condition. Enough for
// the Gaussian-process sampler's kernel fitting (10-30 variables) and acquisition refinement.

/** f(x), writing ∇f(x) into `grad`. May return Infinity (e.g. a failed factorization) to reject a step. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  /** Lower and upper bounds per variable (±Infinity for none); default unbounded. */
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** Stop when the largest projected-gradient component is below this (scipy's `pgtol`). */
  pgtol?: number;
  /** Stop when the relative decrease of f in one iteration is below this (scipy's `factr`·eps). */
  ftol?: number;
  maxIterations?: number;
  /** Correction pairs kept (scipy's `m`). */
  memory?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  /** True when a tolerance was met, false when the iteration limit or a failed line search stopped it. */
  converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 30;

export function minimizeLbfgs(objective: ObjectiveWithGradient, x0: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  const n = x0.length;
  const lower = options.lower ?? new Float64Array(n).fill(-Infinity);
  const upper = options.upper ?? new Float64Array(n).fill(Infinity);
  const pgtol = options.pgtol ?? 1e-5;
  const ftol = options.ftol ?? 2.2e-9;
  const maxIterations = options.maxIterations ?? 200;
  const memory = options.memory ?? 10;

  const project = (v: number, i: number) => Math.min(Math.max(v, lower[i]!), upper[i]!);
  let x = Float64Array.from(x0, project);
  let grad = new Float64Array(n);
  let f = objective(x, grad);
  let evaluations = 1;
  if (!Number.isFinite(f)) return { x, f, iterations: 0, evaluations, converged: false };

  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(n);
  const free = new Uint8Array(n);
  const alpha = new Float64Array(memory);
  let trialX = new Float64Array(n);
  let trialGrad = new Float64Array(n);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    // Variables at a bound whose gradient pushes outward are held; the rest are free.
    let projectedNorm = 0;
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      const held = (x[i]! <= lower[i]! && g > 0) || (x[i]! >= upper[i]! && g < 0);
      free[i] = held ? 0 : 1;
      if (!held) projectedNorm = Math.max(projectedNorm, Math.abs(g));
    }
    if (projectedNorm < pgtol) return { x, f, iterations: iteration, evaluations, converged: true };

    // Two-loop recursion on the free variables.
    for (let i = 0; i < n; i++) direction[i] = free[i] ? -grad[i]! : 0;
    const m = sHistory.length;
    for (let k = m - 1; k >= 0; k--) {
      const a = rhoHistory[k]! * maskedDot(sHistory[k]!, direction, free);
      alpha[k] = a;
      const y = yHistory[k]!;
      for (let i = 0; i < n; i++) if (free[i]) direction[i] = direction[i]! - a * y[i]!;
    }
    if (m > 0) {
      const s = sHistory[m - 1]!;
      const y = yHistory[m - 1]!;
      const gamma = dotAll(s, y) / dotAll(y, y);
      for (let i = 0; i < n; i++) direction[i] = direction[i]! * gamma;
    } else {
      // First step: at most a unit move in any coordinate.
      const scale = 1 / Math.max(1, projectedNorm);
      for (let i = 0; i < n; i++) direction[i] = direction[i]! * scale;
    }
    for (let k = 0; k < m; k++) {
      const b = rhoHistory[k]! * maskedDot(yHistory[k]!, direction, free);
      const s = sHistory[k]!;
      for (let i = 0; i < n; i++) if (free[i]) direction[i] = direction[i]! + (alpha[k]! - b) * s[i]!;
    }
    let slope = maskedDot(grad, direction, free);
    if (!(slope < 0)) {
      // Not a descent direction (stale curvature pairs): fall back to steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      const scale = 1 / Math.max(1, projectedNorm);
      for (let i = 0; i < n; i++) direction[i] = free[i] ? -grad[i]! * scale : 0;
      slope = maskedDot(grad, direction, free);
    }

    // Projected backtracking line search.
    let step = 1;
    let trialF = Infinity;
    let accepted = false;
    for (let t = 0; t < MAX_BACKTRACKS; t++) {
      let decrease = 0;
      for (let i = 0; i < n; i++) {
        trialX[i] = project(x[i]! + step * direction[i]!, i);
        decrease += grad[i]! * (trialX[i]! - x[i]!);
      }
      trialF = objective(trialX, trialGrad);
      evaluations++;
      if (Number.isFinite(trialF) && trialF <= f + ARMIJO * Math.min(decrease, 0)) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      if (sHistory.length === 0) return { x, f, iterations: iteration, evaluations, converged: false };
      sHistory.length = yHistory.length = rhoHistory.length = 0; // retry from steepest descent
      continue;
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = trialX[i]! - x[i]!;
      y[i] = trialGrad[i]! - grad[i]!;
    }
    const sy = dotAll(s, y);
    if (sy > 1e-10 * dotAll(y, y)) {
      if (sHistory.length === memory) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const previousF = f;
    [x, trialX] = [trialX, x];
    [grad, trialGrad] = [trialGrad, grad];
    f = trialF;
    if ((previousF - f) / Math.max(Math.abs(previousF), Math.abs(f), 1) <= ftol) {
      return { x, f, iterations: iteration + 1, evaluations, converged: true };
    }
  }
  return { x, f, iterations: maxIterations, evaluations, converged: false };
}

function maskedDot(a: Float64Array, b: Float64Array, mask: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) if (mask[i]) sum += a[i]! * b[i]!;
  return sum;
}

function dotAll(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
