/**
 * Builds the OpenAPI 3.0.2 document Cog generates for a model version, from the model's draft 2020-12
 * input schema: `components.schemas.Input` (enum fields referenced through `allOf` to their own named
 * schema, `title`s, `x-order`), `Output` (from `x-output`) and Cog's fixed companions.
 */

type Json = Record<string, unknown>;

const titleCase = (key: string): string =>
  key
    .split('_')
    .map((w) => (w === '' ? w : w[0]?.toUpperCase() + w.slice(1)))
    .join(' ');

const STRIP = new Set(['$schema', '$id', 'x-replicate', 'x-output', 'title', 'description']);

export function buildOpenApiSchema(inputSchema: Json): Json {
  const enums: Record<string, Json> = {};
  const properties: Record<string, Json> = {};
  const source = (inputSchema.properties ?? {}) as Record<string, Json>;
  for (const [key, prop] of Object.entries(source)) {
    if (Array.isArray(prop.enum)) {
      const { enum: values, type, description, default: def, ...rest } = prop;
      enums[key] = { title: key, description: 'An enumeration.', enum: values, type };
      const ref: Json = { allOf: [{ $ref: `#/components/schemas/${key}` }], ...rest };
      if (def !== undefined) ref.default = def;
      if (description !== undefined) ref.description = description;
      properties[key] = ref;
    } else {
      properties[key] = { title: titleCase(key), ...prop };
    }
  }
  const input: Json = { type: 'object', title: 'Input', properties };
  if (Array.isArray(inputSchema.required) && inputSchema.required.length > 0)
    input.required = inputSchema.required;
  for (const [key, value] of Object.entries(inputSchema)) {
    if (!STRIP.has(key) && !(key in input) && key !== 'properties') input[key] = value;
  }
  const { description: _ignored, ...output } = (inputSchema['x-output'] ?? { type: 'string' }) as Json;
  return {
    openapi: '3.0.2',
    info: { title: 'Cog', version: '0.1.0' },
    paths: {},
    components: {
      schemas: {
        Input: input,
        Output: { title: 'Output', ...output },
        Status: {
          title: 'Status',
          description: 'An enumeration.',
          enum: ['starting', 'processing', 'succeeded', 'canceled', 'failed'],
          type: 'string',
        },
        WebhookEvent: {
          title: 'WebhookEvent',
          description: 'An enumeration.',
          enum: ['start', 'output', 'logs', 'completed'],
          type: 'string',
        },
        PredictionRequest: {
          title: 'PredictionRequest',
          type: 'object',
          properties: {
            id: { title: 'Id', type: 'string' },
            input: { $ref: '#/components/schemas/Input' },
            webhook: { title: 'Webhook', type: 'string', format: 'uri' },
            webhook_events_filter: {
              type: 'array',
              items: { $ref: '#/components/schemas/WebhookEvent' },
              default: ['start', 'output', 'logs', 'completed'],
            },
          },
        },
        ...enums,
      },
    },
  };
}
