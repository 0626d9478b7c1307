// The non-retryable error classes are listed once, in training/errors.ts: every class of training/ that
// extends NonRetryableError is in NON_RETRYABLE_ERRORS, each name there is what Temporal sees as the
// failure type, and the errors keep their class across the child-process boundary.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { deserializeError, serializeError } from '../../training/child/protocol';
import { NON_RETRYABLE_ERROR_NAMES, NON_RETRYABLE_ERRORS, NonRetryableError, TrainingProcessExitedError } from '../../training';

const ROOT = join(__dirname, '../../training');

/** Every module of training/ except the child's entry, which starts listening when imported. */
function trainingModules(): string[] {
  return (readdirSync(ROOT, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== join('child', 'main.ts'))
    .map((file) => join(ROOT, file));
}

// Arguments every listed constructor accepts (SpecError wants an array of problems first).
const construct = (cls: abstract new (...args: never[]) => Error): Error => Reflect.construct(cls, [[], {}, 'x']) as Error;

describe('non-retryable errors', () => {
  test('every exported NonRetryableError class of training/ is listed, under the name its instances carry', async () => {
    const marked = new Set<unknown>();
    for (const file of trainingModules()) {
      for (const value of Object.values(await import(file))) {
        if (typeof value === 'function' && value.prototype instanceof NonRetryableError) marked.add(value);
      }
    }
    expect(marked.size).toBeGreaterThanOrEqual(6);
    for (const cls of marked) expect(NON_RETRYABLE_ERRORS).toContain(cls);
    for (const cls of NON_RETRYABLE_ERRORS) expect(construct(cls).name).toBe(cls.name);
  });

  test('the names are the failure types the workflow has always refused to retry, and user code that cannot run', () => {
    expect([...NON_RETRYABLE_ERROR_NAMES].sort()).toEqual(
      ['CheckpointError', 'DatasetChecksumError', 'DatasetUnavailableError', 'InvalidConfigurationError', 'SpecError', 'TrainableError', 'TrainingDivergedError', 'TrainingOutOfMemoryError'].sort(),
    );
    expect(NON_RETRYABLE_ERROR_NAMES).not.toContain(TrainingProcessExitedError.name); // a fresh child may well succeed
  });

  test('each comes back from the child process as its own class', () => {
    for (const cls of NON_RETRYABLE_ERRORS) {
      const back = deserializeError(serializeError(construct(cls)));
      expect(back).toBeInstanceOf(cls);
      expect(back.constructor.name).toBe(cls.name);
    }
  });
});
