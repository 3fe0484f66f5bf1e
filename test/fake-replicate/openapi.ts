/**
 * The OpenAPI 3.0.2 document Cog writes for a model version (`openapi_schema` of a version object), built
 * from a draft 2020-12 input schema and an output schema. Shaped like the recorded SDXL document
 * (`../shared/replicate-recorded/python-cassettes.json`): `components.schemas.Input` with `title`s and
 * `x-order`, every enum field behind `allOf: [{ $ref }]` to a schema of its own named after the field,
 * `Output`, `Status`, `WebhookEvent`, `PredictionRequest`, `PredictionResponse`, `ValidationError`,
 * `HTTPValidationError`, and the `paths` of Cog's HTTP server.
 */

type Json = Record<string, unknown>;

const titleCase = (key: string): string =>
  key
    .split('_')
    .map((w) => (w === '' ? w : w[0]?.toUpperCase() + w.slice(1)))
    .join(' ');

/** Keys of the project's schema files that Cog does not write. */
const NOT_COG = new Set(['$schema', '$id', 'x-replicate', 'x-output', 'title', 'description']);
/** The project's own annotations on a property (`x-replicate-file`), not Cog's. */
const ownAnnotations = (prop: Json): Json =>
  Object.fromEntries(Object.entries(prop).filter(([key]) => !key.startsWith('x-replicate')));

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const enumeration = (title: string, values: unknown[], type: unknown = 'string'): Json => ({
  enum: values,
  type,
  title,
  description: 'An enumeration.',
});
const jsonBody = (schema: Json): Json => ({ content: { 'application/json': { schema } } });
const ok = (schema: Json): Json => ({ ...jsonBody(schema), description: 'Successful Response' });
const invalid: Json = { ...jsonBody(ref('HTTPValidationError')), description: 'Validation Error' };
const preferHeader: Json = {
  in: 'header',
  name: 'prefer',
  schema: { type: 'string', title: 'Prefer' },
  required: false,
};
const idParam: Json = {
  in: 'path',
  name: 'prediction_id',
  schema: { type: 'string', title: 'Prediction ID' },
  required: true,
};

/** Cog's routes (what `cog serve` answers), as the document lists them. */
function cogPaths(): Json {
  return {
    '/': {
      get: {
        summary: 'Root',
        responses: { 200: ok({ title: 'Response Root  Get' }) },
        operationId: 'root__get',
      },
    },
    '/shutdown': {
      post: {
        summary: 'Start Shutdown',
        responses: { 200: ok({ title: 'Response Start Shutdown Shutdown Post' }) },
        operationId: 'start_shutdown_shutdown_post',
      },
    },
    '/predictions': {
      post: {
        summary: 'Predict',
        responses: { 200: ok(ref('PredictionResponse')), 422: invalid },
        parameters: [preferHeader],
        description: 'Run a single prediction on the model',
        operationId: 'predict_predictions_post',
        requestBody: jsonBody(ref('PredictionRequest')),
      },
    },
    '/health-check': {
      get: {
        summary: 'Healthcheck',
        responses: { 200: ok({ title: 'Response Healthcheck Health Check Get' }) },
        operationId: 'healthcheck_health_check_get',
      },
    },
    '/predictions/{prediction_id}': {
      put: {
        summary: 'Predict Idempotent',
        responses: { 200: ok(ref('PredictionResponse')), 422: invalid },
        parameters: [idParam, preferHeader],
        description: 'Run a single prediction on the model (idempotent creation).',
        operationId: 'predict_idempotent_predictions__prediction_id__put',
        requestBody: {
          ...jsonBody({ allOf: [ref('PredictionRequest')], title: 'Prediction Request' }),
          required: true,
        },
      },
    },
    '/predictions/{prediction_id}/cancel': {
      post: {
        summary: 'Cancel',
        responses: {
          200: ok({ title: 'Response Cancel Predictions  Prediction Id  Cancel Post' }),
          422: invalid,
        },
        parameters: [idParam],
        description: 'Cancel a running prediction',
        operationId: 'cancel_predictions__prediction_id__cancel_post',
      },
    },
  };
}

