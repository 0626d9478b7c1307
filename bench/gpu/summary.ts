// The one table bench/gpu/device-check.sh ends with: each step's exit status and time, what doctor saw
// (TensorFlow build, its devices, where training runs, why no GPU) and bench:training's medians
// (graph engine, eager engine, Keras, samples/s). Reads what the script left in its folder; a missing
// file (a step that failed or never ran) shows as such.
//   node dist/bench/gpu/summary.js <folder>
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, median, table } from '../table';

interface BenchJson {
  machine: string;
  backend: { package: string; tensorflowVersion?: string; usingGpu: boolean };
  results: Record<string, { ours: number[]; eager: number[]; keras: number[]; engineReason: string | null; samples: number }>;
  timeToTarget: { seconds: number | null; epoch: number | null; bestAccuracy: number };
}

interface DoctorJson {
  taskQueue: string;
  tensorflowVersion: string | null;
  devices: { type: string; name: string; detail: string; usedByTensorflow: boolean }[];
  tensorflowBuild?: { flavor: string; library: string; devices: { name: string; type: string; memoryBytes: number }[]; noGpu: string | null } | { error: string };
  warnings: string[];
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** The summary rows for the files in `dir`. */
export function summaryRows(dir: string): string[][] {
  const rows: string[][] = [];
  const steps = existsSync(join(dir, 'steps.tsv')) ? readFileSync(join(dir, 'steps.tsv'), 'utf8').trim().split('\n').filter(Boolean) : [];
  for (const line of steps) {
    const [name, rc, seconds] = line.split('\t');
    rows.push([`step ${name}`, `${rc === '0' ? 'ok' : rc === '124' || rc === '137' ? 'TIMED OUT' : `FAILED (exit ${rc})`}, ${seconds} s`]);
  }
  const smi = existsSync(join(dir, 'nvidia-smi.txt')) ? readFileSync(join(dir, 'nvidia-smi.txt'), 'utf8').trim().split('\n')[0] : '';
  rows.push(['GPU (nvidia-smi)', smi || '-']);

  const doctor = readJson<DoctorJson>(join(dir, 'doctor.json'));
  if (!doctor) rows.push(['doctor', 'no doctor.json']);
  else {
    const build = doctor.tensorflowBuild;
    rows.push(['doctor: TensorFlow', `${doctor.tensorflowVersion ?? '-'}, ${!build ? 'build unknown (no graph engine)' : 'error' in build ? `build unknown: ${build.error}` : `${build.flavor} build, ${build.library}`}`]);
    if (build && !('error' in build)) {
      rows.push(['doctor: TensorFlow devices', build.devices.map((d) => `${d.name.replace(/^.*device:/, '')}${d.type === 'GPU' ? ` (${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB)` : ''}`).join(', ')]);
      if (build.noGpu) rows.push(['doctor: no GPU because', build.noGpu]);
    }
    const used = doctor.devices.find((d) => d.usedByTensorflow);
    rows.push(['doctor: tfjs trains on', `${used ? `${used.type} ${used.name}` : '-'}, queue ${doctor.taskQueue}`]);
    for (const warning of doctor.warnings) rows.push(['doctor: warning', warning]);
  }

  const bench = readJson<BenchJson>(join(dir, 'bench.json'));
  if (!bench) rows.push(['bench:training', 'no bench.json']);
  else {
    rows.push(['bench: ours on', `${bench.backend.package}, TensorFlow ${bench.backend.tensorflowVersion ?? '-'}, ${bench.backend.usingGpu ? 'GPU' : 'CPU'}`]);
    for (const [model, r] of Object.entries(bench.results)) {
      const keras = r.keras.length > 0 ? fmt(median(r.keras)) : '-';
      rows.push([`bench: ${model} samples/s graph / eager / Keras`, `${fmt(median(r.ours))} / ${fmt(median(r.eager))} / ${keras}${r.engineReason ? ` (not graph: ${r.engineReason})` : ''}`]);
    }
    const t = bench.timeToTarget;
    rows.push(['bench: quickstart time to val_accuracy >= 0.9', t.seconds === null ? `not reached (best ${t.bestAccuracy.toFixed(3)})` : `${t.seconds.toFixed(1)} s (epoch ${t.epoch})`]);
  }
  return rows;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node dist/bench/gpu/summary.js <folder of bench/gpu/device-check.sh>');
    process.exit(2);
  }
  console.log(table(['GPU check', 'result'], summaryRows(dir)));
}
