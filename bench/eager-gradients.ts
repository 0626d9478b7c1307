// The eager path's gradients with and without training/native-gradients.ts (TensorFlow's activation
// gradient kernels; no input gradient for the convolution on the data), on bench:training's CNN and
// LSTM, through trainSegment. Rounds alternate off/on in one process so machine noise hits both; the
// ratio is what to read.
//
//   npm run bench:eager-gradients              3 rounds
//   npm run bench:eager-gradients -- --quick   2 rounds, less data
//   ... --rounds N, --only cnn|lstm
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo, loadTf, trainSegment } from '../training';
import { encodeNpy } from '../training/formats/npy';
import { setNativeGradients } from '../training/native-gradients';
import { mulberry32 } from '../training/rng';
import type { ExperimentSpec } from '../spec/types';
import { oneTrialSpec } from './one-trial-spec';
import { fmt, machine, median, table } from './table';

const EPOCHS = 3; // the first is a warm-up, not timed

interface Case {
  label: string;
  family: string;
  options: Record<string, unknown>;
  shape: number[];
  sequence: boolean;
  samples: { quick: number; full: number };
}

const CASES: Case[] = [
  { label: 'CNN 2x[conv3x3+relu+pool] 16/32 + dense 64, 32x32x3', family: 'cnn', options: { convBlocks: 2, filters: 16, denseUnits: 64 }, shape: [32, 32, 3], sequence: false, samples: { quick: 1000, full: 3000 } },
  { label: 'LSTM 64 units, embedding 64, 80 tokens', family: 'lstm', options: { embeddingSize: 64, units: 64 }, shape: [80], sequence: true, samples: { quick: 500, full: 1500 } },
];

function writeCase(dir: string, c: Case, n: number): Record<string, unknown> {
  const random = mulberry32(1);
  const size = c.shape.reduce((a, b) => a * b, 1);
  const files: Record<string, string> = {};
  for (const [split, count] of [['train', n], ['test', 16]] as const) {
    const x = c.sequence ? Int32Array.from({ length: count * size }, () => 1 + Math.floor(random() * 1999)) : Uint8Array.from({ length: count * size }, () => Math.floor(random() * 256));
    files[split] = join(dir, `${c.family}-${split}.npy`);
    files[`${split}Labels`] = join(dir, `${c.family}-${split}-labels.npy`);
    writeFileSync(files[split]!, encodeNpy(x, [count, ...c.shape]));
    writeFileSync(files[`${split}Labels`]!, encodeNpy(Uint8Array.from({ length: count }, (_, i) => i % 2), [count]));
  }
  return { format: 'npy', ...files, ...(c.sequence ? { kind: 'sequence' } : {}) };
}

function specFor(c: Case, dataset: Record<string, unknown>): ExperimentSpec {
  const training = { batchSize: 64, learningRate: 1e-3, validationSplit: 0.1 };
  return oneTrialSpec({ name: `bench-${c.family}`, dataset: { name: 'custom', options: dataset }, model: { family: c.family, options: c.options }, epochs: EPOCHS, training });
}

async function samplesPerSecond(spec: ExperimentSpec): Promise<{ rates: number[]; losses: number[] }> {
  const checkpointDir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-eager-'));
  try {
    const result = await trainSegment({ spec, params: {}, seed: 1, fromEpoch: 0, toEpoch: EPOCHS, checkpointDir });
    return { rates: result.epochs.slice(1).map((e) => e.metrics.samples_per_second!), losses: result.epochs.map((e) => e.metrics.loss!) };
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const rounds = Number(value('--rounds') ?? (quick ? 2 : 3));
  const only = value('--only');
  const tf = await loadTf();
  const info = await backendInfo();
  console.log(`# bench:eager-gradients${quick ? ' (quick)' : ''}: TF.js gradients vs native-gradients.ts (TensorFlow's activation gradient kernels, no input gradient for the data's convolution) (${info.package}, TensorFlow ${info.tensorflowVersion ?? 'none'})`);
  console.log(`machine: ${machine()}`);
  console.log(`batch 64, Adam, ${rounds} alternating rounds x ${EPOCHS - 1} timed epochs (+1 warm-up) per side\n`);
  const root = mkdtempSync(join(tmpdir(), 'tuneflow-bench-eager-data-'));
  const rows: (string | number)[][] = [];
  try {
    for (const c of CASES.filter((c) => !only || c.family === only)) {
      const spec = specFor(c, writeCase(root, c, quick ? c.samples.quick : c.samples.full));
      const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
      let lossGap = 0;
      for (let round = 0; round < rounds; round++) {
        // Alternate which side goes first so a slow start of the machine does not favour either.
        const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
        const losses: Partial<Record<'off' | 'on', number[]>> = {};
        for (const side of order) {
          setNativeGradients(tf, side === 'on');
          const measured = await samplesPerSecond(spec);
          rates[side].push(...measured.rates);
          losses[side] = measured.losses;
        }
        losses.on!.forEach((l, i) => (lossGap = Math.max(lossGap, Math.abs(l - losses.off![i]!))));
        process.stderr.write(`  ${c.family} round ${round + 1}/${rounds}: TF.js ${fmt(median(rates.off))}/s, native ${fmt(median(rates.on))}/s\n`);
      }
      const ratio = median(rates.on) / median(rates.off);
      rows.push([c.label, fmt(median(rates.off)), fmt(median(rates.on)), `${ratio.toFixed(2)}x`, `${(Math.max(...rates.on) / Math.max(...rates.off)).toFixed(2)}x`, lossGap.toExponential(1)]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    setNativeGradients(tf, true);
  }
  console.log(table(['model', 'TF.js gradients samples/s', 'native samples/s', 'native/TF.js (medians)', 'best/best epoch', 'max |loss difference|'], rows));
}

main().catch((error: unknown) => {
  console.error(`bench:eager-gradients: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
