// The GPU flavor of the TensorFlow native step (`npm run setup -- --gpu`, or TUNEFLOW_GPU=1): the CUDA
// build of TensorFlow 2.21 (on Linux x86-64 the plain `tensorflow` wheel) and the CUDA 12 / cuDNN 9
// libraries it asks for, from PyPI's `nvidia-*-cu12` wheels: no CUDA toolkit to install, and none of
// tfjs-node-gpu's CUDA 11.2.
//
// How TensorFlow finds CUDA: it dlopen()s libcudart.so.12, libcublas.so.12, libcudnn.so.9 ... when it
// first looks for a GPU, and the GPU wheel's libraries carry RUNPATH entries `$ORIGIN/../nvidia/<pkg>/lib`
// (where pip puts those wheels next to site-packages/tensorflow/). A dlopen() searches the RUNPATH of
// the library that calls it, so a folder `nvidia` beside the folder holding libtensorflow_*.so.2 is all
// it takes: set-up makes `<lib dir>/../nvidia` a symbolic link to the CUDA wheels' `nvidia` folder, both
// in the extracted copy (the graph engine links against it) and in tfjs-node's deps/ (hard links of the
// same files). No LD_LIBRARY_PATH, so the CLI, `tuneflow doctor`, workers and their training children
// all find the same libraries. Without a driver (libcuda.so.1) TensorFlow stays on the CPU, so the GPU
// build loads, trains and can be tested on a machine with no GPU.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { systemPython } from './paths.mjs';
import { SetupError, buildDirAtomically, pipInstall } from './util.mjs';

const EXTRA = 'and-cuda';

/**
 * What TensorFlow 2.21 dlopens on a GPU (its dso_loader), from the CUDA wheels; checked after install and by
 * doctor. One JSON file for both: set-up reads it here (plain Node, before any build), doctor's
 * training/graph/devices.ts imports it (tsc copies it to dist/setup/).
 */
export const CUDA_LIBRARIES = JSON.parse(fs.readFileSync(new URL('./cuda-libraries.json', import.meta.url), 'utf8'));

/**
 * The `nvidia-*-cu12` requirements a wheel's METADATA lists for its `and-cuda` extra, in the order given,
 * spaces removed (e.g. `nvidia-cudnn-cu12<10.0,>=9.3.0.75`). Versions come from the wheel, never from
 * here. `file` names the METADATA in errors. Throws a SetupError when the extra lists none, or lists one
 * with a condition besides the extra (set-up could not evaluate it).
 */
export function cudaRequirements(metadata, file = 'METADATA') {
  const out = [];
  const lines = metadata.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') break; // the headers end at the first blank line; the description follows
    const m = /^Requires-Dist:\s*([^;]+?)\s*(?:;\s*(.*))?$/.exec(line);
    if (!m || !m[2] || !new RegExp(`extra\\s*==\\s*["']${EXTRA}["']`).test(m[2])) continue;
    const marker = m[2].trim();
    if (!/^extra\s*==\s*["'][^"']+["']$/.test(marker)) {
      throw new SetupError(`${file}:${i + 1}: Requires-Dist: the ${EXTRA} requirement "${m[1]}" has a condition set-up cannot evaluate: ${marker}`);
    }
    const requirement = m[1].replace(/\s+/g, '');
    if (!/^nvidia-[a-z0-9-]+-cu12(?:\[[^\]]*\])?(?:[<>=!~][^;]*)?$/i.test(requirement)) {
      throw new SetupError(`${file}:${i + 1}: Requires-Dist: "${requirement}" under extra ${EXTRA} is not an nvidia-*-cu12 wheel`);
    }
    out.push(requirement);
  }
  if (out.length === 0) throw new SetupError(`${file}: no Requires-Dist lines for extra == "${EXTRA}" (is this the CUDA build of TensorFlow?)`);
  return out;
}

