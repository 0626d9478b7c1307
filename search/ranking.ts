// Ordering objective values: the one rule the study, the campaign workflow and the activities share.
import type { Direction } from './types';

/** Negative when `a` is better than `b` for the direction. Non-finite values always rank last. */
export function compareValues(a: number, b: number, direction: Direction): number {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (!fa || !fb) return fa === fb ? 0 : fa ? -1 : 1;
  return direction === 'minimize' ? a - b : b - a;
}
