// The JSON schemas of the API: requests are validated with them (fastify's ajv), responses serialized
// with them, and the OpenAPI document (openapi.ts) is generated from them. Open-ended objects (params,
// metrics) keep additionalProperties so the serializer passes them through.

/** A workflow id as tuneflow makes them (`<spec name>-<time>-<random>`); nothing that could break out of a query. */
export const idParam = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$', description: "The campaign's workflow id" } as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: idParam }, additionalProperties: false } as const;

export const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string' },
    problems: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, properties: { file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

const open = { type: 'object', additionalProperties: true } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const values = { type: ['array', 'null'], items: { type: 'number' } } as const;
const trialState = { type: 'string', enum: ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL'] } as const;

export const progress = {
  type: ['object', 'null'],
  description: 'The campaign\'s status query (CampaignProgress)',
  properties: {
    phase: { type: 'string', enum: ['loading', 'searching', 'paused', 'retraining', 'finalizing', 'done'] },
    name: { type: ['string', 'null'] },
    trials: { type: 'object', properties: { running: { type: 'integer' }, paused: { type: 'integer' }, completed: { type: 'integer' }, pruned: { type: 'integer' }, failed: { type: 'integer' }, total: { type: 'integer' } } },
    budget: { type: ['object', 'null'], properties: { maxTrials: { type: 'integer' }, maxConcurrentTrials: { type: 'integer' }, maxDurationSeconds: nullableNumber } },
    best: { type: ['object', 'null'], properties: { trialNumber: { type: 'integer' }, value: { type: 'number' }, params: open } },
    metric: { type: ['string', 'null'] },
    elapsedSeconds: { type: 'number' },
    trainSeconds: { type: 'number' },
    remainingSeconds: nullableNumber,
    requests: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const campaignStatus = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    runId: { type: 'string' },
    workflowStatus: { type: 'string' },
    startTime: { type: ['string', 'null'] },
    closeTime: { type: ['string', 'null'] },
    progress,
    etaSeconds: nullableNumber,
    links: { type: 'object', properties: { temporal: { type: ['string', 'null'] }, mlflow: { type: ['string', 'null'] } } },
  },
} as const;

export const campaignSummary = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    workflowStatus: { type: 'string' },
    name: { type: ['string', 'null'] },
    phase: { type: ['string', 'null'] },
    best: nullableNumber,
    startTime: { type: 'string' },
    closeTime: { type: ['string', 'null'] },
  },
} as const;

export const trialRow = {
  type: 'object',
  properties: { rank: { type: 'integer' }, trialNumber: { type: 'integer' }, state: trialState, values, epochs: { type: 'integer' }, params: open, infeasible: { type: 'boolean' } },
} as const;

export const trialDetail = {
  type: 'object',
  properties: {
    trialNumber: { type: 'integer' },
    state: trialState,
    values,
    epochs: { type: 'integer' },
    params: open,
    reason: { type: ['string', 'null'] },
    runId: { type: ['string', 'null'] },
    metrics: { type: 'object', description: 'metric → its points by epoch (step)', additionalProperties: { type: 'array', items: { type: 'object', properties: { step: { type: 'integer' }, value: { type: 'number' } } } } },
    links: { type: 'object', properties: { mlflow: { type: ['string', 'null'] } } },
  },
} as const;

export const controlAnswer = {
  type: 'object',
  description: 'The campaign after the update, or the id of the new campaign that continues a finished one (extend)',
  properties: { progress, started: { type: 'string' } },
} as const;

export const controlBodies = {
  pause: undefined,
  resume: undefined,
  stop: undefined,
  cancel: undefined,
  extend: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: { trials: { type: 'integer', minimum: 1, description: 'More trials' }, seconds: { type: 'number', exclusiveMinimum: 0, description: 'More search time (specs with budget.maxDuration)' } },
  },
  concurrency: { type: 'object', additionalProperties: false, required: ['n'], properties: { n: { type: 'integer', minimum: 1, maximum: 1000 } } },
  enqueue: { type: 'object', additionalProperties: false, required: ['configurations'], properties: { configurations: { type: 'array', minItems: 1, maxItems: 1000, items: open } } },
} as const;

export const health = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    temporal: { type: 'object', properties: { ok: { type: 'boolean' }, error: { type: 'string' } } },
    mlflow: { type: 'object', properties: { ok: { type: 'boolean' }, error: { type: 'string' } } },
    queues: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, kind: { type: 'string' }, workers: { type: ['integer', 'null'] } } } },
  },
} as const;
