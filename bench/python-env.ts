// Python venvs for the benchmarks' reference implementations (Optuna, Keras): one per pinned package
// set in the cache folder, made on first use, and a runner that sends one JSON job to a Python script
// and reads one JSON answer back.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../training/cache';

/**
 * `<cache>/<name>/venv` with `packages` pip-installed, once: a `marker` file in `<cache>/<name>` records
 * that the install finished. Returns the venv's python.
 */
export function ensureVenv(name: string, packages: string[], marker = 'installed'): string {
  const dir = join(cacheDir(), name);
  const python = join(dir, 'venv', 'bin', 'python');
  const markerPath = join(dir, marker);
  if (existsSync(markerPath)) return python;
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  process.stderr.write(`installing ${packages.join(', ')} into ${dir} (once) ...\n`);
  if (!existsSync(python)) execFileSync(process.env.TUNEFLOW_PYTHON ?? 'python3', ['-m', 'venv', join(dir, 'venv')], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '-q', ...packages], { stdio: 'inherit' });
  writeFileSync(markerPath, new Date().toISOString());
  process.stderr.write(`${name} ready in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return python;
}

/** Run `script` with `job` as JSON on stdin; its stdout must be one JSON value. */
export function runPython<T>(python: string, script: string, job: unknown, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'inherit'], env });
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
