// Named training failures. The training activity maps these names to non-retryable Temporal
// failures: retrying a diverged or out-of-memory trial, or a bad configuration, gives the same result.

/** The loss became NaN or infinite: the configuration (usually the learning rate) does not train. */
export class TrainingDivergedError extends Error {
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
export class TrainingOutOfMemoryError extends Error {
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
export class InvalidConfigurationError extends Error {
  override readonly name = 'InvalidConfigurationError';
  constructor(
    message: string,
    readonly setting?: SettingProblem,
  ) {
    super(message);
  }
}

/** A segment asked to resume from a checkpoint that is missing or belongs to another configuration: a caller bug. */
export class CheckpointError extends Error {
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
