// Loads an export of a user's module (.ts, .mts, .cts, .js, .mjs, .cjs) in the training process. jiti
// compiles TypeScript on the fly (types stripped, no type check, cached on disk), so a spec can point at
// a .ts file with no build step; it is well kept and has no native parts (tsx would bring esbuild's binary).
import { createJiti } from 'jiti';
import type { ModuleRef } from '../../spec/types';
import { TrainableError } from '../errors';
import { allowedPath } from './access';

// Fresh per load: a long-lived training process must see a module edited between campaigns.
const jiti = createJiti(__filename, { moduleCache: false, interopDefault: true });

/** The function `ref.export` of `ref.path`, which must lie under `roots`; `what` names it in errors (`model.module`). */
export async function loadExport(ref: ModuleRef, roots: readonly string[], what: string): Promise<(...args: never[]) => unknown> {
  const real = await allowedPath(what, ref.path, roots);
  let namespace: Record<string, unknown>;
  try {
    namespace = await jiti.import<Record<string, unknown>>(real);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TrainableError(`${what} ${ref.path} failed to load: ${message.split('\n').slice(0, 6).join('\n')}`);
  }
  const value = namespace?.[ref.export];
  if (value === undefined) {
    const exports = Object.keys(namespace ?? {}).filter((key) => key !== '__esModule');
    throw new TrainableError(`${what} ${ref.path} has no export "${ref.export}" (its exports: ${exports.join(', ') || 'none'})`);
  }
  if (typeof value !== 'function') throw new TrainableError(`${what} ${ref.path}: export "${ref.export}" is a ${typeof value}, not a function`);
  return value as (...args: never[]) => unknown;
}
