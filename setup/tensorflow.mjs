// Step 4: native TensorFlow for @tensorflow/tfjs-node. Its install script downloads libtensorflow
// from storage.googleapis.com, often unreachable; instead the same C library is taken from the
// tensorflow-cpu wheel on PyPI (libtensorflow_cc.so.2 exports the C API), and the addon is built
// against it. The wheel, the extracted library and the built addon are cached, so after `npm ci`
// wiped node_modules this step only links files back and runs the smoke check.
// The GPU flavor (`--gpu`, tensorflow-gpu.mjs) takes the library from the CUDA build, the `tensorflow`
// wheel, into a folder of its own; the addon is the same (same C API), so switching flavors only
// relinks deps/. deps/tuneflow-flavor.json says which flavor deps/ holds.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { systemPython } from './paths.mjs';
import { cudaRequirements, ensureCuda, linkNvidia, unlinkNvidia } from './tensorflow-gpu.mjs';
import { SetupError, buildDirAtomically, linkOrCopy, run } from './util.mjs';

export const TF_VERSION = '2.21.0';
// tfjs-node 4.22 lists N-API versions 3..8; node-pre-gyp builds the highest one into lib/napi-v8.
const BINDING = path.join('lib', 'napi-v8', 'tfjs_binding.node');
// The names the addon links against (-ltensorflow) and the soname tfjs-node's own download would have.
const LIB_ALIASES = { 'libtensorflow.so.2.9.1': 'libtensorflow_cc.so.2', 'libtensorflow.so': 'libtensorflow_cc.so.2', 'libtensorflow_framework.so': 'libtensorflow_framework.so.2' };
const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
/** The wheel each flavor takes the library from: on Linux x86-64 the plain `tensorflow` wheel is the CUDA build. */
const WHEELS = {
  cpu: { project: 'tensorflow-cpu', file: 'tensorflow_cpu', size: '~275 MB' },
  gpu: { project: 'tensorflow', file: 'tensorflow', size: '~570 MB' },
};
const FLAVOR_FILE = 'tuneflow-flavor.json';
/** In the GPU flavor's extracted folder: the wheel's `and-cuda` requirements, one a line. */
const CUDA_REQUIREMENTS_FILE = 'cuda-requirements.txt';

/** `<cache>/libtensorflow-<v>` (cpu) or `<cache>/libtensorflow-<v>-gpu`, holding lib/ and include/. */
export function libtensorflowDir(cache, flavor = 'cpu') {
  return path.join(cache, `libtensorflow-${TF_VERSION}${flavor === 'gpu' ? '-gpu' : ''}`);
}

// Run in a child process: loading the 850 MB library must not happen in the set-up process, and a
// crash of the addon must not take set-up down. A tiny op proves kernels run, not just that it loads.
const SMOKE_SCRIPT = `
const tf = require('@tensorflow/tfjs-node');
if (tf.getBackend() !== 'tensorflow') { console.error('backend is ' + tf.getBackend()); process.exit(1); }
const sum = tf.tensor1d([1, 2, 3]).sum().dataSync()[0];
if (sum !== 6) { console.error('1+2+3 gave ' + sum); process.exit(1); }
console.log(JSON.stringify({ backend: tf.getBackend(), tfjsNode: tf.version['tfjs-node'], tensorflow: tf.backend().binding.TF_Version, gpu: tf.backend().isUsingGpuDevice === true }));
`;

function tfjsNodeDir(repoRoot) {
  try {
    return path.dirname(createRequire(path.join(repoRoot, 'package.json')).resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    throw new SetupError('@tensorflow/tfjs-node is not installed (the npm step installs it)');
  }
}

function tfjsNodeVersion(tfjsDir) {
  return JSON.parse(fs.readFileSync(path.join(tfjsDir, 'package.json'), 'utf8')).version;
}

/** Cache folder of the built addon: per tfjs-node and TF version, platform and Node ABI. */
function bindingCacheFile(ctx, tfjsDir) {
  const key = `${process.platform}-${process.arch}-abi${process.versions.modules}`;
  return path.join(ctx.cache, `tfjs-node-${tfjsNodeVersion(tfjsDir)}-tf${TF_VERSION}`, key, 'tfjs_binding.node');
}

/** What deps/ holds: { flavor, lib } as populateDeps recorded it, or null (none, or from before flavors). */
function installedFlavor(tfjsDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(tfjsDir, 'deps', FLAVOR_FILE), 'utf8'));
  } catch {
    return null;
  }
}

