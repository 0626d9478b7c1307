// The REST API under /api/v1 and /healthz: each route is its JSON schemas (schemas.ts) and a call into
// Campaigns; errors become status codes in server.ts. The OpenAPI document is generated from the routes
// as they were registered (server.ts collects them), so it lists exactly what is served.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MAX_SPEC_BYTES } from '../spec';
import { type Campaigns, type ControlVerb } from './campaigns';
import { streamEvents } from './events';
import * as S from './schemas';

export const API_PREFIX = '/api/v1';

const CONTROL_VERBS: readonly ControlVerb[] = ['pause', 'resume', 'stop', 'cancel', 'extend', 'enqueue', 'concurrency'];

/** Media types a posted spec may come as. Each needs a CORS preflight, so another site's page cannot post one. */
export const SPEC_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/json'] as const;

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, S.error]));

type Params = { id: string; n?: number };

export function registerApi(app: FastifyInstance, campaigns: Campaigns, opts: { eventPollMs: number; openApi: () => unknown }): void {
  const p = API_PREFIX;
  const id = (req: { params: unknown }) => (req.params as Params).id;

  // The spec is read as text whatever its type (YAML is a superset of JSON), so its problems keep their lines.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...SPEC_MEDIA_TYPES], { parseAs: 'string', bodyLimit: MAX_SPEC_BYTES }, (_req, body, done) => done(null, body));
    scope.post(`${p}/campaigns`, {
      schema: {
        summary: 'Start a campaign from a spec (YAML or JSON text)',
        tags: ['campaigns'],
        consumes: [...SPEC_MEDIA_TYPES],
        querystring: { type: 'object', additionalProperties: false, properties: { id: { ...S.idParam, description: 'Workflow id to use (default: <name>-<time>-<random>)' } } },
        body: { type: 'string', minLength: 1 },
        response: { 201: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, maxTrials: { type: 'integer' } } }, ...errors(400, 403, 409, 413) },
      },
    }, async (req, reply) => {
      const { id: workflowId } = req.query as { id?: string };
      const started = await campaigns.start(req.body as string, workflowId);
      return reply.code(201).send({ id: started.id, name: started.spec.name, maxTrials: started.spec.budget.maxTrials });
    });
  });

  app.get(`${p}/campaigns`, {
    schema: {
      summary: 'List campaigns (newest first), by the search attributes the campaigns keep',
      tags: ['campaigns'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          status: { type: 'string', enum: ['running', 'closed', 'all'], default: 'all' },
          state: { type: 'string', enum: ['loading', 'searching', 'paused', 'retraining', 'finalizing', 'done'], description: "The campaign's phase (TuneflowState)" },
          name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,200}$', description: "The spec's name (TuneflowName)" },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        },
      },
      response: { 200: { type: 'object', properties: { campaigns: { type: 'array', items: S.campaignSummary } } } },
    },
  }, async (req) => ({ campaigns: await campaigns.list(req.query as never) }));

  app.get(`${p}/campaigns/:id`, {
    schema: { summary: 'Status: phase, progress, best so far, ETA, UI links', tags: ['campaigns'], params: S.idParams, response: { 200: S.campaignStatus, ...errors(404) } },
  }, async (req) => campaigns.status(id(req)));

  app.get(`${p}/campaigns/:id/trials`, {
    schema: {
      summary: 'Trials, paged and sorted (default: the leaderboard order)',
      tags: ['trials'],
      params: S.idParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          offset: { type: 'integer', minimum: 0, default: 0 },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
          sort: { type: 'string', enum: ['rank', 'number', 'value', 'epochs', 'state'], default: 'rank' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
        },
      },
      response: { 200: { type: 'object', properties: { total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' }, trials: { type: 'array', items: S.trialRow } } }, ...errors(404, 409) },
    },
  }, async (req) => campaigns.trials(id(req), req.query as never));

  app.get(`${p}/campaigns/:id/trials/:n`, {
    schema: {
      summary: 'One trial: params, state, reason, every metric per epoch (from MLflow)',
      tags: ['trials'],
      params: { type: 'object', required: ['id', 'n'], additionalProperties: false, properties: { id: S.idParam, n: { type: 'integer', minimum: 0, maximum: 10_000_000 } } },
      response: { 200: S.trialDetail, ...errors(404, 409) },
    },
  }, async (req) => campaigns.trial(id(req), (req.params as Params).n!));

  app.get(`${p}/campaigns/:id/best`, {
    schema: { summary: 'The best trial so far (null when none is COMPLETE)', tags: ['trials'], params: S.idParams, response: { 200: { type: 'object', properties: { best: { ...S.trialRow, type: ['object', 'null'] } } }, ...errors(404, 409) } },
  }, async (req) => {
    const top = (await campaigns.leaderboard(id(req)))[0];
    return { best: top && top.state === 'COMPLETE' && !top.infeasible ? { ...top, rank: 1 } : null };
  });

  app.get(`${p}/campaigns/:id/importance`, {
    schema: {
      summary: 'Parameter importance (PED-ANOVA, analysis/importance.ts) of the first objective',
      tags: ['trials'],
      params: S.idParams,
      response: { 200: { type: 'object', properties: { method: { type: 'string' }, importance: { type: 'array', items: { type: 'object', properties: { param: { type: 'string' }, importance: { type: 'number' } } } } } }, ...errors(404, 409) },
    },
  }, async (req) => campaigns.importance(id(req)));

  for (const verb of CONTROL_VERBS) {
    const body = S.controlBodies[verb];
    app.post(`${p}/campaigns/:id/${verb}`, {
      schema: {
        summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} (a Temporal update: a refusal is a 409 with the campaign's reason and changes nothing)`,
        tags: ['control'],
        params: S.idParams,
        ...(body ? { body } : {}),
        response: { 200: S.controlAnswer, ...errors(400, 404, 409) },
      },
    }, async (req) => campaigns.control(id(req), verb, (req.body ?? {}) as never));
  }

  app.get(`${p}/campaigns/:id/report`, {
    schema: { summary: 'The report page (report.html, plots inline), built from MLflow', tags: ['results'], params: S.idParams, produces: { 200: 'text/html' }, response: errors(404) },
  }, async (req, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send((await campaigns.report(id(req))).get('report.html')));

  app.get(`${p}/campaigns/:id/results.zip`, {
    schema: { summary: 'The report folder (report.html, plots/*.svg, CSV, YAML) as a zip', tags: ['results'], params: S.idParams, produces: { 200: 'application/zip' }, response: errors(404) },
  }, async (req, reply: FastifyReply) =>
    reply
      .type('application/zip')
      .header('content-disposition', `attachment; filename="tuneflow-report-${id(req)}.zip"`)
      .send(Buffer.from(await campaigns.zip(id(req)))),
  );

  app.get(`${p}/campaigns/:id/events`, {
    schema: { summary: 'Server-Sent Events: `progress`, `trial` (each finished trial once), `end`', tags: ['campaigns'], params: S.idParams, produces: { 200: 'text/event-stream' }, response: errors(404) },
  }, async (req, reply) => streamEvents(campaigns, id(req), req, reply, opts.eventPollMs));

  const openApiSchema = { summary: "This document: OpenAPI 3.1, generated from the routes' schemas", tags: ['meta'], response: { 200: { type: 'object', additionalProperties: true } } };
  app.get(`${p}/openapi.json`, { schema: openApiSchema }, async () => opts.openApi());

  app.get('/healthz', {
    schema: { summary: 'Temporal and MLflow reachable; workers polling each task queue', tags: ['meta'], response: { 200: S.health, 503: S.health } },
  }, async (_req, reply) => {
    const h = await campaigns.health();
    return reply.code(h.ok ? 200 : 503).send(h);
  });
}
