// One OptionReader (search/options.ts) reads sampler and scheduler options and every training setting;
// only the wording and the error class differ, chosen by the error factory each side passes.
import { describe, expect, test } from 'vitest';
import { AlgorithmConfigError } from '../../search/errors';
import { OptionReader } from '../../search/options';
import { InvalidConfigurationError, settingsReader } from '../../training/errors';

const model = (values: Record<string, unknown>) => settingsReader(values, (key) => `model option or parameter "${key}"`);

function thrown(read: () => unknown): Error {
  try {
    read();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('OptionReader', () => {
  test('training settings read through search’s class, failing as InvalidConfigurationError that names the setting', () => {
    const reader = model({ units: 0, activation: 'GELU ', batchNorm: 'true' });
    expect(reader).toBeInstanceOf(OptionReader);
    const error = thrown(() => reader.integer('units', 128, { min: 1 }));
    expect(error).toBeInstanceOf(InvalidConfigurationError);
    expect(error.message).toBe('model option or parameter "units" must be an integer >= 1, got 0');
    expect((error as InvalidConfigurationError).setting).toEqual({ key: 'units', problem: 'must be an integer >= 1, got 0' });
    expect(reader.choice('activation', ['relu', 'gelu'], 'relu')).toBe('gelu');
    expect(reader.boolean('batchNorm', false)).toBe(true);
  });

  test('the same faults in a sampler’s options keep search’s wording', () => {
    const reader = new OptionReader('sampler "tpe"', { nStartupTrials: 0, kind: 'x' });
    const error = thrown(() => reader.integer('nStartupTrials', 10, { min: 1 }));
    expect(error).toBeInstanceOf(AlgorithmConfigError);
    expect(error.message).toBe('sampler "tpe": option "nStartupTrials" must be an integer >= 1 (got 0)');
    expect(thrown(() => reader.choice('kind', ['a', 'b'], 'a')).message).toBe('sampler "tpe": option "kind" must be one of "a", "b" (got "x")');
    expect(thrown(() => new OptionReader('sampler "tpe"', [1])).message).toBe('sampler "tpe": options must be a mapping of option name to value');
  });

  test('keys read are tracked for training settings too, so the unread ones can be refused by name', () => {
    const reader = model({ units: 8, momentum: 0.9 });
    reader.integer('units', 128);
    reader.number('dropout', 0);
    expect([...reader.keysRead]).toEqual(['units', 'dropout']);
    const error = thrown(() => reader.done(' for this model')) as InvalidConfigurationError;
    expect(error.message).toBe('unknown setting model option or parameter "momentum" for this model (known: dropout, units)');
    expect(error.setting).toMatchObject({ key: 'momentum', unknownKey: true });
  });
});
