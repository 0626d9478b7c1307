import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { checkpointPath, loadTf, trainSegment, type Tf } from '../../training';
import type { CheckpointState } from '../../training/checkpoint';
import { loadGraphAddon } from '../../training/graph';
import {
  deadUnits,
  detrendedCv,
  EXPLODING_GRADIENT,
  gradientFlag,
  healthMetrics,
  healthScore,
  parameterEfficiency,
  VANISHING_GRADIENT,
} from '../../training/health';
import { HealthProbe } from '../../training/probe';
import { smallSpec, tempDir, useTempCache } from './helpers';

describe('health math', () => {
  test('dead units are those never above zero; NaN counts as dead', () => {
    expect(deadUnits([0, 0.5, 0, 2, -1])).toBe(3);
    expect(deadUnits(new Float32Array([NaN, 1]))).toBe(1);
    expect(deadUnits([])).toBe(0);
  });

  test('gradient flags at the documented thresholds', () => {
    expect(gradientFlag(VANISHING_GRADIENT / 10)).toBe('vanishing');
    expect(gradientFlag(0)).toBe('vanishing');
    expect(gradientFlag(1)).toBeNull();
    expect(gradientFlag(EXPLODING_GRADIENT * 10)).toBe('exploding');
    expect(gradientFlag(NaN)).toBe('exploding');
    expect(gradientFlag(Infinity)).toBe('exploding');
  });

  test('the loss cv ignores a steady trend and sees noise', () => {
    const line = Array.from({ length: 50 }, (_, i) => 2 - i * 0.03);
    expect(detrendedCv(line)).toBeLessThan(1e-9);
    const noisy = line.map((v, i) => v + (i % 2 === 0 ? 0.3 : -0.3));
    expect(detrendedCv(noisy)).toBeGreaterThan(0.2);
    expect(detrendedCv([1, 2])).toBe(0);
    expect(detrendedCv([0, 0, 0])).toBe(0);
  });

  test('parameter efficiency is accuracy per decade of parameters', () => {
    expect(parameterEfficiency(0.9, 1000)).toBeCloseTo(0.3, 10);
    expect(parameterEfficiency(0.9, 1e6)).toBeCloseTo(0.15, 10);
    expect(parameterEfficiency(0.5, 1)).toBeCloseTo(0.5, 10); // floored at 10 parameters
  });

  test('the health score is 1 when healthy, 0 at worst, and falls with each problem', () => {
    const healthy = { deadUnitFraction: 0, flaggedLayers: 0, weightedLayers: 4, lossCv: 0 };
    expect(healthScore(healthy)).toBeCloseTo(1, 12);
    expect(healthScore({ deadUnitFraction: 1, flaggedLayers: 4, weightedLayers: 4, lossCv: Infinity })).toBe(0);
    expect(healthScore({ ...healthy, deadUnitFraction: 0.5 })).toBeCloseTo(0.8, 12);
    expect(healthScore({ ...healthy, flaggedLayers: 1 })).toBeCloseTo(0.9, 12);
    expect(healthScore({ ...healthy, lossCv: 1 })).toBeCloseTo(0.9, 12);
    expect(healthScore({ ...healthy, weightedLayers: 0 })).toBeCloseTo(1, 12);
  });

  test('healthMetrics aggregates units over layers and names per-layer values', () => {
    const metrics = healthMetrics({
      layers: [
        { name: 'layer0_dense', unitMax: [0, 1, 1, 1], gradNorm: 0.5 },
        { name: 'layer1_dense', unitMax: [0, 0, 0, 0, 0, 0], gradNorm: 1e-9 },
        { name: 'layer2_flatten' },
        { name: 'layer3_dense', gradNorm: 5e3 },
      ],
      batchLosses: [1, 0.9, 0.8, 0.7],
      accuracy: 0.8,
      paramCount: 10_000,
    });
    expect(metrics['dead_fraction/layer0_dense']).toBe(0.25);
    expect(metrics['dead_fraction/layer1_dense']).toBe(1);
    expect(metrics['grad_norm/layer3_dense']).toBe(5e3);
    expect(metrics.dead_unit_fraction).toBe(0.7); // 7 of 10 units
    expect(metrics.vanishing_gradient_layers).toBe(1);
    expect(metrics.exploding_gradient_layers).toBe(1);
    expect(metrics.grad_norm_min).toBe(1e-9);
    expect(metrics.grad_norm_max).toBe(5e3);
    expect(metrics.param_efficiency).toBeCloseTo(0.2, 10);
    expect(metrics.health_score).toBeCloseTo(0.4 * 0.3 + 0.4 * (1 / 3) + 0.2 / (1 + metrics.loss_cv!), 10);
  });
});

