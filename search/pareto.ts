// Multi-objective ordering: Pareto dominance, non-dominated sorting (with Deb's constraint domination),
// crowding distance and a 2-D hypervolume. Shared by the study (paretoFront), nsga2 and multi-objective
// samplers. Values are objective vectors, one entry per direction; a non-finite entry ranks last.
import type { Direction } from './types';

/** Sum of the positive constraint values (0 when feasible or when there are no constraints). */
export function totalViolation(constraints: readonly number[] | undefined): number {
  if (constraints === undefined) return 0;
  let sum = 0;
  // A NaN constraint cannot be judged satisfied: count it as a large violation.
  for (const c of constraints) sum += Number.isNaN(c) ? Number.MAX_VALUE : c > 0 ? c : 0;
  return sum;
}

/** Feasible when every constraint value is <= 0 (Optuna's `constraints_func` convention); no constraints is feasible. */
export function isFeasible(constraints: readonly number[] | undefined): boolean {
  return totalViolation(constraints) === 0;
}

/** Objective value turned into a "smaller is better" number, non-finite values as +Infinity. */
function loss(value: number, direction: Direction): number {
  if (!Number.isFinite(value)) return Infinity;
  return direction === 'maximize' ? -value : value;
}

/** Whether `a` Pareto-dominates `b`: no worse in every objective and better in at least one. */
export function dominates(a: readonly number[], b: readonly number[], directions: readonly Direction[]): boolean {
  let better = false;
  for (let k = 0; k < directions.length; k++) {
    const la = loss(a[k]!, directions[k]!);
    const lb = loss(b[k]!, directions[k]!);
    if (la > lb) return false;
    if (la < lb) better = true;
  }
  return better;
}

/**
 * Deb's constraint domination: a feasible point dominates an infeasible one, of two infeasible points the
 * one with the smaller total violation dominates, and two feasible points compare by Pareto dominance.
 */
export function constrainedDominates(
  a: readonly number[],
  violationA: number,
  b: readonly number[],
  violationB: number,
  directions: readonly Direction[],
): boolean {
  if (violationA === 0 && violationB === 0) return dominates(a, b, directions);
  if (violationA === 0) return true;
  if (violationB === 0) return false;
  return violationA < violationB;
}

/**
 * Fronts of indices into `values`, best front first (Deb's fast non-dominated sort). With `violations`
 * (total violation per point, see `totalViolation`), feasible points are sorted by dominance first and the
 * infeasible ones follow, one front per distinct violation level, least violated first.
 * Indices inside a front are in increasing order.
 */
export function nonDominatedSort(
  values: readonly (readonly number[])[],
  directions: readonly Direction[],
  violations?: readonly number[],
): number[][] {
  const feasible: number[] = [];
  const infeasible: number[] = [];
  for (let i = 0; i < values.length; i++) ((violations?.[i] ?? 0) > 0 ? infeasible : feasible).push(i);
  const fronts = sortByDominance(values, feasible, directions);
  infeasible.sort((i, j) => violations![i]! - violations![j]! || i - j);
  for (let start = 0; start < infeasible.length; ) {
    let end = start + 1;
    while (end < infeasible.length && violations![infeasible[end]!] === violations![infeasible[start]!]) end++;
    fronts.push(infeasible.slice(start, end));
    start = end;
  }
  return fronts;
}

