import { beforeEach, describe, expect, test } from 'vitest';
import type { Dataset, Split } from '../../training/datasets';
import { ARRAYS_BUDGET_BYTES, clearSplitArrays, headArrays, splitArrays, splitArraysBytes } from '../../training/split-arrays';

const CLASSES = 4;

/** An image data set of 1x1x1 "images"; `count` uint8 pixels i % 256, labels i % CLASSES. */
function images(count: number): { dataset: Dataset; split: Split } {
  const split: Split = { x: new Uint8Array(count), y: new Uint8Array(count), count };
  for (let i = 0; i < count; i++) [split.x[i], split.y[i]] = [i % 256, i % CLASSES];
  const dataset: Dataset = { name: 't', kind: 'image', inputShape: [1, 1, 1], numClasses: CLASSES, classNames: ['a', 'b', 'c', 'd'], train: split, validation: split, test: split };
  return { dataset, split };
}

/** Bytes splitArrays keeps for an image split of `count` 1x1x1 uint8 images: float pixels and one-hot labels. */
const copied = (count: number) => count * 4 + count * CLASSES * 4;

// `a === b` rather than .not.toBe(b): on a mismatch vitest compares the two arrays element by element for its hint.
describe('splitArrays', () => {
  beforeEach(() => clearSplitArrays());

  test('scales uint8 images to [0, 1] floats and one-hot encodes the labels', () => {
    const { dataset, split } = images(6);
    const { x, y } = splitArrays(dataset, split);
    expect(x).toBeInstanceOf(Float32Array);
    expect(Array.from(x)).toEqual([0, 1, 2, 3, 4, 5].map((v) => Math.fround(v / 255)));
    expect(Array.from(y.subarray(5 * CLASSES, 6 * CLASSES))).toEqual([0, 1, 0, 0]);
    const head = headArrays(dataset, { x, y }, 2);
    expect(Array.from(head.x)).toEqual([0, Math.fround(1 / 255)]);
    expect(head.y.length).toBe(2 * CLASSES);
    expect(head.x.buffer === x.buffer).toBe(false); // a copy: a probe tensor must not pin the whole split
  });

  test('a split converted once is kept: the next segment gets the same arrays without converting again', () => {
    const { dataset, split } = images(1000);
    const first = splitArrays(dataset, split);
    expect(splitArraysBytes()).toBe(copied(1000));
    const again = splitArrays(dataset, split);
    expect(again.x).toBe(first.x);
    expect(again.y).toBe(first.y);
    expect(splitArraysBytes()).toBe(copied(1000));
    // Another split object (another data set, or a fold) is converted anew.
    const other = images(1000);
    expect(splitArrays(other.dataset, other.split).x === first.x).toBe(false);
    expect(splitArraysBytes()).toBe(2 * copied(1000));
  });

  test('a split that is not to be kept (a cross-validation fold\'s) is converted and leaves the kept arrays alone', () => {
    const kept = images(10);
    const first = splitArrays(kept.dataset, kept.split);
    const fold = images(10);
    const converted = splitArrays(fold.dataset, fold.split, false);
    expect(Array.from(converted.x)).toEqual(Array.from(first.x));
    expect(splitArraysBytes()).toBe(copied(10));
    expect(splitArrays(fold.dataset, fold.split, false).x === converted.x).toBe(false);
    expect(splitArrays(kept.dataset, kept.split).x).toBe(first.x);
  });

  test('float inputs are not copied, so only the labels count against the budget', () => {
    const { dataset, split } = images(100);
    const floats: Split = { ...split, x: Float32Array.from(split.x) };
    const { x } = splitArrays(dataset, floats);
    expect(x).toBe(floats.x);
    expect(splitArraysBytes()).toBe(100 * CLASSES * 4);
  });

  test('the least recently used splits go once the budget is full, and a split larger than the budget is never kept', () => {
    // Three splits of a bit over a third of the budget each: the third evicts the least recently used.
    const count = Math.ceil(ARRAYS_BUDGET_BYTES / 3 / (4 + 4 * CLASSES)) + 1;
    const [a, b, c] = [images(count), images(count), images(count)];
    const fromA = splitArrays(a.dataset, a.split);
    const fromB = splitArrays(b.dataset, b.split);
    expect(splitArrays(a.dataset, a.split).x).toBe(fromA.x); // a is now the most recently used
    splitArrays(c.dataset, c.split);
    expect(splitArraysBytes()).toBe(2 * copied(count));
    expect(splitArraysBytes()).toBeLessThanOrEqual(ARRAYS_BUDGET_BYTES);
    expect(splitArrays(a.dataset, a.split).x).toBe(fromA.x);
    expect(splitArrays(b.dataset, b.split).x === fromB.x).toBe(false); // b was evicted and is converted again

    clearSplitArrays();
    const huge = images(Math.floor(ARRAYS_BUDGET_BYTES / (4 + 4 * CLASSES)) + 1);
    const once = splitArrays(huge.dataset, huge.split);
    expect(splitArraysBytes()).toBe(0);
    expect(splitArrays(huge.dataset, huge.split).x === once.x).toBe(false);
  });
});
