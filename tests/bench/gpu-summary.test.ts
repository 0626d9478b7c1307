// The GPU check's summary (bench/gpu/summary.ts): it must report what the script's files say, a failed
// or timed-out step as such, and a missing file as missing rather than as a figure.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryRows } from '../../bench/gpu/summary';
import { tempDir } from '../helpers/temp';

const root = tempDir('gpu-summary');
const dir = () => mkdtempSync(join(root, 'out-'));

describe('GPU check summary', () => {
  it('steps, doctor and bench figures', () => {
    const out = dir();
    writeFileSync(join(out, 'steps.tsv'), 'nvidia-smi\t0\t1\nsetup\t0\t95\nbuild\t2\t30\nbench\t124\t420\n');
    writeFileSync(join(out, 'nvidia-smi.txt'), 'NVIDIA H100 80GB HBM3, 81559 MiB, 580.159.04\n');
    writeFileSync(
      join(out, 'doctor.json'),
      JSON.stringify({
        taskQueue: 'tuneflow-gpu',
        tensorflowVersion: '2.21.0',
        devices: [{ type: 'CPU', name: 'EPYC', detail: '16 cores', usedByTensorflow: false }, { type: 'GPU', name: 'NVIDIA H100', detail: '81559 MiB', usedByTensorflow: true }],
        tensorflowBuild: { flavor: 'gpu', library: '/x/libtensorflow_cc.so.2', devices: [{ name: '/job:localhost/replica:0/task:0/device:CPU:0', type: 'CPU', memoryBytes: 1 }, { name: '/job:localhost/replica:0/task:0/device:GPU:0', type: 'GPU', memoryBytes: 85 * 2 ** 30 }], noGpu: null },
        warnings: [],
      }),
    );
    writeFileSync(
      join(out, 'bench.json'),
      JSON.stringify({
        machine: 'm',
        backend: { package: '@tensorflow/tfjs-node', tensorflowVersion: '2.21.0', usingGpu: true },
        results: { lenet: { ours: [1000, 3000, 2000], eager: [500], keras: [], engineReason: null, samples: 2000 } },
        timeToTarget: { seconds: 4.21, epoch: 3, bestAccuracy: 0.93 },
      }),
    );
    const rows = Object.fromEntries(summaryRows(out).map(([k, v]) => [k, v]));
    expect(rows).toMatchObject({
      'step setup': 'ok, 95 s',
      'step build': 'FAILED (exit 2), 30 s',
      'step bench': 'TIMED OUT, 420 s',
      'GPU (nvidia-smi)': 'NVIDIA H100 80GB HBM3, 81559 MiB, 580.159.04',
      'doctor: TensorFlow': '2.21.0, gpu build, /x/libtensorflow_cc.so.2',
      'doctor: TensorFlow devices': 'CPU:0, GPU:0 (85.0 GiB)',
      'doctor: tfjs trains on': 'GPU NVIDIA H100, queue tuneflow-gpu',
      'bench: ours on': '@tensorflow/tfjs-node, TensorFlow 2.21.0, GPU',
      'bench: lenet samples/s graph / eager / Keras': '2000 / 500.0 / -',
      'bench: quickstart time to val_accuracy >= 0.9': '4.2 s (epoch 3)',
    });
    expect(rows['doctor: no GPU because']).toBeUndefined();
  });

  it('missing files are reported as missing', () => {
    const rows = summaryRows(dir());
    expect(rows).toEqual([
      ['GPU (nvidia-smi)', '-'],
      ['doctor', 'no doctor.json'],
      ['bench:training', 'no bench.json'],
    ]);
  });
});
