// The normal distribution and its truncated form, to full double precision: erf/erfc (Sun fdlibm's
// rational approximations), the normal pdf/cdf/log-cdf/quantile (Wichura's AS 241), log-sum-exp and the
// log-mass of an interval. Pure and dependency-free, so every sampler can share it.

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const INV_SQRT2 = Math.SQRT1_2;

// ---- erf / erfc (fdlibm s_erf.c: |error| < 1 ulp on every range) ---------------------------------

const ERX = 8.45062911510467529297e-1;
// erf on [0, 0.84375]
const EFX = 1.28379167095512586316e-1;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5];
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6];
// erf on [0.84375, 1.25]
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1,
  3.54783043256182359371e-2, -2.16637559486879084300e-3,
];
const QA = [1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2];
// erfc on [1.25, 1/0.35]
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2,
  -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2,
  1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2,
];
// erfc on [1/0.35, 28]
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2,
  -1.02509513161107724954e3, -4.83519191608651397019e2,
];
const SB = [
  3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3,
  4.74528541206955367215e2, -2.24409524465858183362e1,
];

/** c[0] + c[1] x + c[2] x² + ... */
function poly(c: readonly number[], x: number): number {
  let value = 0;
  for (let i = c.length - 1; i >= 0; i--) value = value * x + c[i]!;
  return value;
}

/** 1 + c[0] x + c[1] x² + ... */
function poly1(c: readonly number[], x: number): number {
  return 1 + x * poly(c, x);
}

/** erfc(x) for x >= 1.25: exp(-x² - 0.5625 + R/S) / x, with x² split so the exponent stays exact. */
function erfcTail(x: number): number {
  const s = 1 / (x * x);
  const ratio = x < 1 / 0.35 ? poly(RA, s) / poly1(SA, s) : poly(RB, s) / poly1(SB, s);
  // fround keeps 24 significant bits, so z*z is exact and (z - x)(z + x) carries the rest.
  const z = Math.fround(x);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - x) * (z + x) + ratio)) / x;
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) return x + EFX * x;
    const z = x * x;
    return x + x * (poly(PP, z) / poly1(QQ, z));
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const value = ERX + poly(PA, s) / poly1(QA, s);
    return x >= 0 ? value : -value;
  }
  if (ax >= 6) return x >= 0 ? 1 : -1;
  const value = 1 - erfcTail(ax);
  return x >= 0 ? value : -value;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -56) return 1 - x;
    const z = x * x;
    const y = poly(PP, z) / poly1(QQ, z);
    return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const p = poly(PA, s) / poly1(QA, s);
    return x >= 0 ? 1 - ERX - p : 1 + ERX + p;
  }
  if (x >= 28) return 0;
  if (x <= -6) return 2;
  const tail = erfcTail(ax);
  return x > 0 ? tail : 2 - tail;
}

// ---- the standard normal -------------------------------------------------------------------------

export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
}

export function normalLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/** Φ(x), with full relative precision in the left tail (down to about -38, where it underflows). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * INV_SQRT2);
}

/** log Φ(x), finite for every finite x (an asymptotic series below -20). */
export function normalLogCdf(x: number): number {
  if (x > 0) return Math.log1p(-normalCdf(-x));
  if (x > -20) return Math.log(normalCdf(x));
  // Φ(x) = φ(x)/(-x) · (1 - 1/x² + 3/x⁴ - 15/x⁶ + ...): summed until the terms stop changing the total.
  const inv = 1 / (x * x);
  let total = 1;
  let term = 1;
  for (let k = 1; k < 20; k++) {
    term *= -(2 * k - 1) * inv;
    const next = total + term;
    if (next === total) break;
    total = next;
  }
  return normalLogPdf(x) - Math.log(-x) + Math.log(total);
}

// Wichura, AS 241 (1988): the normal quantile to about 1e-16 relative error.
const Q_A = [3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087, 33430.57558358813, 2509.0809287301227];
const Q_B = [1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943, 5226.495278852854];
const Q_C = [1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506, 0.022723844989269184, 0.0007745450142783414];
const Q_D = [1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457, 0.0005475938084995345, 1.0507500716444169e-9];
const Q_E = [6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124, 0.0012426609473880784, 0.000027115555687434876, 2.0103343992922881e-7];
const Q_F = [1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 0.000018463183175100548, 1.421511758316446e-7, 2.0442631033899397e-15];

/** Φ⁻¹(p): -Infinity at 0, Infinity at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(Q_A, r)) / poly(Q_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const value = r <= 5 ? poly(Q_C, (r -= 1.6)) / poly(Q_D, r) : poly(Q_E, (r -= 5)) / poly(Q_F, r);
  return q < 0 ? -value : value;
}

// ---- log-space helpers ---------------------------------------------------------------------------

/** log(1 - exp(a)) for a <= 0, accurate near 0 and for very negative a. */
export function log1mexp(a: number): number {
  return a > -Math.LN2 ? Math.log(-Math.expm1(a)) : Math.log1p(-Math.exp(a));
}

/** log Σ exp(values[i]) over the first `length` entries, without overflow; -Infinity for none. */
export function logSumExp(values: ArrayLike<number>, length = values.length): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (values[i]! > max) max = values[i]!;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(values[i]! - max);
  return max + Math.log(sum);
}

/**
 * log(Φ(b) - Φ(a)) for a <= b: the log-probability that a standard normal falls in [a, b], accurate in
 * both tails (it works in the left tail, mirroring a right-tail interval) and for narrow intervals.
 */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) {
    const logB = normalLogCdf(b);
    return logB + log1mexp(normalLogCdf(a) - logB);
  }
  if (a > 0) return logGaussMass(-b, -a);
  // Straddles 0: 1 - Φ(a) - Φ(-b) without cancellation when the mass is close to 1.
  return Math.log1p(-normalCdf(a) - normalCdf(-b));
}

// ---- the truncated normal ------------------------------------------------------------------------

/**
 * The quantile of a standard normal truncated to [a, b] (a < b) at u in [0, 1]: z in [a, b] with
 * (Φ(z) - Φ(a)) / (Φ(b) - Φ(a)) = u. An interval entirely in the right tail is mirrored into the left
 * one, where Φ keeps its relative precision; beyond about 37 standard deviations, where Φ underflows,
 * the interval's nearer end is returned.
 */
export function truncatedNormalQuantile(u: number, a: number, b: number): number {
  if (a >= 0) return -truncatedNormalQuantile(1 - u, -b, -a);
  const low = normalCdf(a);
  const high = normalCdf(b);
  if (!(high > low)) return b;
  const z = normalQuantile(low + u * (high - low));
  return z < a ? a : z > b ? b : z;
}

/** log-density of N(mu, sigma²) truncated to [low, high], at x inside the interval. */
export function truncatedNormalLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  const z = (x - mu) / sigma;
  return normalLogPdf(z) - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}
