// The Optuna side of the benchmarks: a Python venv with a pinned Optuna in the cache folder, made on
// first use, and a runner that sends one JSON job to a Python script and reads one JSON answer back.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../training/cache';

export const OPTUNA_VERSION = '5.0.0';

/** `<cache>/optuna-<version>/venv` with optuna (and `extra` packages, e.g. torch for GPSampler). */
export function ensureOptuna(extra: string[] = []): string {
  const dir = join(cacheDir(), `optuna-${OPTUNA_VERSION}`);
  const python = join(dir, 'venv', 'bin', 'python');
  const marker = join(dir, `installed${extra.length ? `-${extra.join('-').replace(/[^A-Za-z0-9.=-]/g, '_')}` : ''}`);
  if (existsSync(marker)) return python;
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  process.stderr.write(`installing Optuna ${OPTUNA_VERSION}${extra.length ? ` with ${extra.join(', ')}` : ''} into ${dir} (once) ...\n`);
  if (!existsSync(python)) execFileSync(process.env.TUNEFLOW_PYTHON ?? 'python3', ['-m', 'venv', join(dir, 'venv')], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '-q', `optuna==${OPTUNA_VERSION}`, ...extra], { stdio: 'inherit' });
  writeFileSync(marker, new Date().toISOString());
  process.stderr.write(`Optuna ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return python;
}

/** Run `script` with `job` as JSON on stdin; its stdout must be one JSON value. */
export function runPython<T>(python: string, script: string, job: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch (err) {
        reject(new Error(`${script} printed no JSON: ${(err as Error).message}\n${out.slice(0, 500)}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
