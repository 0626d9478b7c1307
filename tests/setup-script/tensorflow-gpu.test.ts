// The GPU flavor of the TensorFlow step (`npm run setup -- --gpu`): reading the CUDA requirements from
// the wheel's METADATA, the options that ask for it, the `nvidia` link TensorFlow's RUNPATH needs; and,
// opt-in (TUNEFLOW_TEST_GPU_SETUP=1: it downloads ~850 MB of wheels unless the cache has them and
// installs ~4 GB of CUDA libraries), the whole GPU set-up on this machine, GPU or not, in a copy of
// the checkout whose tfjs-node it may relink: the CUDA build trains, doctor names it, and a run
// without --gpu puts the CPU build back.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUDA_LIBRARIES as DOCTOR_CUDA_LIBRARIES } from '../../training/graph/devices';
import type { DoctorReport } from '../../cli/doctor';
import { runNode } from '../helpers/run-node';
import { scratchFolder } from './fakes';

// setup/ is plain ESM (it runs before node_modules exists); this test file is CommonJS.
const loadGpu = () => import('../../setup/tensorflow-gpu.mjs');
const loadIndex = () => import('../../setup/index.mjs');

const repoRoot = path.resolve(__dirname, '..', '..');
const scratch = scratchFolder('tuneflow-tf-gpu-test-');

/** The headers and the and-cuda lines of tensorflow-2.21.0's METADATA, abridged; the description follows the blank line. */
const METADATA = `Metadata-Version: 2.1
Name: tensorflow
Version: 2.21.0
Requires-Dist: absl-py>=1.0.0
Requires-Dist: protobuf<8.0.0,>=6.31.1
Requires-Dist: numpy>=1.26.0
Provides-Extra: and-cuda
Requires-Dist: nvidia-cublas-cu12<13.0,>=12.5.3.2; extra == "and-cuda"
Requires-Dist: nvidia-cuda-runtime-cu12<13.0,>=12.5.82; extra == "and-cuda"
Requires-Dist: nvidia-cudnn-cu12<10.0,>=9.3.0.75; extra == "and-cuda"
Requires-Dist: nvidia-nccl-cu12<3.0,>=2.27.7 ; extra == 'and-cuda'
Provides-Extra: gcs-filesystem
Requires-Dist: tensorflow-io-gcs-filesystem>=0.23.1; (sys_platform != "win32" and python_version < "3.13") and extra == "gcs-filesystem"

TensorFlow is an open source software library for high performance numerical computation.
Requires-Dist: nvidia-not-a-header-cu12; extra == "and-cuda"
`;

describe('cudaRequirements', () => {
  it('takes the and-cuda lines of the headers, as written, spaces removed, nothing else', async () => {
    const { cudaRequirements } = await loadGpu();
    expect(cudaRequirements(METADATA)).toEqual([
      'nvidia-cublas-cu12<13.0,>=12.5.3.2',
      'nvidia-cuda-runtime-cu12<13.0,>=12.5.82',
      'nvidia-cudnn-cu12<10.0,>=9.3.0.75',
      'nvidia-nccl-cu12<3.0,>=2.27.7',
    ]);
  });

  it('refuses a METADATA without them, naming the file', async () => {
    const { cudaRequirements } = await loadGpu();
    const cpuWheel = METADATA.split('\n').filter((l) => !l.includes('and-cuda')).join('\n');
    expect(() => cudaRequirements(cpuWheel, 'tensorflow_cpu-2.21.0.whl: METADATA')).toThrow(
      /^tensorflow_cpu-2\.21\.0\.whl: METADATA: no Requires-Dist lines for extra == "and-cuda" \(is this the CUDA build of TensorFlow\?\)$/,
    );
  });

  it('refuses a condition it cannot evaluate, and a wheel that is not nvidia-*-cu12, naming the line', async () => {
    const { cudaRequirements } = await loadGpu();
    const marker = 'Name: tensorflow\nRequires-Dist: nvidia-cublas-cu12>=12; python_version < "3.13" and extra == "and-cuda"\n';
    expect(() => cudaRequirements(marker, 'M')).toThrow(/^M:2: Requires-Dist: the and-cuda requirement "nvidia-cublas-cu12>=12" has a condition set-up cannot evaluate: python_version/);
    const other = 'Name: tensorflow\nRequires-Dist: tensorrt>=10; extra == "and-cuda"\n';
    expect(() => cudaRequirements(other, 'M')).toThrow(/^M:2: Requires-Dist: "tensorrt>=10" under extra and-cuda is not an nvidia-\*-cu12 wheel$/);
  });

  it('names the CUDA folder by the requirements: the same ones share it, others do not', async () => {
    const { cudaFolderName } = await loadGpu();
    const a = cudaFolderName(['nvidia-cublas-cu12<13', 'nvidia-cudnn-cu12<10']);
    expect(a).toMatch(/^cuda12-[0-9a-f]{12}$/);
    expect(cudaFolderName(['nvidia-cublas-cu12<13', 'nvidia-cudnn-cu12<10'])).toBe(a);
    expect(cudaFolderName(['nvidia-cublas-cu12<13', 'nvidia-cudnn-cu12<11'])).not.toBe(a);
  });

  it('checks the same CUDA libraries as doctor: both read setup/cuda-libraries.json', async () => {
    const { CUDA_LIBRARIES } = await loadGpu();
    const file = JSON.parse(fs.readFileSync(path.join(repoRoot, 'setup', 'cuda-libraries.json'), 'utf8')) as string[];
    expect(file).toContain('libcudnn.so.9');
    expect(CUDA_LIBRARIES).toEqual(file);
    expect(DOCTOR_CUDA_LIBRARIES).toEqual(file);
  });
});