describe('health of real models', () => {
  let tf: Tf;
  beforeAll(async () => {
    useTempCache();
    tf = await loadTf();
  });

  const DATA = { name: 'synthetic-shapes', options: { trainSize: 600, testSize: 100 } };

  test('a normal MLP trains healthy; a huge learning rate kills its ReLU units', async () => {
    const mlp = { family: 'mlp', modelOptions: { units: 32, layers: 2 }, dataset: DATA };
    const run = (params: Record<string, number | string>) =>
      trainSegment({ spec: smallSpec(mlp), params, seed: 3, fromEpoch: 0, toEpoch: 2, checkpointDir: tempDir('health') });
    const normal = (await run({})).epochs[1]!.metrics;
    const broken = (await run({ optimizer: 'sgd', learningRate: 50 })).epochs[1]!.metrics;

    for (const m of [normal, broken]) {
      expect(m.param_count).toBe(16 * 16 * 32 + 32 + 32 * 32 + 32 + 32 * 6 + 6); // 6 shape classes
      expect(m.peak_memory_bytes).toBeGreaterThan(m.param_count! * 4);
      expect(m.health_score).toBeGreaterThanOrEqual(0);
      expect(m.health_score).toBeLessThanOrEqual(1);
      expect(Object.keys(m).filter((k) => k.startsWith('grad_norm/'))).toHaveLength(3);
    }
    expect(normal.dead_unit_fraction).toBeLessThan(0.2);
    expect(normal.vanishing_gradient_layers! + normal.exploding_gradient_layers!).toBe(0);
    expect(normal.health_score).toBeGreaterThan(0.8);
    expect(broken.dead_unit_fraction).toBeGreaterThan(0.5);
    expect(broken.health_score).toBeLessThan(normal.health_score! - 0.2);
  });

  test.skipIf(!loadGraphAddon().addon)('on the graph engine the probe runs in the graph; peak memory is measured once per trial, then carried over', async () => {
    const spec = smallSpec({ family: 'cnn', modelOptions: { filters: 4, denseUnits: 16, dropout: 0.25 }, dataset: DATA, training: { epochs: 5 } });
    const dir = tempDir('health');
    const segment = (fromEpoch: number, toEpoch: number) => trainSegment({ spec, params: {}, seed: 3, fromEpoch, toEpoch, checkpointDir: dir });
    /** Rewrites every epoch's peak_memory_bytes in a checkpoint's history (undefined: removes it). */
    const rewritePeak = (epoch: number, value: number | undefined) => {
      const file = join(checkpointPath(dir, epoch), 'state.json');
      const state = JSON.parse(readFileSync(file, 'utf8')) as CheckpointState;
      for (const e of state.history) e.metrics.peak_memory_bytes = value!;
      writeFileSync(file, JSON.stringify(state));
    };
    const first = await segment(0, 2);
    expect(first.engine).toBe('graph');
    const [one, two] = first.epochs.map((e) => e.metrics) as [Record<string, number>, Record<string, number>];
    expect(one.peak_memory_bytes).toBeGreaterThan(one.param_count! * 4);
    expect(two.peak_memory_bytes).toBe(one.peak_memory_bytes);
    const norms = (m: Record<string, number>) => Object.keys(m).filter((k) => k.startsWith('grad_norm/'));
    expect(norms(two)).toEqual(norms(one));
    expect(norms(two).length).toBeGreaterThan(2);
    for (const key of norms(two)) expect(two[key]).toBeGreaterThan(0);
    expect(two.dead_unit_fraction).toBeLessThan(0.5);

    // A resumed segment reads the value from the checkpoint's history; without one there, it measures.
    rewritePeak(2, undefined);
    const measured = (await segment(2, 3)).epochs[0]!.metrics;
    expect(measured.peak_memory_bytes).toBeGreaterThan(one.param_count! * 4);
    rewritePeak(3, 4242);
    expect((await segment(3, 4)).epochs[0]!.metrics.peak_memory_bytes).toBe(4242);
    // The eager engine keeps measuring every epoch.
    const engine = process.env.TUNEFLOW_ENGINE;
    process.env.TUNEFLOW_ENGINE = 'eager';
    try {
      const eager = await segment(4, 5);
      expect(eager.engine).toBe('eager');
      expect(eager.epochs[0]!.metrics.peak_memory_bytes).toBeGreaterThan(one.param_count! * 4);
    } finally {
      if (engine === undefined) delete process.env.TUNEFLOW_ENGINE;
      else process.env.TUNEFLOW_ENGINE = engine;
    }
  });

  // Cross-entropy clips saturated probabilities (zero gradient), so the exploding case uses linear outputs and squared error.
  test('all-negative ReLU biases show as dead units and vanishing gradients; huge weights explode', async () => {
    const build = (bias: number, kernelScale: number, output: 'softmax' | 'linear') => {
      const model = tf.sequential();
      model.add(tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', biasInitializer: tf.initializers.constant({ value: bias }), kernelInitializer: tf.initializers.randomUniform({ minval: -kernelScale, maxval: kernelScale, seed: 1 }) }));
      model.add(tf.layers.dense({ units: 3, activation: output, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      return model;
    };
    const x = tf.randomUniform([64, 8], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.randomUniform([64], 0, 3, 'int32', 6), 3).toFloat();
    const measure = async (bias: number, kernelScale: number, output: 'softmax' | 'linear' = 'softmax') => {
      const model = build(bias, kernelScale, output);
      const loss = output === 'softmax' ? (t: Tensor, p: Tensor) => tf.metrics.categoricalCrossentropy(t, p) : (t: Tensor, p: Tensor) => tf.metrics.meanSquaredError(t, p);
      const probe = new HealthProbe(tf, model, x, y, loss);
      const { layers, peakBytes } = await probe.measure();
      model.dispose();
      expect(peakBytes).toBeGreaterThan(0);
      return healthMetrics({ layers, batchLosses: [], accuracy: 0.3, paramCount: 8 * 16 + 16 + 16 * 3 + 3 });
    };
    const before = tf.memory().numTensors;
    const healthy = await measure(0.1, 0.5);
    const dead = await measure(-100, 0.5);
    const exploding = await measure(0, 1e4, 'linear');
    expect(tf.memory().numTensors).toBe(before);

    expect(healthy.dead_unit_fraction).toBeLessThan(0.25);
    expect(healthy.exploding_gradient_layers).toBe(0);
    expect(dead['dead_fraction/layer0_dense']).toBe(1);
    expect(dead['grad_norm/layer0_dense']).toBe(0);
    expect(dead.vanishing_gradient_layers).toBe(1);
    expect(exploding.exploding_gradient_layers).toBeGreaterThan(0);
    expect(dead.health_score).toBeLessThan(healthy.health_score! - 0.3);
    expect(exploding.health_score).toBeLessThan(healthy.health_score!);
    tf.dispose([x, y]);
  });
});
