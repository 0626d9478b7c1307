// The HTTP server of `tuneflow serve`: Fastify 5 (its JSON-schema validation is ajv, like our spec
// schemas, and the same route schemas give the OpenAPI document). The API (api.ts), the dashboard's
// static files (public/), the token check, and one error format: {error, problems?}, never a stack trace.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SPEC_BYTES } from '../spec';
import { API_PREFIX, registerApi } from './api';
import { ApiError, type Campaigns } from './campaigns';
import { openApiDocument, type CollectedRoute, type RouteSchema } from './openapi';
import { bearerToken, isLoopbackHost, tokenMatches } from './security';

export interface ServerOptions {
  campaigns: Campaigns;
  /** The address the server binds: a loopback one also makes it refuse other Host headers (DNS rebinding). */
  host: string;
  /** Required on every API route and the event stream when set. */
  token: string | null;
  /** How often an event stream polls the campaign (ms). */
  eventPollMs?: number;
  /** Where errors the user cannot act on are written (never with a token or credential in them). */
  log?: (line: string) => void;
}

/** The dashboard's files: next to this file in the sources, two folders up from dist/serve/. */
export function publicDir(): string {
  const candidates = [join(__dirname, 'public'), join(__dirname, '..', '..', 'serve', 'public')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const isProtected = (url: string) => url.startsWith(`${API_PREFIX}/`) || url === API_PREFIX || url.startsWith('/healthz');

export function createServer(opts: ServerOptions): FastifyInstance {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // No request logging: URLs and headers could carry a token.
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_SPEC_BYTES,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true } },
    // Trials are numbered, ids are words: nothing needs longer.
    routerOptions: { maxParamLength: 256 },
  });
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.url.endsWith('*')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: route.schema as RouteSchema, secured: isProtected(route.url) });
    }
  });
  const loopback = isLoopbackHost(opts.host);

  app.addHook('onRequest', async (req, reply) => {
    // A page on another site resolving its name to 127.0.0.1 (DNS rebinding) sends its own Host: refused.
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (loopback && !isLoopbackHost(hostName)) return reply.code(403).send({ error: `Host "${hostName}" refused: this server answers loopback names only` });
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!isProtected(req.url)) return;
    // Another site's page may not drive the API through the user's browser (no CORS, and Origin must match).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && new URL(origin).host !== req.headers.host) return reply.code(403).send({ error: 'cross-origin requests are refused' });
    if (opts.token !== null && !tokenMatches(bearerToken(req.headers.authorization), opts.token)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token (Authorization: Bearer <token>)' });
    }
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send({ error: err.message, ...(err.problems ? { problems: err.problems } : {}) });
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      return reply.code(400).send({
        error: `invalid ${where}`,
        problems: err.validation.map((v) => ({ path: `${where}${v.instancePath.replace(/\//g, '.')}`, message: `${v.message ?? 'invalid'}${v.params && 'allowedValues' in v.params ? ` (${(v.params.allowedValues as unknown[]).join(', ')})` : ''}` })),
      });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: `the body is over the limit of ${MAX_SPEC_BYTES} bytes` });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    log(`tuneflow serve: ${err.message.split('\n')[0]}`);
    return reply.code(500).send({ error: `internal error: ${err.message.split('\n')[0]}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));

  let document: unknown;
  registerApi(app, opts.campaigns, {
    eventPollMs: opts.eventPollMs ?? 1000,
    openApi: () => (document ??= openApiDocument(routes, { title: 'tuneflow', version: '1' })),
  });

  const dir = publicDir();
  for (const [url, { file, type }] of Object.entries(STATIC)) {
    app.get(url, async (_req, reply) =>
      reply
        .type(type)
        // The page loads only itself; plots arrive as inline SVG from the report.
        .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
        .send(readFileSync(join(dir, file))),
    );
  }
  return app;
}
