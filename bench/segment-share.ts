// The share of a training segment's wall time spent inside training steps (issue 13 asks >= 95 %): the
// quickstart trial's model (experiments/quickstart.yaml: cnn, 16 filters, dropout 0.25, 16x16 shapes)
// trained one epoch per segment through trainSegment, as a campaign's workers do, at several data
// sizes. Share = trainSeconds / wallSeconds over segments 2-4 (segment 1 also loads TensorFlow).
// `--against <dist>` runs another build's trainSegment (e.g. /work/main/dist) in the same process,
// alternating with this one round by round, so machine noise hits both sides.
//
//   node dist/bench/segment-share.js [--sizes 2400,24000] [--rounds 3] [--against /path/to/dist]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpecFile } from '../spec/load';
import type { ExperimentSpec } from '../spec/types';
import { trainSegment } from '../training';
import { graphAddonPath } from '../training/graph';
import type { SegmentRequest, SegmentResult } from '../training/types';
import { fmt, machine, median, table } from './table';

type TrainSegment = (req: SegmentRequest) => Promise<SegmentResult>;

const SEGMENTS = 4;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

async function specFor(trainImages: number): Promise<ExperimentSpec> {
  const spec = await loadSpecFile(resolve(__dirname, '../../experiments/quickstart.yaml'));
  // trainSize counts train + validation images; validationSplit of it is held out.
  const trainSize = Math.round(trainImages / (1 - spec.training.validationSplit));
  return { ...spec, dataset: { ...spec.dataset, options: { ...spec.dataset.options, trainSize } }, training: { ...spec.training, epochs: SEGMENTS } };
}

interface Segment {
  wall: number;
  steps: number;
  /** The epoch's health_seconds: the probe and the health math. */
  health: number;
  engine: string;
}

/** One trial of SEGMENTS one-epoch segments: per segment after the first, its wall, in-step and health seconds. */
async function trial(train: TrainSegment, spec: ExperimentSpec): Promise<Segment[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneflow-share-'));
  try {
    const out: Segment[] = [];
    for (let epoch = 1; epoch <= SEGMENTS; epoch++) {
      const result = await train({ spec, params: {}, seed: 3, fromEpoch: epoch - 1, toEpoch: epoch, checkpointDir: dir });
      const health = result.epochs.at(-1)?.metrics.health_seconds ?? NaN;
      if (epoch > 1) out.push({ wall: result.wallSeconds, steps: result.trainSeconds, health, engine: result.engine ?? '?' });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = option('sizes', '2400,24000').split(',').map(Number);
  const rounds = Number(option('rounds', '3'));
  const against = process.argv.includes('--against') ? resolve(option('against', '')) : null;
  // The addon set-up recorded in the real cache, before the cache moves to a temp folder.
  const addon = graphAddonPath();
  if ('path' in addon) process.env.TUNEFLOW_GRAPH_ENGINE_ADDON = addon.path;
  // The data set cache of a fresh folder, shared by both sides: generating the images is not timed.
  process.env.TUNEFLOW_CACHE_DIR ??= mkdtempSync(join(tmpdir(), 'tuneflow-share-cache-'));
  const sides: { name: string; train: TrainSegment }[] = [{ name: 'this build', train: trainSegment }];
  if (against) sides.unshift({ name: against, train: (createRequire(__filename)(join(against, 'training/index.js')) as { trainSegment: TrainSegment }).trainSegment });
  console.log(machine());
  const rows: (string | number)[][] = [];
  for (const size of sizes) {
    const spec = await specFor(size);
    const samples = new Map<string, { share: number[]; wall: number[]; outside: number[]; health: number[]; engine: string }>();
    // One warm-up trial per side (kernels, caches), then rounds alternating the sides.
    for (const side of sides) await trial(side.train, spec);
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const segments = await trial(side.train, spec);
        const s = samples.get(side.name) ?? { share: [], wall: [], outside: [], health: [], engine: segments[0]!.engine };
        for (const seg of segments) {
          s.share.push(seg.steps / seg.wall);
          s.wall.push(seg.wall);
          s.outside.push(seg.wall - seg.steps);
          s.health.push(seg.health);
        }
        samples.set(side.name, s);
      }
    }
    for (const side of sides) {
      const s = samples.get(side.name)!;
      rows.push([size, side.name, s.engine, `${fmt(100 * median(s.share), 3)} %`, fmt(median(s.wall), 3), fmt(1000 * median(s.outside), 3), fmt(1000 * median(s.health), 3), s.share.length]);
    }
  }
  console.log(table(['train images', 'build', 'engine', 'share inside steps (median)', 'segment wall s', 'outside steps ms', 'health ms', 'segments'], rows));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
