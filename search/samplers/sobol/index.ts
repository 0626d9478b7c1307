// Quasi-random search: the Sobol sequence (Joe–Kuo direction numbers, Gray-code order as in Joe and
// Kuo's generator and scipy), scrambled by a random linear matrix (Matoušek's LMS) plus a digital shift,
// both drawn from the study seed. Trial n takes point n + skipFirst, so the stream depends only on the
// seed and trial numbers (parallel workers and restarts get the same points). Each parameter that is not
// fixed owns one dimension in `space.params` order (conditional ones too, used when active); the point's
// coordinate goes through the usual [0, 1] encoding, so ints, steps, logs and categoricals are handled
// as in random search. Beyond the table's 64 dimensions, and on a retry after a duplicate (attempt > 0),
// coordinates are uniformly random.
import { createRng } from '../../rng';
import { OptionReader } from '../../options';
import { buildParams, fromUnit } from '../../space';
import { JOE_KUO_DIRECTIONS } from './directions';
import { samplerRng, type Sampler, type SamplerFactory } from '../types';

const BITS = 32;
const TWO_POW_32 = 2 ** 32;
/** Keeps the scrambling stream apart from the per-trial sampler streams. */
const SCRAMBLE_STREAM = 0x50b01;

/** The 32 direction numbers v_1..v_32 (as unsigned 32-bit integers) of every dimension in the table. */
const DIRECTIONS: readonly Uint32Array[] = buildDirections();

export const SOBOL_MAX_DIMENSIONS = DIRECTIONS.length;

function buildDirections(): Uint32Array[] {
  const first = new Uint32Array(BITS);
  for (let k = 0; k < BITS; k++) first[k] = 2 ** (BITS - 1 - k);
  const dims = [first];
  for (const entry of JOE_KUO_DIRECTIONS) {
    const [polyText, mText] = entry.split(':') as [string, string];
    const poly = Number(polyText);
    const m = mText.split(' ').map(Number);
    const s = Math.floor(Math.log2(poly));
    const a = (poly >>> 1) & ((1 << (s - 1)) - 1);
    const v = new Uint32Array(BITS);
    for (let k = 0; k < BITS; k++) {
      if (k < s) {
        v[k] = (m[k]! * 2 ** (BITS - 1 - k)) >>> 0;
        continue;
      }
      let value = v[k - s]! ^ (v[k - s]! >>> s);
      for (let i = 1; i < s; i++) if ((a >>> (s - 1 - i)) & 1) value ^= v[k - i]!;
      v[k] = value >>> 0;
    }
    dims.push(v);
  }
  return dims;
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** The direction numbers of `dims` dimensions, scrambled by a random lower-triangular matrix each, and the shifts. */
function scrambled(dims: number, seed: number | null): { directions: Uint32Array[]; shifts: Uint32Array } {
  const shifts = new Uint32Array(dims);
  if (seed === null) return { directions: DIRECTIONS.slice(0, dims), shifts };
  const rng = createRng(seed, SCRAMBLE_STREAM);
  const directions: Uint32Array[] = [];
  for (let d = 0; d < dims; d++) {
    // Row r of the matrix gives output digit r (digit 0 = the most significant bit): its own digit plus
    // a random combination of the more significant ones, so the map is invertible and keeps the net's strata.
    const rows = new Uint32Array(BITS);
    for (let r = 0; r < BITS; r++) {
      const higher = r === 0 ? 0 : (rng.nextUint32() & ~((2 ** (BITS - r) - 1) >>> 0)) >>> 0;
      rows[r] = (higher | (2 ** (BITS - 1 - r))) >>> 0;
    }
    const source = DIRECTIONS[d]!;
    const out = new Uint32Array(BITS);
    for (let k = 0; k < BITS; k++) {
      let value = 0;
      for (let r = 0; r < BITS; r++) if (parity(rows[r]! & source[k]!)) value += 2 ** (BITS - 1 - r);
      out[k] = value;
    }
    directions.push(out);
    shifts[d] = rng.nextUint32();
  }
  return { directions, shifts };
}

/**
 * Point `index` (0, 1, ...) of the `dims`-dimensional Sobol sequence in [0, 1)^dims, in Gray-code order;
 * scrambled with `seed`, or the classic unscrambled sequence when seed is null. dims <= SOBOL_MAX_DIMENSIONS.
 */
export function sobolPoint(index: number, dims: number, seed: number | null): number[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= TWO_POW_32) throw new Error(`sobol index must be an integer in [0, 2^32) (got ${index})`);
  if (dims > SOBOL_MAX_DIMENSIONS) throw new Error(`sobol: at most ${SOBOL_MAX_DIMENSIONS} dimensions (got ${dims})`);
  return sobolPoints(index, dims, scrambled(dims, seed));
}

function sobolPoints(index: number, dims: number, scramble: { directions: Uint32Array[]; shifts: Uint32Array }): number[] {
  // Gray code of the index: bit k set means direction number k is in the XOR.
  const gray = index ^ Math.floor(index / 2);
  const point: number[] = [];
  for (let d = 0; d < dims; d++) {
    const v = scramble.directions[d]!;
    let x = scramble.shifts[d]!;
    let bits = gray;
    for (let k = 0; bits > 0; k++, bits = Math.floor(bits / 2)) if (bits % 2 === 1) x = (x ^ v[k]!) >>> 0;
    point.push(x / TWO_POW_32);
  }
  return point;
}

export const createSobolSampler: SamplerFactory = (options) => {
  const reader = new OptionReader('sampler "sobol"', options);
  const scramble = reader.boolean('scramble', true);
  const skipFirst = reader.integer('skipFirst', 0, { min: 0, max: 2 ** 31 });
  reader.done();

  return {
    name: 'sobol',
    sample(ctx) {
      const rng = samplerRng(ctx);
      const searched = ctx.space.params.filter((p) => p.type !== 'fixed');
      const dims = Math.min(searched.length, SOBOL_MAX_DIMENSIONS);
      const coordinates = new Map<string, number>();
      if (ctx.attempt === 0) {
        const point = sobolPoints(ctx.trialNumber + skipFirst, dims, scrambled(dims, scramble ? ctx.seed : null));
        for (let d = 0; d < dims; d++) coordinates.set(searched[d]!.name, point[d]!);
      }
      return buildParams(ctx.space, ctx.fixed, (param) => fromUnit(param, coordinates.get(param.name) ?? rng.uniform()));
    },
  } satisfies Sampler;
};
