// A real `tuneflow serve` for the serve tests: the server, its in-process worker and the Temporal and
// MLflow servers of the global setup; plain HTTP with fetch, and an SSE reader over a streamed response.
/* eslint-disable @typescript-eslint/no-explicit-any -- test answers are JSON read field by field in the assertions */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startServe, type RunningServer, type ServeOptions } from '../../serve/command';

/**
 * The e2e tests' tiny campaign (tests/fixtures/specs/tiny.yaml), renamed, one trial at a time so it can be
 * steered, no report redraws while it runs. Its lines stay where they are (the tests name them).
 */
export function smallSpec(name: string, trials = 3): string {
  return readFileSync(join(__dirname, '..', 'fixtures', 'specs', 'tiny.yaml'), 'utf8')
    .replace('name: tiny', `name: ${name}`)
    .replace('maxTrials: 4', `maxTrials: ${trials}`)
    .replace('maxConcurrentTrials: 2', 'maxConcurrentTrials: 1')
    .replace('reportEvery: 2', 'reportEvery: 0');
}

export async function serve(options: Partial<ServeOptions> & { env?: NodeJS.ProcessEnv; log?: string[] } = {}): Promise<RunningServer> {
  const { env, log, ...rest } = options;
  return startServe(
    { temporalAddress: inject('temporalAddress'), mlflowUri: inject('mlflowTrackingUri'), temporalUi: null },
    { host: '127.0.0.1', port: 0, worker: true, dataRoot: process.cwd(), allowCode: false, trainingQueues: ['tuneflow-training'], eventPollMs: 250, ...rest },
    (line) => log?.push(line),
    { ...process.env, TUNEFLOW_SERVE_TOKEN: '', ...env },
  );
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = any>(url: string, init: RequestInit & { json?: unknown; yaml?: string; token?: string } = {}): Promise<Answer<T>> {
  const { json, yaml, token, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  if (yaml !== undefined) headers.set('content-type', 'application/yaml');
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(url, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json), method: rest.method ?? 'POST' } : {}), ...(yaml !== undefined ? { body: yaml, method: 'POST' } : {}) });
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : type.includes('zip') ? new Uint8Array(await res.arrayBuffer()) : await res.text();
  return { status: res.status, body: body as T, headers: res.headers };
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads a Server-Sent Events stream into `events` until `stop()` or the stream ends. */
export function readEvents(url: string, token?: string): { events: SseEvent[]; done: Promise<void>; stop(): void } {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch((err: Error) => {
    if (err.name !== 'AbortError') throw err;
  });
  return { events, done, stop: () => controller.abort() };
}

export async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