/** deps/ holds the library of `libDir` (so the wanted flavor) and the addon is there. */
function looksInstalled(tfjsDir, libDir) {
  return installedFlavor(tfjsDir)?.lib === path.join(libDir, 'lib')
    && fs.existsSync(path.join(tfjsDir, 'deps', 'lib', 'libtensorflow.so.2.9.1')) // existsSync follows the symlink
    && fs.existsSync(path.join(tfjsDir, BINDING));
}

async function smokeCheck(ctx) {
  try {
    const out = await run(process.execPath, ['-e', SMOKE_SCRIPT], { cwd: ctx.repoRoot, env: { ...ctx.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
    return { ok: true, ...JSON.parse(out.trim().split('\n').pop()) };
  } catch (err) {
    return { ok: false, error: err.message };
  }
}

const describe = (smoke, flavor) => `backend ${smoke.backend}, TensorFlow ${smoke.tensorflow} (${flavor === 'gpu' ? `CUDA build, ${smoke.gpu ? 'on a GPU' : 'no GPU visible'}` : 'CPU build'}), tfjs-node ${smoke.tfjsNode}`;

/** The flavor's wheel in <cache>/wheels, downloaded once with pip. */
async function ensureWheel(ctx, flavor) {
  const { project, file, size } = WHEELS[flavor];
  const wheels = path.join(ctx.cache, 'wheels');
  const find = () => {
    const name = fs.existsSync(wheels) && fs.readdirSync(wheels).find((f) => f.startsWith(`${file}-${TF_VERSION}-`) && f.endsWith('.whl'));
    return name ? path.join(wheels, name) : null;
  };
  if (find()) return find();
  ctx.progress(`downloading ${project}==${TF_VERSION} wheel (${size}, once)`);
  const python = systemPython(ctx.env);
  const logFile = path.join(ctx.cache, 'logs', 'tensorflow-wheel.log');
  const download = async (extra) => {
    const staging = `${wheels}.tmp-${process.pid}`; // pip must not leave a partial wheel in wheels/
    fs.rmSync(staging, { recursive: true, force: true });
    try {
      await run(python, ['-m', 'pip', 'download', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', ...extra, `${project}==${TF_VERSION}`, '-d', staging], { env: ctx.env, logFile });
      fs.mkdirSync(wheels, { recursive: true });
      for (const f of fs.readdirSync(staging)) fs.renameSync(path.join(staging, f), path.join(wheels, f));
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  };
  try {
    await download([]);
  } catch {
    // No wheel for this python's tag (too new or too old): the C library inside does not depend on
    // Python, so any tag of the same platform serves.
    await download(['--python-version', '3.11']).catch((err) => {
      throw new SetupError(`cannot download the ${project}==${TF_VERSION} wheel with ${python} (PIP_INDEX_URL/PIP_FIND_LINKS can point at a mirror): ${err.message}`);
    });
  }
  if (!find()) throw new SetupError(`pip download did not produce a ${file}-${TF_VERSION} wheel in ${wheels}`);
  return find();
}

// Wheel members we need: the two libraries and the C API headers (with the ctstring headers they
// include), and the wheel's METADATA (the GPU flavor reads its CUDA requirements there).
const EXTRACT_SCRIPT = `
import os, re, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
keep = re.compile(r'^tensorflow/(libtensorflow_cc\\.so\\.2|libtensorflow_framework\\.so\\.2|include/(tensorflow/c/.*\\.h|tensorflow/core/platform/ctstring[^/]*\\.h|tsl/platform/ctstring[^/]*\\.h|xla/tsl/c/[^/]+))$')
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if re.match(r'^[^/]+\\.dist-info/METADATA$', name):
            with z.open(name) as src, open(os.path.join(out, 'METADATA'), 'wb') as dst: shutil.copyfileobj(src, dst)
        m = keep.match(name)
        if not m: continue
        dest = os.path.join(out, 'include', m.group(2)) if m.group(2) else os.path.join(out, 'lib', m.group(1))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)
`;

/**
 * libtensorflowDir(cache, flavor)/{lib,include}, extracted once from the flavor's wheel; the GPU
 * flavor also keeps the wheel's CUDA requirements (CUDA_REQUIREMENTS_FILE), so a later run needs no wheel.
 */
async function ensureLibtensorflow(ctx, flavor) {
  const dir = libtensorflowDir(ctx.cache, flavor);
  const done = [...LIBS.map((lib) => path.join('lib', lib)), ...(flavor === 'gpu' ? [CUDA_REQUIREMENTS_FILE] : [])];
  if (done.every((f) => fs.existsSync(path.join(dir, f)))) return dir;
  const wheel = await ensureWheel(ctx, flavor);
  ctx.progress(`extracting libtensorflow ${TF_VERSION} from ${path.basename(wheel)}`);
  await buildDirAtomically(dir, async (tmp) => {
    await run(systemPython(ctx.env), ['-c', EXTRACT_SCRIPT, wheel, tmp]);
    const missing = [...LIBS.map((l) => `lib/${l}`), 'include/tensorflow/c/c_api.h', 'include/tensorflow/c/eager/c_api.h', 'METADATA'].filter((f) => !fs.existsSync(path.join(tmp, f)));
    if (missing.length) throw new SetupError(`${path.basename(wheel)} lacks ${missing.join(', ')}`);
    if (flavor === 'gpu') {
      const requirements = cudaRequirements(fs.readFileSync(path.join(tmp, 'METADATA'), 'utf8'), `${path.basename(wheel)}: METADATA`);
      fs.writeFileSync(path.join(tmp, CUDA_REQUIREMENTS_FILE), `${requirements.join('\n')}\n`);
    }
  });
  return dir;
}

/** The GPU flavor's CUDA wheels, installed once, linked beside the extracted library. */
async function ensureCudaFor(ctx, libDir) {
  const requirements = fs.readFileSync(path.join(libDir, CUDA_REQUIREMENTS_FILE), 'utf8').split('\n').filter(Boolean);
  const cuda = await ensureCuda(ctx, requirements);
  linkNvidia(path.join(libDir, 'lib'), cuda.dir, { relative: true });
  return cuda;
}

/**
 * deps/ as tfjs-node's own download would leave it. Hard links, not symlinks: the addon's rpath is
 * $ORIGIN/../../deps/lib. With `cuda`, deps/nvidia links to its wheels (the libraries' RUNPATH).
 */
function populateDeps(tfjsDir, libDir, flavor, cuda) {
  const deps = path.join(tfjsDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  for (const lib of LIBS) linkOrCopy(path.join(libDir, 'lib', lib), path.join(deps, 'lib', lib));
  for (const [alias, target] of Object.entries(LIB_ALIASES)) fs.symlinkSync(target, path.join(deps, 'lib', alias));
  fs.cpSync(path.join(libDir, 'include'), path.join(deps, 'include'), { recursive: true });
  if (cuda) linkNvidia(path.join(deps, 'lib'), cuda.dir);
  else unlinkNvidia(path.join(deps, 'lib'));
  fs.writeFileSync(path.join(deps, FLAVOR_FILE), `${JSON.stringify({ flavor, lib: path.join(libDir, 'lib') })}\n`);
}

/** Node's headers for node-gyp, found locally: node-gyp would otherwise download them. */
export function nodeHeadersDir() {
  const candidates = ['/usr', path.resolve(process.execPath, '..', '..')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
  if (!found) throw new SetupError(`Node's C headers (include/node/node_api.h) are in none of ${candidates.join(', ')}: install them (e.g. the nodejs-dev package)`);
  return found;
}

async function buildAddon(ctx, tfjsDir) {
  ctx.progress('building the tfjs-node addon against it (~15 s)');
  let nodePreGyp;
  try {
    nodePreGyp = createRequire(path.join(tfjsDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  } catch {
    throw new SetupError('@mapbox/node-pre-gyp (a dependency of tfjs-node) is not installed');
  }
  fs.rmSync(path.join(tfjsDir, 'lib'), { recursive: true, force: true });
  await run(process.execPath, [nodePreGyp, 'install', '--build-from-source', `--nodedir=${nodeHeadersDir()}`], {
    cwd: tfjsDir, env: ctx.env, logFile: path.join(ctx.cache, 'logs', 'tfjs-node-build.log'),
  });
}

function saveBinding(ctx, tfjsDir, { replace = false } = {}) {
  const cached = bindingCacheFile(ctx, tfjsDir);
  if (fs.existsSync(cached) && !replace) return;
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const tmp = `${cached}.tmp-${process.pid}`;
  fs.copyFileSync(path.join(tfjsDir, BINDING), tmp);
  fs.renameSync(tmp, cached);
}

function restoreBinding(ctx, tfjsDir) {
  const cached = bindingCacheFile(ctx, tfjsDir);
  if (!fs.existsSync(cached)) return false;
  fs.mkdirSync(path.dirname(path.join(tfjsDir, BINDING)), { recursive: true });
  fs.copyFileSync(cached, path.join(tfjsDir, BINDING));
  return true;
}

/** `ctx.flavor`: 'cpu' (default) or 'gpu'. */
const flavorOf = (ctx) => ctx.flavor ?? 'cpu';

export async function check(ctx) {
  const tfjsDir = tfjsNodeDir(ctx.repoRoot);
  const flavor = flavorOf(ctx);
  if (!looksInstalled(tfjsDir, libtensorflowDir(ctx.cache, flavor))) {
    const installed = installedFlavor(tfjsDir);
    if (installed && installed.flavor !== flavor) return { ok: false, detail: `the ${installed.flavor} build is installed, not the ${flavor} one` };
    const older = !installed && fs.existsSync(path.join(tfjsDir, 'deps', 'lib', 'libtensorflow.so.2.9.1'));
    return { ok: false, detail: older ? `installed by an older set-up (no deps/${FLAVOR_FILE})` : 'native backend not installed' };
  }
  const smoke = await smokeCheck(ctx);
  return smoke.ok ? { ok: true, detail: describe(smoke, flavor) } : { ok: false, detail: `native backend does not load: ${smoke.error}` };
}

export async function ensure(ctx) {
  const flavor = flavorOf(ctx);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(`the ${WHEELS[flavor].project} wheel recipe covers linux-x64 only, not ${process.platform}-${process.arch}`);
  }
  const tfjsDir = tfjsNodeDir(ctx.repoRoot);
  const libDir = await ensureLibtensorflow(ctx, flavor);
  const cuda = flavor === 'gpu' ? await ensureCudaFor(ctx, libDir) : null;
  const tools = {
    tensorflow: {
      version: TF_VERSION, flavor, lib: path.join(libDir, 'lib'),
      ...(cuda ? { cudaDir: cuda.dir, cudaLibDirs: cuda.libDirs, cudaPackages: cuda.packages } : {}),
    },
  };
  if (looksInstalled(tfjsDir, libDir)) {
    const smoke = await smokeCheck(ctx);
    if (smoke.ok) {
      saveBinding(ctx, tfjsDir);
      return { detail: `reused (${describe(smoke, flavor)})`, tools };
    }
  }
  populateDeps(tfjsDir, libDir, flavor, cuda);
  let smoke = restoreBinding(ctx, tfjsDir) ? await smokeCheck(ctx) : { ok: false };
  const built = !smoke.ok; // no cached addon, or one that does not load any more
  if (built) {
    await buildAddon(ctx, tfjsDir);
    smoke = await smokeCheck(ctx);
    if (!smoke.ok) throw new SetupError(`the native backend does not load after building it: ${smoke.error}`);
    saveBinding(ctx, tfjsDir, { replace: true });
  }
  const how = built ? 'built the addon against cached libtensorflow' : 'linked cached libtensorflow and addon';
  return { detail: `${how} (${describe(smoke, flavor)})`, tools };
}
