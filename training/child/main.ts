// Entry of a training slot's child process (forked by pool.ts): runs one segment or evaluation at a
// time for the worker that forked it. It lives across jobs, so its data sets stay loaded.
import { TrainableError } from '../errors';
import { killAllPrograms, trainableFor } from '../trainables';
import type { EpochResult } from '../types';
import { deserializeError, serializeError, type FromChild, type Job, type ToChild } from './protocol';

const ALIVE_EVERY_MS = 2_000;

interface Running {
  id: number;
  controller: AbortController;
  /** Settles the pending `onEpoch` when the worker answers `epoch-done`. */
  epochDone?: (error?: Error) => void;
}

let running: Running | null = null;

function send(message: FromChild): void {
  process.send?.(message);
}

async function run(id: number, job: Job): Promise<void> {
  const state: Running = { id, controller: new AbortController() };
  running = state;
  send({ type: 'alive', id });
  const alive = setInterval(() => send({ type: 'alive', id }), ALIVE_EVERY_MS);
  const onEpoch = (epoch: EpochResult) =>
    new Promise<void>((resolve, reject) => {
      state.epochDone = (error) => (error ? reject(error) : resolve());
      send({ type: 'epoch', id, epoch });
    });
  try {
    const trainable = trainableFor(job.request.spec);
    const result =
      job.kind === 'segment'
        ? await trainable.trainSegment({ ...job.request, signal: state.controller.signal, onEpoch })
        : await trainable.evaluate(job.request);
    send({ type: 'done', id, result });
  } catch (error) {
    // A user's function that hung may still be running here: the worker retires this process.
    send({ type: 'failed', id, error: serializeError(error), ...(error instanceof TrainableError && error.processTainted ? { retire: true } : {}) });
  } finally {
    clearInterval(alive);
    running = null;
  }
}

process.on('message', (message: ToChild) => {
  const current = running?.id === message.id ? running : null;
  if (message.type === 'run') void run(message.id, message.job);
  else if (message.type === 'abort') current?.controller.abort();
  else if (message.type === 'epoch-done') current?.epochDone?.(message.error && deserializeError(message.error));
});

// The worker alone decides when this process ends: a Ctrl-C or SIGTERM sent to the whole process group
// must not kill a segment before the worker has cancelled it. When the worker dies, even by SIGKILL,
// the IPC channel closes: exit at once, so no orphan keeps training.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => {
  killAllPrograms();
  process.exit(0);
});
