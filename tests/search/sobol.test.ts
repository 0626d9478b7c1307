import { describe, expect, it } from 'vitest';
import { createSampler } from '../../search/samplers';
import { SOBOL_MAX_DIMENSIONS, sobolPoint } from '../../search/samplers/sobol';
import { createStudy } from '../../search/study';

describe('sobol sequence', () => {
  it('gives the classic unscrambled points (Gray-code order, as Joe–Kuo and scipy)', () => {
    const expected3d = [
      [0, 0, 0],
      [0.5, 0.5, 0.5],
      [0.75, 0.25, 0.25],
      [0.25, 0.75, 0.75],
      [0.375, 0.375, 0.625],
      [0.875, 0.875, 0.125],
      [0.625, 0.125, 0.875],
      [0.125, 0.625, 0.375],
    ];
    expected3d.forEach((point, i) => {
      expect(sobolPoint(i, 3, null)).toEqual(point);
      expect(sobolPoint(i, 2, null)).toEqual(point.slice(0, 2));
    });
  });

  it('matches scipy.stats.qmc.Sobol(scramble=False) in higher dimensions', () => {
    // scipy 1.17: Sobol(40, scramble=False).random(16)[[5, 13], 30:40], times 2^4.
    expect(sobolPoint(5, 40, null).slice(30).map((x) => x * 16)).toEqual([14, 10, 6, 6, 2, 2, 2, 6, 14, 6]);
    expect(sobolPoint(13, 40, null).slice(30).map((x) => x * 16)).toEqual([9, 7, 7, 9, 11, 5, 1, 11, 11, 15]);
  });

  it('has at least 40 dimensions', () => {
    expect(SOBOL_MAX_DIMENSIONS).toBeGreaterThanOrEqual(40);
  });

  it('keeps the net property when scrambled: 2^m points put one point in each of 2^m strata per dimension', () => {
    const m = 6;
    for (const seed of [0, 1, 7]) {
      const points = Array.from({ length: 2 ** m }, (_, i) => sobolPoint(i, 12, seed));
      for (let d = 0; d < 12; d++) {
        const cells = new Set(points.map((p) => Math.floor(p[d]! * 2 ** m)));
        expect(cells.size).toBe(2 ** m);
      }
      // Two-dimensional strata: 8 × 8 cells of the first two dimensions each hold exactly one point.
      const cells2d = new Set(points.map((p) => `${Math.floor(p[0]! * 8)},${Math.floor(p[1]! * 8)}`));
      expect(cells2d.size).toBe(64);
    }
  });

  it('is seeded: different seeds scramble differently, the same seed the same way', () => {
    expect(sobolPoint(3, 4, 11)).toEqual(sobolPoint(3, 4, 11));
    expect(sobolPoint(3, 4, 11)).not.toEqual(sobolPoint(3, 4, 12));
  });

  it('fills the space more evenly than its size would by chance (uniformity of 256 points in 5-D)', () => {
    const n = 256;
    const points = Array.from({ length: n }, (_, i) => sobolPoint(i, 5, 3));
    for (let d = 0; d < 5; d++) {
      const mean = points.reduce((s, p) => s + p[d]!, 0) / n;
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // random points: sd ≈ 0.018
    }
    // Fraction inside a box [0, 0.5)^3 of three dimensions: exact for a (t, m, s)-net with these strata.
    const inBox = points.filter((p) => p[0]! < 0.5 && p[2]! < 0.5 && p[4]! < 0.5).length;
    expect(inBox).toBe(n / 8);
  });
});

describe('sobol sampler', () => {
  it('walks the scrambled sequence by trial number and encodes every parameter kind', () => {
    const space = {
      x: { type: 'float' as const, low: -5, high: 10 },
      lr: { type: 'float' as const, low: 1e-5, high: 1, log: true },
      k: { type: 'int' as const, low: 1, high: 8 },
      opt: { type: 'categorical' as const, choices: ['a', 'b'] },
    };
    const study = createStudy({ space, sampler: { type: 'sobol', seed: 2 } });
    const xs: number[] = [];
    const ks = new Map<number, number>();
    for (let i = 0; i < 32; i++) {
      const { number, params } = study.ask();
      xs.push(((params.x as number) + 5) / 15);
      ks.set(params.k as number, (ks.get(params.k as number) ?? 0) + 1);
      study.tell(number, 0);
    }
    expect(new Set(xs.map((x) => Math.floor(x * 32))).size).toBe(32);
    expect([...ks.values()]).toEqual(new Array(8).fill(4)); // 32 points, 8 ints: 4 each
    const sampler = createSampler({ type: 'sobol', options: { scramble: false, skipFirst: 1 } });
    const params = sampler.sample({ space: study.space, trials: [], seed: 0, trialNumber: 0, attempt: 0, directions: ['minimize'], fixed: {} });
    expect(params).toMatchObject({ x: 2.5, k: 5, opt: 'b' }); // point 1 = (0.5, 0.5, 0.5, 0.5)
  });

  it('rejects bad options', () => {
    expect(() => createSampler({ type: 'sobol', options: { skipFirst: -1 } })).toThrow(/skipFirst/);
    expect(() => createSampler({ type: 'sobol', options: { scramble: 'yes' } })).toThrow(/scramble/);
  });
});
