// The `wrapped: {type, options}` option of the schedulers that refine another one (patience, threshold).
import { AlgorithmConfigError } from '../errors';
import type { OptionReader } from '../options';
// A cycle with the registry, on purpose: createScheduler is only called when a scheduler is built,
// after every module has loaded.
import { createScheduler } from './index';
import type { Scheduler } from './types';

/** The scheduler named by option `wrapped`, or undefined when the option is absent. */
export function readWrapped(reader: OptionReader, what: string): Scheduler | undefined {
  const config = reader.mapping('wrapped');
  if (config === undefined) return undefined;
  const { type, options, ...rest } = config;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new AlgorithmConfigError(`options.wrapped.${extra}`, `${what}: option "wrapped" takes only type and options (got "${extra}")`);
  if (typeof type !== 'string') throw new AlgorithmConfigError('options.wrapped.type', `${what}: option "wrapped" needs a scheduler type (a string)`);
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new AlgorithmConfigError('options.wrapped.options', `${what}: option "wrapped.options" must be a mapping of option name to value`);
  }
  let wrapped: Scheduler;
  try {
    wrapped = createScheduler({ type, ...(options !== undefined ? { options: options as Record<string, unknown> } : {}) });
  } catch (err) {
    if (err instanceof AlgorithmConfigError) throw new AlgorithmConfigError(`options.wrapped.${err.field}`, `${what}: wrapped ${err.message}`);
    throw err;
  }
  if (wrapped.promotions !== undefined) {
    throw new AlgorithmConfigError('options.wrapped.type', `${what}: cannot wrap "${type}", a promotion-type scheduler (it pauses trials); wrap a stopping one`);
  }
  return wrapped;
}
