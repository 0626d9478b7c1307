// The OpenAPI 3.1 document of the API, generated from the routes as registered: each route's JSON
// schemas (the ones fastify's ajv validates requests with and serializes responses with) become its
// parameters, request body and responses, so the document cannot drift from what the handlers check.
// Pure: takes the collected routes, returns the document.

export interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  /** Request body media types other than JSON (e.g. a YAML spec). */
  consumes?: string[];
  /** Response media types other than JSON, per status (HTML page, zip, event stream). */
  produces?: Record<number, string>;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response?: Record<number, JsonSchema>;
}

export type JsonSchema = Record<string, unknown>;

export interface CollectedRoute {
  method: string;
  url: string;
  schema: RouteSchema;
  /** Needs the bearer token when the server has one. */
  secured: boolean;
}

/** `/campaigns/:id/trials/:n` → `/campaigns/{id}/trials/{n}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function parameters(where: 'path' | 'query', schema: JsonSchema | undefined): unknown[] {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 400: 'Bad request', 401: 'Missing or wrong token', 403: 'Refused', 404: 'Not found', 409: 'Refused by the campaign', 413: 'Body too large', 503: 'A service is unreachable' };

export function openApiDocument(routes: readonly CollectedRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
    const s = route.schema;
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(s.response ?? {})) {
      const type = s.produces?.[Number(status)] ?? 'application/json';
      responses[status] = { description: (schema.description as string | undefined) ?? STATUS_TEXT[Number(status)] ?? 'Response', content: { [type]: { schema } } };
    }
    // Pages, files and streams are sent as they are (no response schema to serialize with): documented by type.
    for (const [status, type] of Object.entries(s.produces ?? {})) {
      responses[status] ??= { description: STATUS_TEXT[Number(status)] ?? 'Response', content: { [type]: { schema: { type: 'string', ...(type.startsWith('application/zip') ? { contentEncoding: 'binary' } : {}) } } } };
    }
    if (route.secured) responses['401'] ??= { description: STATUS_TEXT[401], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    const operation: Record<string, unknown> = {
      operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(s.summary ? { summary: s.summary } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.tags ? { tags: s.tags } : {}),
      parameters: [...parameters('path', s.params), ...parameters('query', s.querystring)],
      ...(s.body ? { requestBody: { required: true, content: Object.fromEntries((s.consumes ?? ['application/json']).map((t) => [t, { schema: s.body }])) } } : {}),
      responses,
      ...(route.secured ? {} : { security: [] }),
    };
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required when the server is bound to a non-loopback address or TUNEFLOW_SERVE_TOKEN is set.' } },
      schemas: { Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' }, problems: { type: 'array' } } } },
    },
    security: [{ bearer: [] }],
  };
}
