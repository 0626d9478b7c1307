// The results-line format, reading the results file as it grows, and the epoch record that makes retries exact: parse, check, replay, dedupe.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultsTail } from '../../training/trainables/command';
import { EpochRecorder, parseResultLine } from '../../training/trainables/reports';
import { tempDir } from '../helpers/temp';

const dir = tempDir('reports');

describe('a results line', () => {
  it("reads epochs, final metrics and Python's NaN and Infinity", () => {
    expect(parseResultLine('{"epoch": 2, "metrics": {"val_accuracy": 0.5}}', 'w')).toEqual({ epoch: 2, metrics: { val_accuracy: 0.5 } });
    expect(parseResultLine('{"metrics": {"test_accuracy": 1}}', 'w')).toEqual({ metrics: { test_accuracy: 1 } });
    const odd = parseResultLine('{"epoch": 1, "metrics": {"a": NaN, "b": -Infinity, "c": Infinity}}', 'w').metrics;
    expect([odd.a, odd.b, odd.c]).toEqual([NaN, -Infinity, Infinity]);
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1, 2]', 'not a JSON object'],
    ['{"epoch": 0, "metrics": {}}', '"epoch" must be an integer >= 1'],
    ['{"epoch": 1.5, "metrics": {}}', '"epoch" must be an integer >= 1'],
    ['{"epoch": 1}', '"metrics" must be an object'],
    ['{"epoch": 1, "metrics": {"acc": "high"}}', 'metric "acc" is "high", not a number'],
    ['{"epoch": 1, "metrics": {}, "extra": 1}', 'unknown field "extra"'],
  ])('refuses %s: %s', (line, why) => {
    expect(() => parseResultLine(line, 'prog wrote line 3')).toThrow(`prog wrote line 3: ${why}`);
  });
});

describe('the epoch record', () => {
  it('accepts each epoch once, in order, with the required metrics, and survives a restart', async () => {
    const file = join(dir, 'a', 'reports.jsonl');
    const first = await EpochRecorder.open(file, { fromEpoch: 0, toEpoch: 3 }, ['val_loss'], 'prog');
    expect(await first.accept(1, { val_loss: 0.9 })).toMatchObject({ epoch: 1, metrics: { val_loss: 0.9 } });
    await expect(first.accept(3, { val_loss: 0.5 })).rejects.toThrow('prog reported epoch 3 before epoch 2');
    await expect(first.accept(2, { loss: 1 })).rejects.toThrow('prog reported epoch 2 without the metric "val_loss"');
    await expect(first.accept(2, { val_loss: NaN })).rejects.toThrow('training diverged in epoch 2: val_loss not finite');
    expect(await first.accept(2, { val_loss: 0.7 })).not.toBeNull();
    // A killed attempt: the retry replays epochs 1-2 and ignores them when the code reports them again.
    const retry = await EpochRecorder.open(file, { fromEpoch: 0, toEpoch: 3 }, ['val_loss'], 'prog');
    expect(retry.epochs().map((e) => e.epoch)).toEqual([1, 2]);
    expect(await retry.accept(2, { val_loss: 0.1 })).toBeNull();
    expect(retry.repeated).toBe(1);
    expect(() => retry.finish()).toThrow('prog finished without reporting epoch 3');
    await retry.accept(3, { val_loss: 0.6 });
    expect(retry.finish().map((e) => e.metrics.val_loss)).toEqual([0.9, 0.7, 0.6]);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('skips a line torn by a kill and refuses epochs past the segment', async () => {
    const file = join(dir, 'b', 'reports.jsonl');
    const first = await EpochRecorder.open(file, { fromEpoch: 0, toEpoch: 1 }, [], 'prog');
    await first.accept(1, { x: 1 });
    await expect(first.accept(2, { x: 1 })).rejects.toThrow('prog reported epoch 2, but this segment trains epochs 1-1');
    const { appendFileSync } = await import('node:fs');
    appendFileSync(file, '{"epoch": 2, "metr');
    const retry = await EpochRecorder.open(file, { fromEpoch: 1, toEpoch: 2 }, [], 'prog');
    expect(retry.lastEpoch).toBe(1);
    await retry.accept(2, { x: 2 });
    const again = await EpochRecorder.open(file, { fromEpoch: 1, toEpoch: 2 }, [], 'prog');
    expect(again.epochs().map((e) => e.metrics.x)).toEqual([2]);
  });
});

describe('ResultsTail', () => {
  it('hands on whole lines as a program appends them, even when a read ends inside a multi-byte character', async () => {
    const file = join(tempDir('results-tail'), 'results.jsonl');
    const seen: [string, number][] = [];
    const tail = new ResultsTail(file, (text, lineNumber) => seen.push([text, lineNumber]));
    await tail.poll(); // no file yet: nothing, no error
    const line = Buffer.from('{"epoch": 1, "note": "välid ✓"}\n', 'utf8');
    const cut = line.indexOf(Buffer.from('✓', 'utf8')) + 1; // inside the three bytes of ✓
    writeFileSync(file, line.subarray(0, cut));
    await tail.poll();
    expect(seen).toEqual([]);
    appendFileSync(file, Buffer.concat([line.subarray(cut), Buffer.from('{"epoch": 2}', 'utf8')]));
    await tail.poll();
    expect(seen).toEqual([['{"epoch": 1, "note": "välid ✓"}', 1]]);
    await tail.poll(true); // the program ended: a last line without its newline still counts
    expect(seen).toEqual([
      ['{"epoch": 1, "note": "välid ✓"}', 1],
      ['{"epoch": 2}', 2],
    ]);
  });
});