describe('the nvidia link beside a library folder', () => {
  it('resolves $ORIGIN/../nvidia/<pkg>/lib to the CUDA wheels, is idempotent, follows a new folder and goes away', async () => {
    const { linkNvidia, unlinkNvidia, cudaLibDirs, missingCudaLibraries, CUDA_LIBRARIES } = await loadGpu();
    const lib = path.join(scratch(), 'libtensorflow', 'lib');
    const cuda = (name: string, libs: string[]) => {
      const dir = path.join(scratch(), name);
      for (const [pkg, file] of libs.map((l) => [l.replace(/^lib|\.so.*$/g, ''), l])) {
        fs.mkdirSync(path.join(dir, 'nvidia', pkg!, 'lib'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'nvidia', pkg!, 'lib', file!), '');
      }
      return dir;
    };
    fs.mkdirSync(lib, { recursive: true });
    const full = cuda('cuda12-a', CUDA_LIBRARIES);
    const partial = cuda('cuda12-b', ['libcudart.so.12']);

    linkNvidia(lib, full, { relative: true });
    const link = path.join(lib, '..', 'nvidia');
    expect(fs.readlinkSync(link)).toBe(path.join('..', 'cuda12-a', 'nvidia'));
    expect(fs.existsSync(path.join(lib, '..', 'nvidia', 'cudart', 'lib', 'libcudart.so.12'))).toBe(true);
    linkNvidia(lib, full, { relative: true });
    expect(missingCudaLibraries(cudaLibDirs(path.join(lib, '..')))).toEqual([]);

    linkNvidia(lib, partial);
    expect(fs.readlinkSync(link)).toBe(path.join(partial, 'nvidia'));
    expect(missingCudaLibraries(cudaLibDirs(path.join(lib, '..')))).toEqual(CUDA_LIBRARIES.filter((l) => l !== 'libcudart.so.12'));

    unlinkNvidia(lib);
    expect(fs.existsSync(link)).toBe(false);
    expect(fs.existsSync(path.join(partial, 'nvidia'))).toBe(true); // the link went, not the wheels
  });
});

