/**
 * The models the fake knows: the project's catalog (schema/models/*.json), input validation with Ajv
 * (draft 2020-12) in Replicate's 422 shape, and the model/version objects of the models API.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { type CatalogModel, createCatalog } from '../../src/models/catalog.js';
import { buildOpenApiSchema } from './openapi.js';

export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

export interface FakeModel {
  ref: string;
  owner: string;
  name: string;
  catalog: CatalogModel;
  official: boolean;
  versionId: string;
  versionCreatedAt: string;
  cogVersion: string;
  runCount: number;
  /** Whether predictions of this model get `urls.stream` (iterator outputs: the LLM). */
  streams: boolean;
  validate(input: unknown): InvalidField[];
  /** A copy of `input` with schema defaults filled in. */
  withDefaults(input: Record<string, unknown>): Record<string, unknown>;
}

export interface ModelRegistry {
  byRef(ref: string): FakeModel | undefined;
  byVersion(versionId: string): FakeModel | undefined;
  list(): FakeModel[];
}

export function createModelRegistry(): ModelRegistry {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const withDefaultsAjv = new Ajv2020({ strict: false, useDefaults: true, validateFormats: false });
  const models = createCatalog()
    .list()
    .map((catalog) => createFakeModel(catalog, ajv.compile(catalog.inputSchema), withDefaultsAjv));
  return {
    byRef: (ref) => models.find((m) => m.ref === ref),
    byVersion: (id) => models.find((m) => m.versionId === id),
    list: () => [...models],
  };
}

function createFakeModel(
  catalog: CatalogModel,
  validator: ValidateFunction,
  defaultsAjv: Ajv2020,
): FakeModel {
  const [owner = '', name = ''] = catalog.ref.split('/');
  const meta = (catalog.inputSchema['x-replicate'] ?? {}) as Record<string, unknown>;
  const output = (catalog.inputSchema['x-output'] ?? {}) as Record<string, unknown>;
  const fillDefaults = defaultsAjv.compile(catalog.inputSchema);
  return {
    ref: catalog.ref,
    owner,
    name,
    catalog,
    official: catalog.official,
    versionId: catalog.version,
    versionCreatedAt: String(meta.version_created_at ?? '2024-01-01T00:00:00Z'),
    cogVersion: String(meta.cog_version ?? '0.9.0'),
    runCount: Number(meta.run_count_at_snapshot ?? 0),
    streams: output['x-cog-array-type'] === 'iterator',
    validate(input) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        return [{ type: 'type', field: 'input', description: 'input must be an object' }];
      }
      if (validator(input)) return [];
      return (validator.errors ?? []).map(toInvalidField);
    },
    withDefaults(input) {
      const copy = structuredClone(input);
      fillDefaults(copy);
      return copy;
    },
  };
}

function toInvalidField(error: ErrorObject): InvalidField {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return { type: 'required', field: 'input', description: `${missing} is required` };
  }
  const field = path === '' ? 'input' : `input.${path}`;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'maximum':
      return { type: 'less_than_equal', field, description: `Must be less than or equal to ${p.limit}` };
    case 'minimum':
      return {
        type: 'greater_than_equal',
        field,
        description: `Must be greater than or equal to ${p.limit}`,
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { type: 'enum', field, description: `${path} must be one of the following: ${allowed}` };
    }
    case 'type':
      return { type: 'invalid_type', field, description: `Invalid type. Expected: ${p.type}` };
    case 'format':
      return { type: 'format', field, description: `Does not match format '${p.format}'` };
    default:
      return { type: error.keyword, field, description: error.message ?? 'is invalid' };
  }
}

/** `422 Input validation failed` detail text: one `- field: description` line each. */
export function invalidDetail(fields: InvalidField[]): string {
  return fields.map((f) => `- ${f.field}: ${f.description}\n`).join('');
}

/** The version object of the models API. */
export function versionJson(model: FakeModel): Record<string, unknown> {
  return {
    id: model.versionId,
    created_at: model.versionCreatedAt,
    cog_version: model.cogVersion,
    openapi_schema: buildOpenApiSchema(model.catalog.inputSchema),
  };
}

/** The model object of `GET /models/{owner}/{name}`. */
export function modelJson(model: FakeModel): Record<string, unknown> {
  const description = String(model.catalog.inputSchema.description ?? '');
  return {
    url: `https://replicate.com/${model.ref}`,
    owner: model.owner,
    name: model.name,
    description,
    visibility: 'public',
    github_url: null,
    paper_url: null,
    license_url: null,
    run_count: model.runCount,
    cover_image_url: null,
    default_example: null,
    latest_version: versionJson(model),
    is_official: model.official,
  };
}
