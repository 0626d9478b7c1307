// The worker thread of the suggest activity (suggest.ts): computes the suggestions for each input it
// is sent and posts them, or the error it threw. It serves one call at a time and waits between calls.
// Only pure search code runs here.
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../training/child/protocol';
import { computeSuggestions, type SuggestThreadReply } from './suggest';
import type { SuggestInput } from './types';

parentPort!.on('message', (input: SuggestInput) => {
  let reply: SuggestThreadReply;
  try {
    reply = { ok: true, params: computeSuggestions(input) };
  } catch (error) {
    reply = { ok: false, error: serializeError(error) };
  }
  parentPort!.postMessage(reply);
});
