// Whether the validation set can tell the top trials apart. On a small validation set accuracies move
// in steps of one example (1/n), so several trials share the best value or sit within noise of it, and
// "the best" is then a coin toss among them. Pure: the campaign's status and result ask it.
import type { Direction } from './types';

export interface SeparationInput {
  /** The (single) objective's metric and direction. */
  metric: string;
  direction: Direction;
  /** The ranked trials' objective values, best first (search/ranking.ts order). */
  values: readonly number[];
  /** Validation examples the metric was measured on (the `val_examples` metric), when known. */
  valExamples?: number;
  /** `training.crossValidation` when the campaign already uses it. */
  crossValidation?: number;
}

export interface Separation {
  /** Other trials with exactly the best value. */
  tied: number;
  /** Other trials within `margin` of the best (ties included); 0 when there is no margin to judge by. */
  close: number;
  /** The margin for an accuracy measured on known n examples: max(1/n, the binomial standard error of a difference). */
  margin?: number;
  /** What to tell the user, or null when the leader stands apart. */
  message: string | null;
}

const fmt = (v: number) => String(Number(v.toPrecision(3)));

/** Accuracies are fractions of correctly classified examples: their resolution is one example, 1/n. */
export function isAccuracy(metric: string): boolean {
  return /(^|_)accuracy$/.test(metric);
}

/**
 * The margin within which two accuracies near `best` measured on `n` examples cannot be told apart:
 * one example's worth (1/n; two values closer than that are equal) or one standard error of the
 * difference of two binomial proportions, sqrt(2 p (1 - p) / n), whichever is larger.
 */
export function accuracyMargin(best: number, n: number): number {
  const p = Math.min(1, Math.max(0, best));
  return Math.max(1 / n, Math.sqrt((2 * p * (1 - p)) / n));
}

/** How well the top of the ranking is separated; see Separation. */
export function separation(input: SeparationInput): Separation {
  const [best, ...others] = input.values;
  if (best === undefined || !Number.isFinite(best)) return { tied: 0, close: 0, message: null };
  const tied = others.filter((v) => v === best).length;
  const n = input.valExamples;
  const judged = isAccuracy(input.metric) && n !== undefined && Number.isInteger(n) && n > 0;
  // A relative epsilon: the same count of correct examples can differ in the last bits across folds' means.
  const margin = judged ? accuracyMargin(best, n) : undefined;
  const close = margin === undefined ? 0 : others.filter((v) => Number.isFinite(v) && Math.abs(v - best) <= margin * (1 + 1e-9)).length;
  const advice = input.crossValidation
    ? `more folds (training.crossValidation, now ${input.crossValidation}) or more data could separate them`
    : 'training.crossValidation (e.g. 5) validates on every training example and could separate them';
  let message: string | null = null;
  if (margin !== undefined && close > 0) {
    message =
      `the validation set is too small to separate the top trials: ${close} other trial${close === 1 ? ' is' : 's are'} within ${fmt(margin)} of the best ${input.metric} ` +
      `(${n} validation examples: one example is ${fmt(1 / n!)}, the binomial standard error of a difference ${fmt(Math.sqrt((2 * best * (1 - best)) / n!))}); ${advice}`;
  } else if (tied > 0) {
    message = `the best ${input.metric} is tied with ${tied} other trial${tied === 1 ? '' : 's'} (val_loss breaks the tie); ${advice}`;
  }
  return { tied, close, ...(margin !== undefined ? { margin } : {}), message };
}
