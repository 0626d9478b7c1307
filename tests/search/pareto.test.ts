import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../search/math/eigen';
import {
  constrainedDominates,
  crowdingDistance,
  dominates,
  hypervolume2D,
  isFeasible,
  nonDominatedSort,
  paretoFront,
  totalViolation,
} from '../../search/pareto';
import type { Direction } from '../../search/types';

const MINMIN: Direction[] = ['minimize', 'minimize'];

describe('pareto: dominance', () => {
  it('needs no worse in every objective and better in one, following the directions', () => {
    expect(dominates([1, 1], [2, 2], MINMIN)).toBe(true);
    expect(dominates([1, 2], [2, 2], MINMIN)).toBe(true);
    expect(dominates([2, 2], [2, 2], MINMIN)).toBe(false); // equal points do not dominate each other
    expect(dominates([1, 3], [2, 2], MINMIN)).toBe(false);
    expect(dominates([3, 1], [2, 2], ['maximize', 'minimize'])).toBe(true);
    expect(dominates([1, 1], [2, Number.NaN], MINMIN)).toBe(true); // non-finite ranks last
    expect(dominates([2, Number.NaN], [1, 1], MINMIN)).toBe(false);
  });

  it('puts feasible before infeasible and less violated before more (Deb)', () => {
    expect(constrainedDominates([9, 9], 0, [1, 1], 0.1, MINMIN)).toBe(true);
    expect(constrainedDominates([1, 1], 0.1, [9, 9], 0, MINMIN)).toBe(false);
    expect(constrainedDominates([9, 9], 0.1, [1, 1], 0.2, MINMIN)).toBe(true);
    expect(constrainedDominates([1, 1], 0, [2, 2], 0, MINMIN)).toBe(true);
    expect(totalViolation([-1, 0.5, 0, 2])).toBe(2.5);
    expect(totalViolation(undefined)).toBe(0);
    expect(isFeasible([-1, 0])).toBe(true);
    expect(isFeasible([0.001])).toBe(false);
  });
});

describe('pareto: non-dominated sorting', () => {
  it('sorts a hand case into fronts, ties sharing a front', () => {
    //            0       1       2       3       4       5 (= 1)
    const values = [[1, 5], [2, 3], [3, 1], [2, 4], [4, 4], [2, 3]];
    expect(nonDominatedSort(values, MINMIN)).toEqual([[0, 1, 2, 5], [3], [4]]);
    expect(paretoFront(values, MINMIN)).toEqual([0, 1, 2, 5]);
    expect(nonDominatedSort(values, ['maximize', 'maximize'])).toEqual([[0, 4], [2, 3], [1, 5]]);
  });

  it('gives one front per distinct value for a single objective', () => {
    expect(nonDominatedSort([[3], [1], [2], [1]], ['minimize'])).toEqual([[1, 3], [2], [0]]);
    expect(nonDominatedSort([[3], [1], [2], [1]], ['maximize'])).toEqual([[0], [2], [1, 3]]);
  });

  it('ranks infeasible points after feasible ones, by violation', () => {
    const values = [[1, 1], [5, 5], [0, 0], [0, 0], [3, 3]];
    const violations = [0, 0, 2, 0.5, 0.5];
    expect(nonDominatedSort(values, MINMIN, violations)).toEqual([[0], [1], [3, 4], [2]]);
    expect(paretoFront(values, MINMIN, violations)).toEqual([0]);
    expect(paretoFront([[1, 1]], MINMIN, [3])).toEqual([0]); // no feasible point: the least violated
    expect(nonDominatedSort([], MINMIN)).toEqual([]);
  });
});

describe('pareto: crowding distance and hypervolume', () => {
  it('gives the extremes Infinity and the others the normalized neighbour gaps', () => {
    const values = [[0, 4], [1, 2], [3, 1], [4, 0]];
    const distance = crowdingDistance(values, [0, 1, 2, 3], MINMIN);
    expect(distance[0]).toBe(Infinity);
    expect(distance[3]).toBe(Infinity);
    // point 1: (3 - 0)/4 + (4 - 1)/4 = 1.5; point 2: (4 - 1)/4 + (2 - 0)/4 = 1.25
    expect(distance[1]).toBeCloseTo(1.5, 12);
    expect(distance[2]).toBeCloseTo(1.25, 12);
    expect([...crowdingDistance(values, [1, 2], MINMIN)]).toEqual([Infinity, Infinity]);
  });

  it('measures the dominated area up to the reference point', () => {
    // (1, 2) and (2, 1) with reference (3, 3): 2 + 2 - 1 overlapping = 3.
    expect(hypervolume2D([[1, 2], [2, 1]], [3, 3], MINMIN)).toBeCloseTo(3, 12);
    expect(hypervolume2D([[1, 2], [2, 1], [2, 2], [5, 0]], [3, 3], MINMIN)).toBeCloseTo(3, 12); // dominated and outside points add nothing
    expect(hypervolume2D([[2, 1]], [0, 3], ['maximize', 'minimize'])).toBeCloseTo(4, 12);
  });
});

describe('symmetric eigendecomposition (Jacobi)', () => {
  it('reconstructs the matrix from orthonormal eigenvectors, eigenvalues ascending', () => {
    const n = 5;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = Math.sin(i * 7 + j * 3) + (i === j ? 3 : 0);
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let gram = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
          gram += vectors[k * n + i]! * vectors[k * n + j]!;
        }
        expect(rebuilt).toBeCloseTo(a[i * n + j]!, 10);
        expect(gram).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it('matches a closed form: [[2, 1], [1, 2]] has eigenvalues 1 and 3', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors[0]! * vectors[1]! + vectors[2]! * vectors[3]!)).toBeLessThan(1e-14);
    expect(Math.abs(vectors[1]!)).toBeCloseTo(Math.SQRT1_2, 14);
  });
});

describe('pareto: the two-objective fast sort', () => {
  /** Peel fronts by pairwise dominance: the definition, O(n^3), for comparison. */
  function reference(values: number[][], directions: Direction[]): number[][] {
    let left = values.map((_, i) => i);
    const fronts: number[][] = [];
    while (left.length > 0) {
      const front = left.filter((i) => !left.some((j) => dominates(values[j]!, values[i]!, directions)));
      fronts.push(front);
      left = left.filter((i) => !front.includes(i));
    }
    return fronts;
  }

  it('gives the fronts of pairwise dominance, ties, duplicates and non-finite values included', () => {
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = () => {
      const r = next();
      return r < 0.05 ? NaN : r < 0.08 ? Infinity : Math.floor(next() * 6); // few distinct values: many ties
    };
    for (const directions of [MINMIN, ['maximize', 'minimize'] as Direction[], ['maximize', 'maximize'] as Direction[]]) {
      for (let round = 0; round < 60; round++) {
        const values = Array.from({ length: 1 + Math.floor(next() * 40) }, () => [pick(), pick()]);
        expect(nonDominatedSort(values, directions)).toEqual(reference(values, directions));
      }
    }
  });
});
