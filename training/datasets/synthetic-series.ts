// synthetic-series: a generated multivariate time-series regression set, for tests, examples and a
// first time-series search without network. Each example is `steps` time steps of `features` signals:
// signal f is a sine with its own random frequency, phase and amplitude, plus Gaussian noise; the target
// is the next (unobserved) value of the first signal without noise, so a model has to infer that
// signal's frequency and phase from the window. Pure: generated in memory from the options.
//   trainSize (2000), testSize (500), steps (24), features (3), noise (0.05), seed (0)
import { settingsReader } from '../errors';
import { mixSeed, mulberry32 } from '../rng';
import type { DatasetModule, RawDataset, Split } from './types';

function options(values: Record<string, unknown>) {
  const read = settingsReader(values, (key) => `dataset.options.${key}`);
  const o = {
    trainSize: read.integer('trainSize', 2000, { min: 2, max: 1_000_000 }),
    testSize: read.integer('testSize', 500, { min: 1, max: 1_000_000 }),
    steps: read.integer('steps', 24, { min: 2, max: 4096 }),
    features: read.integer('features', 3, { min: 1, max: 256 }),
    noise: read.number('noise', 0.05, { min: 0, max: 10 }),
    seed: read.integer('seed', 0, { min: 0 }),
  };
  read.rejectUnknown(Object.keys(OPTION_DOCS), ' for data set synthetic-series');
  return o;
}

const OPTION_DOCS: Record<string, string> = {
  trainSize: 'training examples (default 2000)',
  testSize: 'test examples (default 500)',
  steps: 'time steps per example (default 24)',
  features: 'signals per time step (default 3)',
  noise: 'standard deviation of the Gaussian noise on the inputs (default 0.05)',
  seed: 'generator seed (default 0)',
};

/** `count` windows: x [count, steps, features], y [count] (the first signal's next clean value). */
export function generateSeries(o: ReturnType<typeof options>, count: number, seed: number): Split {
  const random = mulberry32(mixSeed(o.seed, seed));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const x = new Float32Array(count * o.steps * o.features);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    for (let f = 0; f < o.features; f++) {
      const frequency = 0.1 + random() * 0.4; // radians per step
      const phase = random() * 2 * Math.PI;
      const amplitude = 0.5 + random();
      const at = (t: number) => amplitude * Math.sin(frequency * t + phase);
      for (let t = 0; t < o.steps; t++) x[(i * o.steps + t) * o.features + f] = at(t) + o.noise * gaussian();
      if (f === 0) y[i] = at(o.steps);
    }
  }
  return { x, y, count };
}

export const syntheticSeries: DatasetModule = {
  name: 'synthetic-series',
  description: 'generated multivariate sine windows; regression target: the next value of the first signal',
  options: OPTION_DOCS,
  validateOptions: options,
  async load(values): Promise<RawDataset> {
    const o = options(values);
    return {
      name: 'synthetic-series',
      kind: 'series',
      inputShape: [o.steps, o.features],
      numClasses: 1,
      classNames: ['next'],
      train: generateSeries(o, o.trainSize, 1),
      test: generateSeries(o, o.testSize, 2),
    };
  },
};
