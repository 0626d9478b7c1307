// Named training failures, and the one list of those that retrying cannot fix: retrying a diverged or
// out-of-memory trial, a bad configuration or a missing data set gives the same result. Temporal matches
// non-retryable failures by type, the class's name, so the names are derived from the classes here.
import { OptionReader, type OptionErrors } from '../search/options';
import { SpecError } from '../spec/errors';

/** A failure that a retry would only repeat. Each subclass must be listed in NON_RETRYABLE_ERRORS. */
export abstract class NonRetryableError extends Error {}

/** The loss became NaN or infinite: the configuration (usually the learning rate) does not train. */
export class TrainingDivergedError extends NonRetryableError {
  override readonly name = 'TrainingDivergedError';
  constructor(
    readonly epoch: number,
    readonly metrics: Record<string, number>,
    /** What was not finite, e.g. `loss` or `weights of dense_Dense1/kernel`. */
    readonly reason: string,
  ) {
    super(`training diverged in epoch ${epoch}: ${reason} not finite (${formatMetrics(metrics)})`);
  }
}

/** TensorFlow (or the JS heap) could not allocate memory for this model and batch size. */
export class TrainingOutOfMemoryError extends NonRetryableError {
  override readonly name = 'TrainingOutOfMemoryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`out of memory while training: ${message} (try a smaller batchSize or model)`, options);
  }
}

/** The setting an InvalidConfigurationError is about, so a spec check can point at its line. */
export interface SettingProblem {
  key: string;
  /** What is wrong, without the setting's name, e.g. `must be an integer >= 8, got 6`. */
  problem: string;
  /** The key itself is not a setting (rather than its value being wrong). */
  unknownKey?: boolean;
}

/** A hyperparameter, model option, data set option or segment request that cannot work. */
export class InvalidConfigurationError extends NonRetryableError {
  override readonly name = 'InvalidConfigurationError';
  constructor(
    message: string,
    readonly setting?: SettingProblem,
  ) {
    super(message);
  }
}

/** The wording of a training setting's problem: `<describe(key)> must be <expected>, got <value>`. */
export function settingErrors(describe: (key: string) => string): OptionErrors {
  return (fault) => {
    switch (fault.kind) {
      case 'not-a-mapping':
        return new InvalidConfigurationError(`${describe('')} must be a mapping of setting name to value, got ${JSON.stringify(fault.value)}`);
      case 'unknown': {
        const known = `(known: ${[...fault.known].sort().join(', ')})`;
        return new InvalidConfigurationError(`unknown setting ${fault.keys.map(describe).join(', ')}${fault.hint} ${known}`, {
          key: fault.keys[0]!,
          problem: `is not a setting${fault.hint} ${known}`,
          unknownKey: true,
        });
      }
      case 'value': {
        const problem = `must be ${fault.expected}, got ${JSON.stringify(fault.value)}`;
        return new InvalidConfigurationError(`${describe(fault.key)} ${problem}`, { key: fault.key, problem });
      }
    }
  };
}

/** Reads training settings (model options, parameters, data set options); problems are InvalidConfigurationErrors. */
export function settingsReader(values: Record<string, unknown>, describe: (key: string) => string): OptionReader {
  return new OptionReader(describe(''), values, settingErrors(describe));
}

/** A segment asked to resume from a checkpoint that is missing or belongs to another configuration: a caller bug. */
export class CheckpointError extends NonRetryableError {
  override readonly name = 'CheckpointError';
}

/**
 * The child process running a training slot died mid-job (a crash in TensorFlow's C library, the kernel's
 * out-of-memory killer, a SIGKILL). Retryable: a fresh process takes its place and the retry resumes from
 * the last epoch checkpoint.
 */
export class TrainingProcessExitedError extends Error {
  override readonly name = 'TrainingProcessExitedError';
}

/** The files of a data set are neither in the cache nor downloadable. */
export class DatasetUnavailableError extends NonRetryableError {
  override readonly name = 'DatasetUnavailableError';
}

/** A cached file does not match its published checksum, or is not in the published format. */
export class DatasetChecksumError extends NonRetryableError {
  override readonly name = 'DatasetChecksumError';
}

/**
 * The user's code (a model module, a training function, a program) cannot run or did something wrong:
 * not found, outside the worker's allowed folders, threw, exited non-zero, reported garbage or not the
 * objective's metric, hung. The message names the file and what was wrong; a retry would repeat it.
 */
export class TrainableError extends NonRetryableError {
  override readonly name = 'TrainableError';
  constructor(
    message: string,
    /** The code may still be running inside this process (a hung function): the process must be replaced. */
    readonly processTainted = false,
  ) {
    super(message);
  }
}

/** Every error class a training activity may raise that retrying cannot fix (SpecError: spec loading's). */
export const NON_RETRYABLE_ERRORS = [
  TrainingDivergedError,
  TrainingOutOfMemoryError,
  InvalidConfigurationError,
  CheckpointError,
  DatasetUnavailableError,
  DatasetChecksumError,
  TrainableError,
  SpecError,
] as const;

/** Their names: the training activities raise these as non-retryable failures of that type (activities/training.ts). */
export const NON_RETRYABLE_ERROR_NAMES: readonly string[] = NON_RETRYABLE_ERRORS.map((cls) => cls.name);

const OOM_PATTERN = /\bOOM\b|resource exhausted|out of memory|array buffer allocation failed|invalid array length/i;

/** Recognizes allocation failures from TensorFlow's C library, CUDA or V8. */
export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return OOM_PATTERN.test(message);
}

function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}
