// Padding masks (training/models/attention.ts maskPadding) measured: a transformer on a token task where
// padding matters, masked against unmasked, on the graph engine through trainSegment (the trials' path).
// The task is IMDB-shaped: reviews of 5 to 25 tokens padded at the front to 100 (so ~85% padding);
// ids 1-20 are "positive" words (a fifth of the words), 21-40 "negative" ones (another fifth), the rest neutral; the label says whether
// positive words outnumber negative ones. Reports validation accuracy per epoch (median over seeds)
// and training samples/s (epochs 2.., median), runs alternating masked and unmasked so machine noise
// hits both.
//
//   npm run bench:padding-mask [-- --quick]     (or node dist/bench/padding-mask.js after a build)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainSegment, type SegmentResult } from '../training';
import { encodeNpy } from '../training/formats/npy';
import { mulberry32 } from '../training/rng';
import type { ExperimentSpec } from '../spec/types';
import { oneTrialSpec } from './one-trial-spec';
import { fmt, machine, median, table } from './table';

const MAX_LENGTH = 100;
const VOCABULARY = 500;
const SENTIMENT = 20;
const MODEL = { embeddingSize: 32, heads: 4, blocks: 1, ffUnits: 64 };
const [SHORTEST, LONGEST] = [5, 25];

/** `count` reviews and labels (seeded), ties broken by one more word of the label's side. */
function reviews(count: number, seed: number): { x: Int32Array; y: Uint8Array } {
  const random = mulberry32(seed);
  const x = new Int32Array(count * MAX_LENGTH);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const length = SHORTEST + Math.floor(random() * (LONGEST - SHORTEST + 1));
    let score = 0;
    for (let t = MAX_LENGTH - length; t < MAX_LENGTH; t++) {
      const r = random();
      const token = r < 0.2 ? 1 + Math.floor(random() * SENTIMENT) : r < 0.4 ? 1 + SENTIMENT + Math.floor(random() * SENTIMENT) : 1 + 2 * SENTIMENT + Math.floor(random() * (VOCABULARY - 1 - 2 * SENTIMENT));
      score += token <= SENTIMENT ? 1 : token <= 2 * SENTIMENT ? -1 : 0;
      x[i * MAX_LENGTH + t] = token;
    }
    if (score === 0) {
      score = random() < 0.5 ? 1 : -1;
      x[i * MAX_LENGTH + MAX_LENGTH - length] = score > 0 ? 1 : 1 + SENTIMENT;
    }
    y[i] = score > 0 ? 1 : 0;
  }
  return { x, y };
}

function dataset(dir: string, trainSize: number): ExperimentSpec['dataset'] {
  const files: Record<string, string> = {};
  for (const [split, count, seed] of [['train', trainSize, 1], ['test', 64, 2]] as const) {
    const { x, y } = reviews(count, seed);
    files[split] = join(dir, `x_${split}.npy`);
    files[`${split}Labels`] = join(dir, `y_${split}.npy`);
    writeFileSync(files[split]!, encodeNpy(x, [count, MAX_LENGTH]));
    writeFileSync(files[`${split}Labels`]!, encodeNpy(y, [count]));
  }
  return { name: 'custom', options: { format: 'npy', kind: 'sequence', ...files } };
}

function spec(data: ExperimentSpec['dataset'], maskPadding: boolean, epochs: number): ExperimentSpec {
  const model = { family: 'transformer', options: { ...MODEL, maskPadding } };
  return oneTrialSpec({ name: 'bench-padding-mask', dataset: data, model, epochs, training: { batchSize: 64, learningRate: 3e-3, validationSplit: 0.2 } });
}

async function train(s: ExperimentSpec, seed: number, epochs: number): Promise<SegmentResult> {
  const checkpointDir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-mask-'));
  try {
    return await trainSegment({ spec: s, params: {}, seed, fromEpoch: 0, toEpoch: epochs, checkpointDir });
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const [trainSize, epochs, seeds] = quick ? [2000, 5, 2] : [3000, 8, 3];
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-bench-mask-data-'));
  const runs = { masked: [] as SegmentResult[], unmasked: [] as SegmentResult[] };
  try {
    const data = dataset(dir, trainSize);
    for (let seed = 1; seed <= seeds; seed++) {
      for (const [key, mask] of (seed % 2 ? [['masked', true], ['unmasked', false]] : [['unmasked', false], ['masked', true]]) as ['masked' | 'unmasked', boolean][]) {
        const result = await train(spec(data, mask, epochs), seed, epochs);
        if (result.engine !== 'graph') throw new Error(`${key} trained on the ${result.engine} engine: ${result.engineReason}`);
        runs[key].push(result);
        process.stderr.write(`  seed ${seed} ${key}: val_accuracy ${result.epochs.map((e) => fmt(e.metrics.val_accuracy!, 3)).join(' ')}\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const accuracy = (key: keyof typeof runs, epoch: number) => fmt(median(runs[key].map((r) => r.epochs[epoch]!.metrics.val_accuracy!)), 3);
  const speed = (key: keyof typeof runs) => median(runs[key].flatMap((r) => r.epochs.slice(1).map((e) => e.metrics.samples_per_second!)));
  console.log(`# bench:padding-mask${quick ? ' (quick)' : ''}: transformer ${JSON.stringify(MODEL)}, ${trainSize} reviews of ${SHORTEST}-${LONGEST} tokens padded to ${MAX_LENGTH}, ${seeds} seeds, graph engine`);
  console.log(machine());
  console.log(
    table(
      ['epoch', 'val_accuracy masked (median)', 'val_accuracy unmasked (median)'],
      Array.from({ length: epochs }, (_, e) => [e + 1, accuracy('masked', e), accuracy('unmasked', e)]),
    ),
  );
  console.log(table(['training samples/s (graph, epochs 2..)', 'masked', 'unmasked', 'masked / unmasked'], [['median', fmt(speed('masked')), fmt(speed('unmasked')), fmt(speed('masked') / speed('unmasked'), 3)]]));
}

main().catch((error: unknown) => {
  console.error(`bench:padding-mask: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
