// The scale bench's trainable: a function trainable whose epochs cost a fixed wall time (it sleeps
// TUNEFLOW_BENCH_EPOCH_MS, default 1,000 ms) and whose metrics are a smooth function of the trial's
// parameters and the epoch, so the campaign ranks, prunes and logs real numbers. It checkpoints every
// epoch (a small JSON file) and resumes from it, as a real trainable would; the CPU it uses is nil, so
// what the bench measures is the control plane: Temporal, MLflow and tuneflow's bookkeeping.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainFunction, TrialParams } from '../trainable';

/** Lower with more epochs and near learningRate 0.01, units 64, relu: what a training curve looks like. */
export function simulatedLoss(params: TrialParams, epoch: number): number {
  const lr = Math.log10(Number(params.learningRate ?? 0.01));
  const units = Math.log2(Number(params.units ?? 64));
  const activation = params.activation === 'tanh' ? 0.3 : 0;
  return (lr + 2) ** 2 + 0.1 * (units - 6) ** 2 + activation + 1 / epoch;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function lastEpoch(dir: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { epoch: number }).epoch;
  } catch {
    return 0;
  }
}

export const train: TrainFunction = async (ctx) => {
  const epochMs = Number(process.env.TUNEFLOW_BENCH_EPOCH_MS ?? 1000);
  if (ctx.stage === 'evaluate') return ctx.reportFinal({ test_loss: simulatedLoss(ctx.params, ctx.totalEpochs) });
  await mkdir(ctx.checkpointDir, { recursive: true });
  for (let epoch = Math.max(ctx.fromEpoch, await lastEpoch(ctx.checkpointDir)) + 1; epoch <= ctx.toEpoch; epoch++) {
    await sleep(epochMs, ctx.signal);
    if (ctx.signal.aborted) return;
    await writeFile(join(ctx.checkpointDir, 'state.tmp'), JSON.stringify({ epoch }));
    await rename(join(ctx.checkpointDir, 'state.tmp'), join(ctx.checkpointDir, 'state.json'));
    const loss = simulatedLoss(ctx.params, epoch);
    await ctx.report(epoch, { val_loss: loss, val_accuracy: 1 / (1 + loss), loss: loss * 0.9 });
  }
};