describe('asking for the GPU flavor', () => {
  it('--gpu or TUNEFLOW_GPU=1/true; 0, false or unset is the CPU flavor', async () => {
    const { parseOptions } = await loadIndex();
    expect(parseOptions([], {}).gpu).toBe(false);
    expect(parseOptions(['--gpu'], {}).gpu).toBe(true);
    expect(parseOptions([], { TUNEFLOW_GPU: '1' }).gpu).toBe(true);
    expect(parseOptions([], { TUNEFLOW_GPU: ' TRUE ' }).gpu).toBe(true);
    expect(parseOptions([], { TUNEFLOW_GPU: '0' }).gpu).toBe(false);
    expect(parseOptions(['--gpu', '--skip-browser'], { TUNEFLOW_GPU: 'false' })).toMatchObject({ gpu: true, skip: new Set(['browser']) });
  });

  it('a TUNEFLOW_GPU it does not understand is an error naming it', async () => {
    const { parseOptions } = await loadIndex();
    expect(() => parseOptions([], { TUNEFLOW_GPU: 'yes' })).toThrow(/^TUNEFLOW_GPU must be 1 or 0 \(true or false\), got "yes"$/);
    expect(() => parseOptions(['--cuda'], {})).toThrow(/unknown option --cuda \(use --check, --gpu, /);
  });
});

// ---- opt-in: the GPU set-up for real --------------------------------------------------------------

const optIn = process.env.TUNEFLOW_TEST_GPU_SETUP === '1';
/** Per test: downloads, a 4 GB install, a g++ build or a training run. */
const SLOW = 900_000;
if (!optIn) console.warn('GPU set-up test skipped: set TUNEFLOW_TEST_GPU_SETUP=1 to run it (downloads ~850 MB unless cached, installs ~4 GB of CUDA wheels)');

/**
 * A checkout of its own under `root`: the repository's files as links, dist/ copied (Node resolves
 * packages from a module's real path), node_modules as links except @tensorflow/tfjs-node, copied
 * without deps/, so relinking its TensorFlow touches nobody else's.
 */
function isolatedCheckout(root: string): string {
  const checkout = path.join(root, 'checkout');
  fs.mkdirSync(path.join(checkout, 'node_modules', '@tensorflow'), { recursive: true });
  for (const entry of fs.readdirSync(repoRoot)) {
    if (entry.startsWith('.') || entry === 'node_modules' || entry === 'dist') continue;
    fs.symlinkSync(path.join(repoRoot, entry), path.join(checkout, entry));
  }
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(checkout, 'dist'), { recursive: true });
  const modules = fs.realpathSync(path.join(repoRoot, 'node_modules'));
  for (const entry of fs.readdirSync(modules)) {
    if (entry !== '@tensorflow') fs.symlinkSync(fs.realpathSync(path.join(modules, entry)), path.join(checkout, 'node_modules', entry));
  }
  for (const pkg of fs.readdirSync(path.join(modules, '@tensorflow'))) {
    const source = fs.realpathSync(path.join(modules, '@tensorflow', pkg));
    const dest = path.join(checkout, 'node_modules', '@tensorflow', pkg);
    if (pkg === 'tfjs-node') fs.cpSync(source, dest, { recursive: true, filter: (f) => f !== path.join(source, 'deps') });
    else fs.symlinkSync(source, dest);
  }
  return checkout;
}

/** Hard links (else copies) of the wheels and the built tfjs-node addon the user's cache already has, so the test downloads only what is missing. */
function seedCache(cache: string): void {
  const user = (process.env.TUNEFLOW_CACHE_DIR && path.resolve(process.env.TUNEFLOW_CACHE_DIR)) || path.join(os.homedir(), '.cache', 'tuneflow');
  const wheels = path.join(user, 'wheels');
  fs.mkdirSync(path.join(cache, 'wheels'), { recursive: true });
  for (const wheel of fs.existsSync(wheels) ? fs.readdirSync(wheels).filter((w) => /^tensorflow(_cpu)?-2\.21\.0-.*\.whl$/.test(w)) : []) {
    try {
      fs.linkSync(path.join(wheels, wheel), path.join(cache, 'wheels', wheel));
    } catch {
      fs.copyFileSync(path.join(wheels, wheel), path.join(cache, 'wheels', wheel));
    }
  }
  for (const entry of fs.existsSync(user) ? fs.readdirSync(user).filter((e) => e.startsWith('tfjs-node-')) : []) {
    fs.cpSync(path.join(user, entry), path.join(cache, entry), { recursive: true });
  }
}

/** `node -e script` in `cwd` with LD_DEBUG=libs: the dynamic loader's account of every library it loaded. */
function loaderTrace(cwd: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd, env: { ...process.env, LD_DEBUG: 'libs' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', () => resolve(err));
  });
}

