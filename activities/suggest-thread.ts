// The worker thread of the suggest activity (suggest.ts): computes the suggestions for the input it was
// started with, posts them or the error it threw, and ends. Only pure search code runs here.
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../training/child/protocol';
import { computeSuggestions, type SuggestThreadReply } from './suggest';
import type { SuggestInput } from './types';

let reply: SuggestThreadReply;
try {
  reply = { ok: true, params: computeSuggestions(workerData as SuggestInput) };
} catch (error) {
  reply = { ok: false, error: serializeError(error) };
}
parentPort!.postMessage(reply);
