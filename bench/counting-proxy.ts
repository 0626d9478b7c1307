// A counting HTTP proxy in front of the MLflow server, for the scale bench: every request a worker or
// the client sends to MLflow passes through it and is counted by method and path (query string
// dropped), with the server's 5xx answers apart. Bodies are streamed through untouched.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RequestCounts {
  total: number;
  /** `POST /api/2.0/mlflow/runs/log-batch` -> count. */
  byEndpoint: Record<string, number>;
  /** Seconds from request to the end of the answer, summed by endpoint: where the server's time goes. */
  secondsByEndpoint: Record<string, number>;
  serverErrors: number;
  /** Requests that took SLOW_SECONDS or more (or never got an answer): when they started, what, how long. */
  slow: SlowRequest[];
}

export interface SlowRequest {
  /** ISO time the request reached the proxy. */
  at: string;
  endpoint: string;
  seconds: number;
  /** The server's status; 0 when the caller gave up (closed the connection) before an answer came. */
  status: number;
}

/** A request this long is a stall worth listing (a normal one takes well under a second). */
export const SLOW_SECONDS = 5;

export interface CountingProxy {
  url: string;
  /** The counts since the last reset. */
  counts(): RequestCounts;
  reset(): void;
  close(): Promise<void>;
}

/** `/api/2.0/mlflow-artifacts/artifacts/1/<run>/artifacts/x.json` -> `/api/2.0/mlflow-artifacts/artifacts/...`: one row per kind of call. */
export function endpointOf(method: string, url: string): string {
  const path = url.split('?')[0]!;
  const artifacts = path.match(/^(.*\/mlflow-artifacts\/artifacts)\//);
  return `${method} ${artifacts ? `${artifacts[1]}/...` : path}`;
}

export interface ProxyOptions {
  /**
   * Milliseconds to hold a request before forwarding it, by endpoint and by its number among that
   * endpoint's requests (1 for the first): a slow server, for tests of what a client does meanwhile.
   */
  holdMs?: (endpoint: string, nth: number) => number;
}

export async function startCountingProxy(target: string, opts: ProxyOptions = {}): Promise<CountingProxy> {
  const upstream = new URL(target);
  const fresh = (): RequestCounts => ({ total: 0, byEndpoint: {}, secondsByEndpoint: {}, serverErrors: 0, slow: [] });
  let counts = fresh();
  const server: Server = createServer((req, res) => {
    const endpoint = endpointOf(req.method ?? 'GET', req.url ?? '/');
    counts.total += 1;
    counts.byEndpoint[endpoint] = (counts.byEndpoint[endpoint] ?? 0) + 1;
    const holdMs = opts.holdMs?.(endpoint, counts.byEndpoint[endpoint]) ?? 0;
    const started = performance.now();
    const tally = counts; // a reset meanwhile starts a new tally
    let status = 0;
    res.once('close', () => {
      const seconds = (performance.now() - started) / 1000;
      tally.secondsByEndpoint[endpoint] = (tally.secondsByEndpoint[endpoint] ?? 0) + seconds;
      if (seconds >= SLOW_SECONDS) tally.slow.push({ at: new Date(Date.now() - seconds * 1000).toISOString(), endpoint, seconds: Math.round(seconds * 10) / 10, status });
    });
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        status = answer.statusCode ?? 0;
        if (status >= 500) counts.serverErrors += 1;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      counts.serverErrors += 1;
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    if (holdMs > 0) {
      // Read whole, then forwarded even when the client has given up meanwhile: a server that received it would process it.
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => setTimeout(() => forward.end(Buffer.concat(chunks)), holdMs));
    } else req.pipe(forward);
  });
  // Many workers keep connections open: no idle limit below theirs.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts, byEndpoint: { ...counts.byEndpoint }, secondsByEndpoint: { ...counts.secondsByEndpoint }, slow: [...counts.slow] }),
    reset: () => (counts = fresh()),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
