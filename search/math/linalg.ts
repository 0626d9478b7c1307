// Small dense linear algebra on row-major Float64Arrays: Cholesky with jitter, triangular solves and
// the inverse of a symmetric positive definite matrix from its factor. Meant for the Gaussian-process
// sampler's kernel matrices (n up to a few hundred), so everything is plain loops with no allocation in
// the inner ones.

/**
 * Factors the symmetric n×n matrix `a` (only its lower triangle is read) as L·Lᵀ, writing L into the
 * lower triangle of `out` (the upper triangle is zeroed). `jitter` is added to the diagonal first.
 * Returns false when the matrix is not numerically positive definite.
 */
export function choleskyInto(a: Float64Array, n: number, out: Float64Array, jitter = 0): boolean {
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      const sum = a[rowI + j]! + (i === j ? jitter : 0) - dotAt(out, rowI, out, rowJ, j);
      if (i === j) {
        if (!(sum > 0)) return false;
        out[rowI + i] = Math.sqrt(sum);
      } else {
        out[rowI + j] = sum / out[rowJ + j]!;
      }
    }
    for (let j = i + 1; j < n; j++) out[rowI + j] = 0;
  }
  return true;
}

/**
 * L with L·Lᵀ = a + jitter·I, trying no jitter first and then growing jitter (relative to the mean
 * diagonal) until the factorization succeeds; null when even the largest jitter fails (NaN entries).
 */
export function cholesky(a: Float64Array, n: number, out: Float64Array = new Float64Array(n * n)): { factor: Float64Array; jitter: number } | null {
  if (choleskyInto(a, n, out)) return { factor: out, jitter: 0 };
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += Math.abs(a[i * n + i]!);
  meanDiagonal = meanDiagonal / Math.max(n, 1) || 1;
  for (let jitter = 1e-10 * meanDiagonal; jitter <= 1e-2 * meanDiagonal; jitter *= 10) {
    if (choleskyInto(a, n, out, jitter)) return { factor: out, jitter };
  }
  return null;
}

/** Solves L·x = b for lower-triangular L (forward substitution). `out` may be `b`. */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const row = i * n;
    out[i] = (b[i]! - dotAt(l, row, out, 0, i)) / l[row + i]!;
  }
  return out;
}

/** Solves Lᵀ·x = b for lower-triangular L (back substitution on the transpose). `out` may be `b`. */
export function solveLowerTransposed(l: Float64Array, n: number, b: ArrayLike<number>, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * out[k]!;
    out[i] = sum / l[i * n + i]!;
  }
  return out;
}

/** Solves (L·Lᵀ)·x = b given the Cholesky factor L. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>, out: Float64Array = new Float64Array(n)): Float64Array {
  solveLower(l, n, b, out);
  return solveLowerTransposed(l, n, out, out);
}

/**
 * (L·Lᵀ)⁻¹ as a full symmetric n×n matrix, from the Cholesky factor L. `scratch` (n×n, overwritten) saves
 * an allocation per call where this runs in a loop (the GP's hyperparameter fit).
 */
export function choleskyInverse(l: Float64Array, n: number, out: Float64Array = new Float64Array(n * n), scratch?: Float64Array): Float64Array {
  // T = (L⁻¹)ᵀ, upper triangular, built row by row so every inner loop reads memory in order:
  // T[j][i] = (L⁻¹)[i][j] = -(1/L_ii) Σ_{k=j}^{i-1} L[i][k]·T[j][k] for j < i, and 1/L_ii on the diagonal.
  // Only entries on or above the diagonal are read, and each is written before it is read.
  const t = scratch ?? new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowL = i * n;
    const inverseDiagonal = 1 / l[rowL + i]!;
    t[i * n + i] = inverseDiagonal;
    for (let j = 0; j < i; j++) {
      const rowT = j * n;
      t[rowT + i] = -dotAt(l, rowL + j, t, rowT + j, i - j) * inverseDiagonal;
    }
  }
  // A⁻¹ = (L⁻¹)ᵀ·L⁻¹ = T·Tᵀ: entry (i, j) = Σ_{k ≥ max(i, j)} T[i][k]·T[j][k].
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      const sum = dotAt(t, rowI + i, t, rowJ + i, n - i);
      out[rowI + j] = sum;
      out[rowJ + i] = sum;
    }
  }
  return out;
}

/** log det(L·Lᵀ) = 2 Σ log L_ii. */
export function choleskyLogDet(l: Float64Array, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.log(l[i * n + i]!);
  return 2 * sum;
}

/** y = A·x for a row-major rows×cols matrix. */
export function matVec(a: Float64Array, rows: number, cols: number, x: ArrayLike<number>, out: Float64Array = new Float64Array(rows)): Float64Array {
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += a[row + j]! * x[j]!;
    out[i] = sum;
  }
  return out;
}

/**
 * Σ_{k < length} a[aOffset + k]·b[bOffset + k], with four partial sums: a single running sum makes every
 * addition wait for the previous one, and these dot products are the inner loops of the Cholesky
 * factorization, the inverse and the GP posterior's gradient.
 */
export function dotAt(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, bOffset: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < length; k += 4) {
    s0 += a[aOffset + k]! * b[bOffset + k]!;
    s1 += a[aOffset + k + 1]! * b[bOffset + k + 1]!;
    s2 += a[aOffset + k + 2]! * b[bOffset + k + 2]!;
    s3 += a[aOffset + k + 3]! * b[bOffset + k + 3]!;
  }
  for (; k < length; k++) s0 += a[aOffset + k]! * b[bOffset + k]!;
  return s0 + s1 + (s2 + s3);
}

