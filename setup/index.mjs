// `npm run setup`: makes this checkout ready to run, idempotently. Each step reuses what is there
// and caches what is expensive under the user's cache folder, so a second run takes seconds.
//   node setup/index.mjs [--check] [--gpu] [--skip-temporal] [--skip-mlflow] [--skip-examples] [--skip-tensorflow] [--skip-graph-engine] [--skip-browser] [--skip-postgres]
//   --gpu (or TUNEFLOW_GPU=1): TensorFlow's CUDA build and the CUDA 12 / cuDNN 9 wheels (docs/gpu-workers.md);
//        a run without it puts the CPU build back
//   env: TUNEFLOW_SETUP_SKIP=temporal,mlflow  TUNEFLOW_CACHE_DIR  TUNEFLOW_PYTHON  TUNEFLOW_GPU
//        TUNEFLOW_TEMPORAL_BIN, TUNEFLOW_MLFLOW_BIN, TUNEFLOW_CHROMIUM, TUNEFLOW_POSTGRES_BIN_DIR (use these instead of installing them)
//        TUNEFLOW_ALLOW_PURE_JS=1 (a failed tensorflow step only warns)
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import * as browser from './browser.mjs';
import * as graphEngine from './graph-engine.mjs';
import * as mlflow from './mlflow.mjs';
import * as npm from './npm.mjs';
import * as postgres from './postgres.mjs';
import { cacheDir, repoRoot, toolsFile, writeTools } from './paths.mjs';
import * as pythonExamples from './python-examples.mjs';
import * as tensorflow from './tensorflow.mjs';
import * as temporal from './temporal.mjs';
import { SetupError, formatSeconds } from './util.mjs';

const STEPS = [
  { id: 'npm', title: 'npm dependencies', step: npm },
  { id: 'temporal', title: 'Temporal CLI', step: temporal },
  { id: 'mlflow', title: 'MLflow', step: mlflow },
  // After mlflow: it installs MLflow's PostgreSQL driver into MLflow's venv.
  { id: 'postgres', title: 'PostgreSQL', step: postgres },
  { id: 'examples', title: 'Python examples', step: pythonExamples },
  { id: 'tensorflow', title: 'TensorFlow native', step: tensorflow },
  // After tensorflow: compiled against the library that step extracts.
  { id: 'graph-engine', title: 'Graph engine', step: graphEngine },
  { id: 'browser', title: 'Browser', step: browser },
];
const SKIPPABLE = ['temporal', 'mlflow', 'postgres', 'examples', 'tensorflow', 'graph-engine', 'browser'];

/** TUNEFLOW_GPU: 1/true asks for the GPU flavor, 0/false/empty for the CPU one. */
function gpuFromEnv(value) {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false') return false;
  if (v === '1' || v === 'true') return true;
  throw new SetupError(`TUNEFLOW_GPU must be 1 or 0 (true or false), got "${value}"`);
}

/** Parses the command line, TUNEFLOW_SETUP_SKIP and TUNEFLOW_GPU into `{ check, skip, gpu }`. */
export function parseOptions(argv, env = {}) {
  const skip = new Set();
  const addSkip = (id, origin) => {
    if (!SKIPPABLE.includes(id)) throw new SetupError(`${origin}: unknown step "${id}" (steps that can be skipped: ${SKIPPABLE.join(', ')})`);
    skip.add(id);
  };
  for (const id of (env.TUNEFLOW_SETUP_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean)) addSkip(id, 'TUNEFLOW_SETUP_SKIP');
  let check = false;
  let gpu = gpuFromEnv(env.TUNEFLOW_GPU);
  for (const arg of argv) {
    if (arg === '--check') check = true;
    else if (arg === '--gpu') gpu = true;
    else if (arg.startsWith('--skip-')) addSkip(arg.slice('--skip-'.length), arg);
    else throw new SetupError(`unknown option ${arg} (use --check, --gpu, ${SKIPPABLE.map((id) => `--skip-${id}`).join(', ')})`);
  }
  return { check, skip, gpu };
}

const label = (title) => title.padEnd(18);

async function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  const cache = cacheDir(process.env);
  const flavor = options.gpu ? 'gpu' : 'cpu';
  console.log(`tuneflow setup${options.check ? ' --check' : ''}${options.gpu ? ' --gpu' : ''} (cache: ${cache})`);
  const started = performance.now();
  const tools = {};
  let problems = 0;
  for (const { id, title, step } of STEPS) {
    if (options.skip.has(id)) {
      console.log(`- ${label(title)}  skipped`);
      continue;
    }
    const ctx = { repoRoot, cache, env: process.env, flavor, progress: (message) => console.log(`  ${label(title)}  ... ${message}`) };
    const stepStarted = performance.now();
    const took = () => formatSeconds(performance.now() - stepStarted).padStart(6);
    try {
      if (options.check) {
        const { ok, detail } = await step.check(ctx);
        console.log(`${ok ? '✓' : '✗'} ${label(title)}${took()}  ${detail}`);
        if (!ok) problems += 1;
      } else {
        const result = await step.ensure(ctx);
        console.log(`✓ ${label(title)}${took()}  ${result.detail}`);
        Object.assign(tools, result.tools);
      }
    } catch (err) {
      const message = err instanceof SetupError || !process.env.TUNEFLOW_DEBUG ? err.message : err.stack;
      console.error(`✗ ${label(title)}${took()}  failed: ${message}`);
      if (options.check) {
        problems += 1;
      } else if (id === 'graph-engine') {
        // Not fatal: training runs on the eager tfjs path instead, and says so in its log.
        console.error('  training will use the eager engine (slower); the log and the run tag tuneflow.engine say so.');
        Object.assign(tools, graphEngine.failedTools(err.message));
      } else if (id === 'tensorflow') {
        console.error('\n  !!! WARNING: no native TensorFlow: training will use the pure-JS backend, about 200x slower. !!!');
        if (process.env.TUNEFLOW_ALLOW_PURE_JS !== '1') {
          console.error('  Fix the error above, or set TUNEFLOW_ALLOW_PURE_JS=1 to go on without it.\n');
          return 1;
        }
      } else {
        console.error(`setup stopped at step "${id}"${SKIPPABLE.includes(id) ? ` (--skip-${id} goes on without it)` : ''}.`);
        return 1;
      }
    }
  }
  if (options.check) {
    console.log(problems ? `${problems} step(s) not ready: run \`npm run setup\`.` : 'everything is ready.');
    return problems ? 1 : 0;
  }
  writeTools(cache, tools);
  console.log(`setup done in ${formatSeconds(performance.now() - started)}; tool paths in ${toolsFile(cache)}`);
  return 0;
}

// Only when run as a script, so tests can import parseOptions.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((code) => { process.exitCode = code; }, (err) => {
    console.error(`setup failed: ${err.message}`);
    process.exitCode = 1;
  });
}
