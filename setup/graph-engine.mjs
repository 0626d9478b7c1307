// Step: the graph engine (native/graph-engine/*.cc), a small N-API addon over TensorFlow's C API that
// trains built-in model families in graph mode (training/graph/). Built with g++ against the
// libtensorflow the tensorflow step extracted and Node's own headers (no node-gyp, no download), and
// cached per source hash, TensorFlow version and Node ABI, so a second run only smoke-checks it.
// A failure does not stop set-up: training then runs on the eager tfjs path and says so.
// With the GPU flavor (`--gpu`) it links against the CUDA build's library, the one tfjs-node's deps/
// then holds too: one libtensorflow per process (both load the soname libtensorflow_cc.so.2, and the
// second load reuses the first, so an engine built against the other flavor would silently run on it).
//   node setup/graph-engine.mjs   builds (or reuses) it alone, for the flavor tools.json records
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pathToFileURL } from 'node:url';
import { cacheDir, readTools, repoRoot as defaultRepoRoot, writeTools } from './paths.mjs';
import { TF_VERSION, libtensorflowDir as flavorDir, nodeHeadersDir } from './tensorflow.mjs';
import { SetupError, run, whichOnPath } from './util.mjs';

const SOURCE_DIR = path.join('native', 'graph-engine');

function sources(repoRoot) {
  const dir = path.join(repoRoot, SOURCE_DIR);
  if (!fs.existsSync(dir)) throw new SetupError(`${dir} is missing`);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join(dir, f));
}

/** `ctx.flavor` ('cpu' or 'gpu'), else the flavor the TensorFlow step last installed, else 'cpu'. */
function flavorOf(ctx) {
  return ctx.flavor ?? readTools(ctx.cache).tensorflow?.flavor ?? 'cpu';
}

/** <cache>/graph-engine/<hash of sources, TF version and flavor, platform, Node ABI>/graph_engine.node */
function addonPath(ctx) {
  const hash = crypto.createHash('sha256');
  for (const file of sources(ctx.repoRoot)) hash.update(path.basename(file)).update(fs.readFileSync(file));
  // The CPU flavor's key is as it was before flavors, so existing builds stay valid.
  hash.update(`tf${TF_VERSION}${flavorOf(ctx) === 'gpu' ? '-gpu' : ''}-${process.platform}-${process.arch}-abi${process.versions.modules}`);
  return path.join(ctx.cache, 'graph-engine', hash.digest('hex').slice(0, 16), 'graph_engine.node');
}

function libtensorflowDir(ctx) {
  const dir = flavorDir(ctx.cache, flavorOf(ctx));
  if (!fs.existsSync(path.join(dir, 'include', 'tensorflow', 'c', 'c_api.h'))) {
    throw new SetupError(`${dir} has no C API headers: the TensorFlow native step extracts them first`);
  }
  return dir;
}

// In a child process: a crash while loading must not take set-up down. Builds and runs 1 + 2.
const SMOKE_SCRIPT = `
const e = require(process.argv[1]);
const g = e.newGraph();
const c = (name, v) => e.addOp(g, 'Const', name, [], { dtype: { type: 'float32' }, value: { tensor: { dtype: 'float32', shape: [], data: new Float32Array([v]) } } });
const sum = e.addOp(g, 'AddV2', 'sum', [[c('a', 1), 0], [c('b', 2), 0]], {}, null);
e.startSession(g, new Uint8Array());
const [out] = e.run(g, [], [[sum, 0]], []);
if (out.data[0] !== 3) { console.error('1+2 gave ' + out.data[0]); process.exit(1); }
console.log(e.version());
`;

async function smokeCheck(ctx, addon) {
  const out = await run(process.execPath, ['-e', SMOKE_SCRIPT, addon], { cwd: ctx.repoRoot, env: { ...ctx.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return out.trim().split('\n').pop();
}

async function build(ctx, addon) {
  const compiler = ctx.env.CXX || whichOnPath('g++', ctx.env);
  if (!compiler) throw new SetupError('no C++ compiler: install g++ (or set CXX)');
  const tfDir = libtensorflowDir(ctx);
  const lib = path.join(tfDir, 'lib');
  fs.mkdirSync(path.dirname(addon), { recursive: true });
  const tmp = `${addon}.tmp-${process.pid}`;
  ctx.progress('compiling the graph engine addon (~20 s)');
  await run(compiler, [
    '-std=c++17', '-O2', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=graph_engine',
    '-I', path.join(nodeHeadersDir(), 'include', 'node'), '-I', path.join(tfDir, 'include'),
    ...sources(ctx.repoRoot), '-o', tmp,
    '-L', lib, '-l:libtensorflow_cc.so.2', '-l:libtensorflow_framework.so.2', `-Wl,-rpath,${lib}`,
  ], { env: ctx.env, logFile: path.join(ctx.cache, 'logs', 'graph-engine-build.log') });
  fs.renameSync(tmp, addon);
}

export async function check(ctx) {
  const addon = addonPath(ctx);
  if (!fs.existsSync(addon)) return { ok: false, detail: 'not built' };
  try {
    return { ok: true, detail: `${addon} (TensorFlow ${await smokeCheck(ctx, addon)})` };
  } catch (err) {
    return { ok: false, detail: `does not load: ${err.message}` };
  }
}

export async function ensure(ctx) {
  const addon = addonPath(ctx);
  let built = false;
  if (!fs.existsSync(addon)) {
    await build(ctx, addon);
    built = true;
  }
  let version;
  try {
    version = await smokeCheck(ctx, addon);
  } catch (err) {
    fs.rmSync(addon, { force: true }); // rebuilt next time
    throw err;
  }
  const flavor = flavorOf(ctx);
  return {
    detail: `${built ? 'built' : 'reused'} ${addon} (TensorFlow ${version}${flavor === 'gpu' ? ', CUDA build' : ''})`,
    tools: { graphEngine: { addon, tensorflow: version, flavor } },
  };
}

/** What tools.json records when the step failed, so training can say why it runs eager. */
export function failedTools(message) {
  return { graphEngine: { error: message } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cache = cacheDir(process.env);
  const ctx = { repoRoot: defaultRepoRoot, cache, env: process.env, progress: (m) => console.log(`  graph engine  ... ${m}`) };
  ensure(ctx).then(
    (result) => { writeTools(cache, result.tools); console.log(`✓ graph engine  ${result.detail}`); },
    (err) => { writeTools(cache, failedTools(err.message)); console.error(`✗ graph engine  failed: ${err.message}`); process.exitCode = 1; },
  );
}
