// The Optuna side of the benchmarks: a Python venv with a pinned Optuna in the cache folder, made on
// first use (bench/python-env.ts), and the JSON runner the Optuna scripts use.
import { ensureVenv } from './python-env';

export { runPython } from './python-env';

export const OPTUNA_VERSION = '5.0.0';

/** `<cache>/optuna-<version>/venv` with optuna (and `extra` packages, e.g. torch for GPSampler). */
export function ensureOptuna(extra: string[] = []): string {
  const marker = `installed${extra.length ? `-${extra.join('-').replace(/[^A-Za-z0-9.=-]/g, '_')}` : ''}`;
  return ensureVenv(`optuna-${OPTUNA_VERSION}`, [`optuna==${OPTUNA_VERSION}`, ...extra], marker);
}
