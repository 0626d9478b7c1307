import { describe, expect, it } from 'vitest';
import { createRng, rngFromState } from '../../search/rng';

describe('rng', () => {
  it('runs xoshiro128** exactly as the reference C implementation (state 1, 2, 3, 4)', () => {
    const rng = rngFromState([1, 2, 3, 4]);
    const outputs = Array.from({ length: 8 }, () => rng.nextUint32());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('gives the same first outputs for a seed as it always did (regression)', () => {
    const rng = createRng(42);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([2562321221, 162599851, 2887140692, 2622419068]);
    expect(createRng(42, 1).uniform()).toBe(0.01810260446460288);
  });

  it('derives different streams from every input, including how many there are', () => {
    const first = (seed: number, ...streams: number[]) => createRng(seed, ...streams).nextUint32();
    const values = [first(0), first(0, 0), first(0, 0, 0), first(1), first(0, 1), first(1, 2), first(12), first(2 ** 40), first(2 ** 40 + 1)];
    expect(new Set(values).size).toBe(values.length);
  });

  it('keeps streams independent: one stream does not depend on what another consumed', () => {
    const before = Array.from({ length: 5 }, ((r) => () => r.uniform())(createRng(7, 1)));
    const other = createRng(7, 0);
    for (let i = 0; i < 1000; i++) other.uniform();
    const after = Array.from({ length: 5 }, ((r) => () => r.uniform())(createRng(7, 1)));
    expect(after).toEqual(before);

    // Neighbouring streams are uncorrelated.
    const a = createRng(7, 100);
    const b = createRng(7, 101);
    const n = 20_000;
    const xs = Array.from({ length: n }, () => a.uniform());
    const ys = Array.from({ length: n }, () => b.uniform());
    expect(Math.abs(correlation(xs, ys))).toBeLessThan(0.03);
  });

  it('draws uniform numbers in [0, 1), inclusive integers, standard normals', () => {
    const rng = createRng(3);
    const us = Array.from({ length: 20_000 }, () => rng.uniform());
    expect(Math.min(...us)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...us)).toBeLessThan(1);
    expect(mean(us)).toBeCloseTo(0.5, 1);

    const ints = Array.from({ length: 5000 }, () => rng.int(-2, 2));
    expect(new Set(ints)).toEqual(new Set([-2, -1, 0, 1, 2]));

    const normals = Array.from({ length: 20_000 }, () => rng.normal());
    expect(Math.abs(mean(normals))).toBeLessThan(0.03);
    expect(variance(normals)).toBeGreaterThan(0.95);
    expect(variance(normals)).toBeLessThan(1.05);
  });

  it('chooses and shuffles without touching the input', () => {
    const rng = createRng(5);
    const items = [1, 2, 3, 4, 5, 6];
    const shuffled = rng.shuffle(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...shuffled].sort()).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(items).toContain(rng.choice(items));
    expect(() => rng.choice([])).toThrow(/non-empty/);
  });

  it('continues exactly from a saved state, also through JSON', () => {
    const rng = createRng(11, 4);
    for (let i = 0; i < 17; i++) rng.uniform();
    const restored = rngFromState(JSON.parse(JSON.stringify(rng.state())) as number[]);
    expect(Array.from({ length: 10 }, () => restored.uniform())).toEqual(Array.from({ length: 10 }, () => rng.uniform()));
  });

  it('rejects bad seeds and states with a message', () => {
    expect(() => createRng(-1)).toThrow(/non-negative integers \(got -1\)/);
    expect(() => createRng(1.5)).toThrow(/got 1.5/);
    expect(() => createRng(1, Number.NaN)).toThrow(/got NaN/);
    expect(() => rngFromState([0, 0, 0, 0])).toThrow(/not all zero/);
    expect(() => rngFromState([1, 2, 3])).toThrow(/four unsigned 32-bit/);
    expect(() => createRng(1).int(3, 2)).toThrow(/lo <= hi/);
  });
});

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function variance(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) sxy += (xs[i]! - mx) * (ys[i]! - my);
  return sxy / xs.length / Math.sqrt(variance(xs) * variance(ys));
}
