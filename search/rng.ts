// A small seeded PRNG for the search algorithms: xoshiro128** on 32-bit integers (exact in JS through
// Math.imul and >>> 0), seeded by hashing the seed and any number of stream ids. Deterministic on every
// platform, never touches Math.random, and its whole state is four numbers, so it can travel in a
// Temporal payload.
//
// Streams: `createRng(seed, n)` and `createRng(seed, m)` are independent generators, so trial n's draws
// do not depend on how many numbers trial m consumed. Derive a stream per purpose instead of sharing one.

/** The generator's full state: four unsigned 32-bit integers, not all zero. */
export type RngState = [number, number, number, number];

export interface Rng {
  /** Uniform in [0, 1), with 53 random bits. */
  uniform(): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /** Standard normal (mean 0, variance 1). */
  normal(): number;
  /** One element, uniformly. Throws on an empty list. */
  choice<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher-Yates); the input is left alone. */
  shuffle<T>(items: readonly T[]): T[];
  /** The next raw 32-bit output. */
  nextUint32(): number;
  /** A copy of the state; `rngFromState(rng.state())` continues exactly where this one is. */
  state(): RngState;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

/** A generator for `seed` and the given stream ids (all non-negative safe integers). */
export function createRng(seed: number, ...streams: number[]): Rng {
  return new Xoshiro128StarStar(deriveState([seed, ...streams]));
}

/** Restores a generator from `rng.state()`. */
export function rngFromState(state: readonly number[]): Rng {
  const valid =
    state.length === 4 && state.every((word) => Number.isInteger(word) && word >= 0 && word < TWO_POW_32) && state.some((w) => w !== 0);
  if (!valid) throw new Error(`invalid rng state ${JSON.stringify(state)}: expected four unsigned 32-bit integers, not all zero`);
  return new Xoshiro128StarStar([state[0]!, state[1]!, state[2]!, state[3]!]);
}

/**
 * Hashes the inputs into a 128-bit state: four lanes absorb every 32-bit word (each input contributes
 * its low and high halves) with different starting constants, then go through murmur3's finalizer.
 * Changing any input, or the number of inputs, changes all four words.
 */
function deriveState(inputs: readonly number[]): RngState {
  const lanes = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
  const absorb = (word: number): void => {
    for (let i = 0; i < 4; i++) lanes[i] = mix32((lanes[i]! ^ word) + 0x9e3779b9 * (i + 1));
  };
  for (const input of inputs) {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new Error(`rng seeds and stream ids must be non-negative integers (got ${input})`);
    }
    absorb(input >>> 0);
    absorb(Math.floor(input / TWO_POW_32) >>> 0);
  }
  absorb(inputs.length);
  const state = lanes.map((lane) => mix32(lane)) as RngState;
  if (state.every((word) => word === 0)) state[0] = 1; // xoshiro's one forbidden state
  return state;
}

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** xoshiro128** 1.1 (Blackman and Vigna): period 2^128 - 1, passes BigCrush. */
class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 0x400_0000 + low) / TWO_POW_53;
  }

  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
      throw new Error(`rng.int needs integers lo <= hi (got lo=${lo}, hi=${hi})`);
    }
    // floor(u * n) has a bias below n / 2^53: irrelevant for the ranges a search space has.
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  normal(): number {
    // Box-Muller; 1 - u keeps the logarithm finite. The second value is dropped so the state stays four words.
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng.choice needs a non-empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}