/** Folder name for a set of CUDA requirements: the same requirements, the same folder. */
export function cudaFolderName(requirements) {
  return `cuda12-${crypto.createHash('sha256').update(requirements.join('\n')).digest('hex').slice(0, 12)}`;
}

/** `<dir>/nvidia/<package>/lib` folders, sorted (what TensorFlow's RUNPATH points into). */
export function cudaLibDirs(dir) {
  const nvidia = path.join(dir, 'nvidia');
  if (!fs.existsSync(nvidia)) return [];
  return fs.readdirSync(nvidia).sort().map((p) => path.join(nvidia, p, 'lib')).filter((d) => fs.existsSync(d));
}

/** Which of CUDA_LIBRARIES none of `libDirs` holds. */
export function missingCudaLibraries(libDirs) {
  return CUDA_LIBRARIES.filter((lib) => !libDirs.some((d) => fs.existsSync(path.join(d, lib))));
}

/** Name and version of every wheel pip installed into `dir` (from its .dist-info folders). */
function installedPackages(dir) {
  const packages = {};
  for (const entry of fs.readdirSync(dir).sort()) {
    const m = /^(.+)-([^-]+)\.dist-info$/.exec(entry);
    if (m) packages[m[1].replace(/_/g, '-').toLowerCase()] = m[2];
  }
  return packages;
}

/**
 * `<cache>/cuda12-<hash>/` with the wheels `requirements` names (pip --target, no dependencies: the
 * extra lists every wheel the others need), installed once. Returns { dir, libDirs, packages }.
 */
export async function ensureCuda(ctx, requirements) {
  const dir = path.join(ctx.cache, cudaFolderName(requirements));
  const marker = path.join(dir, 'installed.json');
  if (!fs.existsSync(marker)) {
    ctx.progress(`installing ${requirements.length} CUDA 12 / cuDNN 9 wheels into ${dir} (~3 GB, once)`);
    const logFile = path.join(ctx.cache, 'logs', 'cuda-wheels.log');
    await buildDirAtomically(dir, async (tmp) => {
      await pipInstall(systemPython(ctx.env), [
        '--no-deps', '--only-binary=:all:', '--no-compile', '--target', tmp, ...requirements,
      ], { env: ctx.env, logFile }).catch((err) => {
        throw new SetupError(`cannot install the CUDA wheels (PIP_INDEX_URL/PIP_FIND_LINKS can point at a mirror): ${err.message}`);
      });
      const missing = missingCudaLibraries(cudaLibDirs(tmp));
      if (missing.length) throw new SetupError(`the CUDA wheels (${requirements.join(' ')}) lack ${missing.join(', ')}`);
      fs.writeFileSync(path.join(tmp, 'installed.json'), `${JSON.stringify({ requirements, packages: installedPackages(tmp) }, null, 2)}\n`);
    });
  }
  const { packages } = JSON.parse(fs.readFileSync(marker, 'utf8'));
  return { dir, libDirs: cudaLibDirs(dir), packages };
}

/**
 * Makes `<parent of libDir>/nvidia` a symbolic link to `<cudaDir>/nvidia`, so the RUNPATH
 * `$ORIGIN/../nvidia/<pkg>/lib` of libraries in `libDir` resolves. `relative`: a link that survives
 * moving the cache (the extracted copy); tfjs-node's deps/ gets an absolute one.
 */
export function linkNvidia(libDir, cudaDir, { relative = false } = {}) {
  const link = path.join(path.dirname(libDir), 'nvidia');
  const target = path.join(cudaDir, 'nvidia');
  const wanted = relative ? path.relative(path.dirname(link), target) : target;
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    // absent (or not a link)
  }
  if (current === wanted) return;
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(wanted, link);
}

/** Removes the `nvidia` link beside `libDir` (the CPU flavor has none). */
export function unlinkNvidia(libDir) {
  fs.rmSync(path.join(path.dirname(libDir), 'nvidia'), { recursive: true, force: true });
}