function sortByDominance(values: readonly (readonly number[])[], members: readonly number[], directions: readonly Direction[]): number[][] {
  const n = members.length;
  if (n === 0) return [];
  if (directions.length === 1) return sortSingleObjective(values, members, directions[0]!);
  if (directions.length === 2) return sortTwoObjectives(values, members, directions as readonly [Direction, Direction]);
  const dominatedBy = new Int32Array(n); // how many points dominate point i
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    const a = values[members[i]!]!;
    for (let j = i + 1; j < n; j++) {
      const b = values[members[j]!]!;
      if (dominates(a, b, directions)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(b, a, directions)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const fronts: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (dominatedBy[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current.map((i) => members[i]!).sort((x, y) => x - y));
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    current = next;
  }
  return fronts;
}

/**
 * Two objectives in O(n log n) (Zhang et al.'s efficient non-dominated sort with binary search), the same
 * fronts as the pairwise sort: points in order of the first objective (then the second) each join the
 * first front none of whose members dominates them. A front's last member has its smallest second
 * objective, so one comparison tells whether the front dominates the point, and if front k dominates a
 * point so does every front before it, which makes the search binary. The campaign ranks its trials with
 * this on every finished trial, so thousands of trials must stay milliseconds.
 */
function sortTwoObjectives(values: readonly (readonly number[])[], members: readonly number[], directions: readonly [Direction, Direction]): number[][] {
  const a = new Map(members.map((i) => [i, loss(values[i]![0]!, directions[0])]));
  const b = new Map(members.map((i) => [i, loss(values[i]![1]!, directions[1])]));
  const order = [...members].sort((i, j) => a.get(i)! - a.get(j)! || b.get(i)! - b.get(j)! || i - j);
  const fronts: number[][] = [];
  const lastOf: number[] = []; // per front, its last member (the smallest second objective so far)
  const dominatedBy = (front: number, p: number) => {
    const q = lastOf[front]!;
    return b.get(q)! < b.get(p)! || (b.get(q)! === b.get(p)! && a.get(q)! < a.get(p)!);
  };
  for (const p of order) {
    let low = 0;
    let high = fronts.length; // the first front that does not dominate p is in [low, high]
    while (low < high) {
      const mid = (low + high) >> 1;
      if (dominatedBy(mid, p)) low = mid + 1;
      else high = mid;
    }
    if (low === fronts.length) fronts.push([]);
    fronts[low]!.push(p);
    lastOf[low] = p;
  }
  return fronts.map((front) => front.sort((x, y) => x - y));
}

/** One objective: a front per distinct value (ties share a front), O(n log n). */
function sortSingleObjective(values: readonly (readonly number[])[], members: readonly number[], direction: Direction): number[][] {
  const order = [...members].sort((i, j) => loss(values[i]![0]!, direction) - loss(values[j]![0]!, direction) || i - j);
  const fronts: number[][] = [];
  for (let start = 0; start < order.length; ) {
    const level = loss(values[order[start]!]![0]!, direction);
    let end = start + 1;
    while (end < order.length && loss(values[order[end]!]![0]!, direction) === level) end++;
    fronts.push(order.slice(start, end));
    start = end;
  }
  return fronts;
}

/** Indices of the non-dominated points (the first front; among feasible points when `violations` is given and any is feasible). */
export function paretoFront(values: readonly (readonly number[])[], directions: readonly Direction[], violations?: readonly number[]): number[] {
  return nonDominatedSort(values, directions, violations)[0] ?? [];
}

/**
 * NSGA-II crowding distance of each member of `front` (indices into `values`), in the order of `front`.
 * The extremes of every objective get Infinity; the others the sum over objectives of the normalized gap
 * between their neighbours. Fronts of one or two points are all Infinity.
 */
export function crowdingDistance(values: readonly (readonly number[])[], front: readonly number[], directions: readonly Direction[]): Float64Array {
  const n = front.length;
  const distance = new Float64Array(n);
  if (n <= 2) return distance.fill(Infinity);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < directions.length; k++) {
    const objective = (i: number): number => loss(values[front[i]!]![k]!, directions[k]!);
    order.sort((i, j) => objective(i) - objective(j) || i - j);
    const low = objective(order[0]!);
    const high = objective(order[n - 1]!);
    distance[order[0]!] = Infinity;
    distance[order[n - 1]!] = Infinity;
    const span = high - low;
    if (!(span > 0) || !Number.isFinite(span)) continue;
    for (let r = 1; r < n - 1; r++) {
      distance[order[r]!]! += (objective(order[r + 1]!) - objective(order[r - 1]!)) / span;
    }
  }
  return distance;
}

/**
 * The area dominated by 2-objective points and bounded by `reference` (a point worse than all of them in
 * both objectives); points not better than the reference in both objectives add nothing.
 */
export function hypervolume2D(points: readonly (readonly number[])[], reference: readonly number[], directions: readonly Direction[]): number {
  if (directions.length !== 2) throw new Error(`hypervolume2D needs exactly 2 objectives (got ${directions.length})`);
  const [d0, d1] = directions as [Direction, Direction];
  const r0 = loss(reference[0]!, d0);
  const r1 = loss(reference[1]!, d1);
  const inside = points
    .map((p) => [loss(p[0]!, d0), loss(p[1]!, d1)] as const)
    .filter(([a, b]) => a < r0 && b < r1)
    .sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  let area = 0;
  let ceiling = r1; // the best second objective seen so far, sweeping the first objective upwards
  for (const [a, b] of inside) {
    if (b >= ceiling) continue;
    area += (r0 - a) * (ceiling - b);
    ceiling = b;
  }
  return area;
}