const dateTime = (title: string): Json => ({ type: 'string', title, format: 'date-time' });

/** The request, response and error schemas every Cog document carries. */
function cogCompanions(): Json {
  return {
    Status: enumeration('Status', ['starting', 'processing', 'succeeded', 'canceled', 'failed']),
    WebhookEvent: enumeration('WebhookEvent', ['start', 'output', 'logs', 'completed']),
    ValidationError: {
      type: 'object',
      title: 'ValidationError',
      required: ['loc', 'msg', 'type'],
      properties: {
        loc: {
          type: 'array',
          items: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
          title: 'Location',
        },
        msg: { type: 'string', title: 'Message' },
        type: { type: 'string', title: 'Error Type' },
      },
    },
    PredictionRequest: {
      type: 'object',
      title: 'PredictionRequest',
      properties: {
        id: { type: 'string', title: 'Id' },
        input: ref('Input'),
        webhook: { type: 'string', title: 'Webhook', format: 'uri', maxLength: 65536, minLength: 1 },
        created_at: dateTime('Created At'),
        output_file_prefix: { type: 'string', title: 'Output File Prefix' },
        webhook_events_filter: {
          type: 'array',
          items: ref('WebhookEvent'),
          default: ['start', 'output', 'logs', 'completed'],
        },
      },
    },
    PredictionResponse: {
      type: 'object',
      title: 'PredictionResponse',
      properties: {
        id: { type: 'string', title: 'Id' },
        logs: { type: 'string', title: 'Logs', default: '' },
        error: { type: 'string', title: 'Error' },
        input: ref('Input'),
        output: ref('Output'),
        status: ref('Status'),
        metrics: { type: 'object', title: 'Metrics' },
        version: { type: 'string', title: 'Version' },
        created_at: dateTime('Created At'),
        started_at: dateTime('Started At'),
        completed_at: dateTime('Completed At'),
      },
    },
    HTTPValidationError: {
      type: 'object',
      title: 'HTTPValidationError',
      properties: { detail: { type: 'array', items: ref('ValidationError'), title: 'Detail' } },
    },
  };
}

/**
 * A Cog document for a draft 2020-12 input schema (`properties`, `required`, bounds, defaults, `x-order`,
 * `format: uri`) and an output schema (default: the schema's own `x-output`, else one file URI).
 */
export function buildOpenApiSchema(inputSchema: Json, outputSchema?: Json): Json {
  const enums: Record<string, Json> = {};
  const properties: Record<string, Json> = {};
  const source = (inputSchema.properties ?? {}) as Record<string, Json>;
  for (const [key, annotated] of Object.entries(source)) {
    const prop = ownAnnotations(annotated);
    if (Array.isArray(prop.enum)) {
      const { enum: values, type, description, default: def, ...rest } = prop;
      enums[key] = enumeration(key, values, type);
      const wrapped: Json = { allOf: [ref(key)], ...rest };
      if (def !== undefined) wrapped.default = def;
      if (description !== undefined) wrapped.description = description;
      properties[key] = wrapped;
    } else {
      properties[key] = { title: titleCase(key), ...prop };
    }
  }
  const input: Json = { type: 'object', title: 'Input', properties };
  if (Array.isArray(inputSchema.required) && inputSchema.required.length > 0)
    input.required = inputSchema.required;
  for (const [key, value] of Object.entries(inputSchema)) {
    if (!NOT_COG.has(key) && !(key in input) && key !== 'properties') input[key] = value;
  }
  const declared = outputSchema ??
    (inputSchema['x-output'] as Json | undefined) ?? { type: 'string', format: 'uri' };
  const { description: _notCog, ...output } = declared;
  return {
    openapi: '3.0.2',
    info: { title: 'Cog', version: '0.1.0' },
    paths: cogPaths(),
    components: {
      schemas: {
        Input: input,
        Output: { title: 'Output', ...output },
        ...cogCompanions(),
        ...enums,
      },
    },
  };
}