type StepModule = {
  ensure(ctx: Record<string, unknown>): Promise<{ detail: string; tools: Record<string, Record<string, unknown>> }>;
};

describe.skipIf(!optIn)('GPU set-up on this machine (opt-in: TUNEFLOW_TEST_GPU_SETUP=1)', () => {
  let root: string;
  let checkout: string;
  let cache: string;
  let tensorflow: StepModule;
  let graphEngine: StepModule;
  let gpuAddon: string;
  const timings: Record<string, number> = {};
  const ctx = (flavor: 'cpu' | 'gpu') => ({ repoRoot: checkout, cache, env: { ...process.env, TUNEFLOW_CACHE_DIR: cache }, flavor, progress: (m: string) => console.log(`  [${flavor}] ${m}`) });
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = Math.round((performance.now() - started) / 100) / 10;
    }
  };
  const deps = () => path.join(checkout, 'node_modules', '@tensorflow', 'tfjs-node', 'deps');

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tuneflow-gpu-setup-'));
    checkout = isolatedCheckout(root);
    cache = path.join(root, 'cache');
    seedCache(cache);
    tensorflow = (await import('../../setup/tensorflow.mjs')) as unknown as StepModule;
    graphEngine = (await import('../../setup/graph-engine.mjs')) as unknown as StepModule;
  });
  afterAll(() => {
    console.log(`GPU set-up timings (s): ${JSON.stringify(timings)}`);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, SLOW);

  it('installs the CUDA build with the wheels its METADATA asks for, linked where its RUNPATH looks', async () => {
    const result = await timed('tensorflow --gpu, first run', () => tensorflow.ensure(ctx('gpu')));
    expect(result.detail).toMatch(/TensorFlow 2\.21\.0 \(CUDA build, (no GPU visible|on a GPU)\)/);
    const tools = result.tools.tensorflow!;
    expect(tools).toMatchObject({ version: '2.21.0', flavor: 'gpu', lib: path.join(cache, 'libtensorflow-2.21.0-gpu', 'lib') });
    const { cudaRequirements } = await loadGpu();
    const requirements = cudaRequirements(fs.readFileSync(path.join(cache, 'libtensorflow-2.21.0-gpu', 'METADATA'), 'utf8'));
    expect(Object.keys(tools.cudaPackages as object).sort()).toEqual(requirements.map((r) => r.replace(/[<>=!~;].*$/, '')).sort());
    expect(fs.readlinkSync(path.join(deps(), 'nvidia'))).toBe(path.join(tools.cudaDir as string, 'nvidia'));
    // One file, hard-linked: tfjs-node and the graph engine load the very same library.
    expect(fs.statSync(path.join(deps(), 'lib', 'libtensorflow_cc.so.2')).ino).toBe(fs.statSync(path.join(tools.lib as string, 'libtensorflow_cc.so.2')).ino);

    const again = await timed('tensorflow --gpu, second run', () => tensorflow.ensure(ctx('gpu')));
    expect(again.detail).toMatch(/^reused /);
  }, SLOW);

  it('TensorFlow finds the CUDA runtime through the nvidia link (no LD_LIBRARY_PATH)', async () => {
    const trace = await loaderTrace(checkout, "const tf = require('@tensorflow/tfjs-node'); tf.tensor1d([1, 2]).sum().dataSync();");
    // TensorFlow dlopens libcudart when it looks for a GPU, also on a machine with none. The loader's
    // "calling fini" line at exit names the file it loaded (its "calling init" line, written while other
    // threads log too, is sometimes lost in the interleaving).
    const loaded = trace.split('\n').filter((line) => /calling fini: .*libcudart/.test(line));
    const cudart = trace.split('\n').filter((line) => line.includes('libcudart') && !line.includes('trying file')).join('\n');
    expect(loaded.length, `no libcudart in ${trace.length} characters of loader trace; its libcudart lines:\n${cudart}`).toBeGreaterThan(0);
    for (const line of loaded) expect(line).toMatch(/calling fini: \S*\/tfjs-node\/\S*deps\/lib\/\.\.\/nvidia\/cuda_runtime\/lib\/libcudart\.so\.12\b/);
  }, SLOW);

  it('builds the graph engine against the CUDA build, and a model trains on it', async () => {
    const built = await timed('graph engine --gpu', () => graphEngine.ensure(ctx('gpu')));
    expect(built.detail).toMatch(/graph_engine\.node \(TensorFlow 2\.21\.0, CUDA build\)$/);
    gpuAddon = built.tools.graphEngine!.addon as string;
    const env = { TUNEFLOW_CACHE_DIR: cache, TUNEFLOW_GRAPH_ENGINE_ADDON: gpuAddon, MLFLOW_TRACKING_URI: '' };
    const run = await timed('train 2 epochs', () =>
      runNode([path.join(checkout, 'dist', 'cli', 'main.js'), 'train', path.join(checkout, 'experiments', 'quickstart.yaml'), '--epochs', '2', '--set', 'model.filters=8', '--set', 'learningRate=0.003', '--json'], { cwd: checkout, env }),
    );
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').pop()!) as { engine: string; epochs: { loss: number; val_accuracy: number }[]; test: { test_accuracy: number } };
    expect(report.engine).toBe('graph');
    expect(report.epochs).toHaveLength(2);
    expect(report.epochs[1]!.loss).toBeLessThan(report.epochs[0]!.loss);
    expect(report.test.test_accuracy).toBeGreaterThan(0.5); // four shapes: chance is 0.25
  }, SLOW);

  it('doctor names the CUDA build, the devices it sees and why there is no GPU', async () => {
    const env = { TUNEFLOW_CACHE_DIR: cache, TUNEFLOW_GRAPH_ENGINE_ADDON: gpuAddon };
    const json = await runNode([path.join(checkout, 'dist', 'cli', 'main.js'), 'doctor', '--json'], { cwd: checkout, env });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as DoctorReport;
    const build = report.tensorflowBuild as { flavor: string; library: string; devices: { name: string; type: string }[]; noGpu: string | null };
    expect(build.flavor).toBe('gpu');
    expect(build.library.startsWith(path.join(deps(), 'lib'))).toBe(true); // tfjs-node loaded it first; the engine shares it
    if (build.devices.some((d) => d.type === 'GPU')) {
      expect(build.noGpu).toBeNull();
    } else {
      expect(build.devices.map((d) => d.name.replace(/^.*device:/, ''))).toEqual(['CPU:0']);
      expect(build.noGpu).toMatch(/^no NVIDIA driver: libcuda\.so\.1: cannot open shared object file/);
    }
    const text = await runNode([path.join(checkout, 'dist', 'cli', 'main.js'), 'doctor'], { cwd: checkout, env });
    expect(text.stdout).toMatch(/^build: +gpu \(CUDA 12 build\), \S+libtensorflow\S*$/m);
    expect(text.stdout).toMatch(/^TF devices: +CPU:0/m);
    if (build.noGpu) expect(text.stdout).toMatch(/^no GPU: +no NVIDIA driver: libcuda\.so\.1/m);
  }, SLOW);

  it('a run without --gpu puts the CPU build back, and the graph engine with it', async () => {
    const cpu = await timed('tensorflow back to cpu', () => tensorflow.ensure(ctx('cpu')));
    expect(cpu.detail).toMatch(/TensorFlow 2\.21\.0 \(CPU build\)/);
    expect(cpu.tools.tensorflow).toEqual({ version: '2.21.0', flavor: 'cpu', lib: path.join(cache, 'libtensorflow-2.21.0', 'lib') });
    expect(fs.existsSync(path.join(deps(), 'nvidia'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(deps(), 'tuneflow-flavor.json'), 'utf8'))).toMatchObject({ flavor: 'cpu' });
    const engine = await timed('graph engine cpu', () => graphEngine.ensure(ctx('cpu')));
    expect(engine.tools.graphEngine!.addon).not.toBe(gpuAddon);
    const env = { TUNEFLOW_CACHE_DIR: cache, TUNEFLOW_GRAPH_ENGINE_ADDON: engine.tools.graphEngine!.addon as string };
    const report = JSON.parse((await runNode([path.join(checkout, 'dist', 'cli', 'main.js'), 'doctor', '--json'], { cwd: checkout, env })).stdout) as DoctorReport;
    expect(report.tensorflowBuild).toMatchObject({ flavor: 'cpu', noGpu: null });
  }, SLOW);
});
