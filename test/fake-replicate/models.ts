/**
 * The models the fake knows: the project's catalog (schema/models/*.json, served as Cog documents built
 * from them) plus any model a test adds — a catalog model or not, official or community, with one or more
 * versions, each described by its own Cog OpenAPI document (`openapi_schema`, e.g. a recorded one). Every
 * create is validated against the `Input` of the version it runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type CatalogModel, createCatalog, type ModelKind } from '../../src/models/catalog.js';
import {
  type FakeOutputShape,
  fileInputsOf,
  guessKind,
  inlineInputSchema,
  inputJsonSchema,
  outputSchemaOf,
  outputShapeOf,
} from './cog-schema.js';
import { buildOpenApiSchema } from './openapi.js';
import { createInputCheckers, type InputChecker } from './validation.js';

type Json = Record<string, unknown>;

export interface FakeVersionSpec {
  /** 64 hex digits (default: derived from the document). */
  id?: string;
  /** ISO 8601 (default: now). */
  createdAt?: string;
  cogVersion?: string;
  /** The Cog OpenAPI 3.0.2 document, as `GET …/versions/{id}` returns it in `openapi_schema`. */
  openapiSchema: Json;
}

export interface FakeModelSpec {
  /** `owner/name` */
  ref: string;
  /** Official models run without a version (default false). */
  official?: boolean;
  /** Which output maker serves it (default: `text` for text outputs, else `text-to-image`). */
  kind?: ModelKind;
  /** The field that takes the upstream image (default: the first file input). */
  imageInput?: string;
  description?: string;
  runCount?: number;
  /** ISO 8601 (default: the first version's time). */
  createdAt?: string;
  /** Oldest first: the last one is `latest_version`. */
  versions: FakeVersionSpec[];
  /** Recorded profile: the `model` its official predictions report (default: the ref itself). */
  servedAs?: string;
}

export interface FakeVersion extends InputChecker {
  id: string;
  createdAt: string;
  cogVersion: string;
  openapiSchema: Json;
  /** `Input` with its enum wrappers inlined (file inputs are found here). */
  inputSchema: Json;
  output: FakeOutputShape;
  /** The `Output` schema, resolved. */
  outputSchema: Json;
  /** Iterator outputs (language models) stream their tokens. */
  iterator: boolean;
  fileInputs: string[];
  /** What the output makers are handed: the catalog entry, or one made up for a model outside it. */
  catalog: CatalogModel;
}

export interface FakeModel {
  ref: string;
  owner: string;
  name: string;
  official: boolean;
  kind: ModelKind;
  description: string;
  runCount: number;
  createdAt: string;
  servedAs: string;
  /** Newest first. */
  readonly versions: FakeVersion[];
  readonly latest: FakeVersion;
  /** The current deployment id (`dp-<32 hex>`) official predictions report in the recorded profile. */
  deployment: string;
}

export interface ModelRegistry {
  byRef(ref: string): FakeModel | undefined;
  /** A version by id, of any model (community creates name only the version). */
  byVersion(versionId: string): { model: FakeModel; version: FakeVersion } | undefined;
  list(): FakeModel[];
  /** Adds a model, or replaces the one with the same ref. */
  add(spec: FakeModelSpec): FakeModel;
  /** A new latest version of a known model. */
  addVersion(ref: string, spec: FakeVersionSpec): FakeVersion;
  /** A new deployment of the model: later predictions report a new `dp-…` version. */
  redeploy(ref: string): string;
}

/** Names official models were recorded answering under (reference §14 and Replicate's OpenAPI example). */
export const RECORDED_SERVED_AS: Readonly<Record<string, string>> = {
  'meta/meta-llama-3-70b-instruct': 'replicate-internal/llama3-70b-chat-vllm-unquantized',
  'meta/meta-llama-3-8b-instruct': 'replicate-internal/llama-3-8b-instruct-int8-triton',
  'meta/llama-2-70b-chat': 'replicate/lifeboat-70b',
};

export const newDeploymentId = (): string => `dp-${randomBytes(16).toString('hex')}`;

/** The spec of a catalog model, served as a Cog document built from its schema file. */
function catalogSpec(entry: CatalogModel, servedAs: string | undefined): FakeModelSpec {
  const meta = (entry.inputSchema['x-replicate'] ?? {}) as Json;
  const spec: FakeModelSpec = {
    ref: entry.ref,
    official: entry.official,
    kind: entry.kind,
    description: String(entry.inputSchema.description ?? ''),
    runCount: Number(meta.run_count_at_snapshot ?? 0),
    versions: [
      {
        id: entry.version,
        createdAt: String(meta.version_created_at ?? '2024-01-01T00:00:00Z'),
        cogVersion: String(meta.cog_version ?? '0.9.0'),
        openapiSchema: buildOpenApiSchema(entry.inputSchema),
      },
    ],
  };
  if (entry.imageInput !== undefined) spec.imageInput = entry.imageInput;
  if (servedAs !== undefined) spec.servedAs = servedAs;
  return spec;
}

export function createModelRegistry(servedAs: Record<string, string> = RECORDED_SERVED_AS): ModelRegistry {
  const checkers = createInputCheckers();
  const catalog = createCatalog();
  const models = new Map<string, FakeModel>();

  const makeVersion = (
    model: Pick<FakeModel, 'ref' | 'official' | 'kind'>,
    spec: FakeVersionSpec,
    imageInput: string | undefined,
  ): FakeVersion => {
    const doc = spec.openapiSchema;
    const inputSchema = inlineInputSchema(doc);
    const output = outputShapeOf(doc);
    const outputSchema = outputSchemaOf(doc);
    const fileInputs = fileInputsOf(inputSchema);
    const id = spec.id ?? createHash('sha256').update(JSON.stringify(doc)).digest('hex');
    const known = catalog.get(model.ref);
    const entry: CatalogModel =
      known !== undefined && known.version === id
        ? known
        : {
            ref: model.ref,
            official: model.official,
            version: id,
            kind: model.kind,
            output: output === 'file' ? 'file' : output === 'text-tokens' ? 'text-tokens' : 'file-array',
            inputSchema,
            // The fake bills nothing: prices belong to the project's catalog, not to the server.
            pricing: known?.pricing ?? {
              unit: 'second',
              usdPerSecond: 0,
              typicalSeconds: 1,
              hardware: 'cpu',
            },
          };
    const image = imageInput ?? fileInputs[0];
    if (entry !== known && image !== undefined) entry.imageInput = image;
    return {
      id,
      createdAt: spec.createdAt ?? new Date().toISOString(),
      cogVersion: spec.cogVersion ?? '0.9.5',
      openapiSchema: doc,
      inputSchema,
      output,
      outputSchema,
      iterator: outputSchema['x-cog-array-type'] === 'iterator',
      fileInputs,
      catalog: entry,
      ...checkers(inputJsonSchema(doc)),
    };
  };

  const add = (spec: FakeModelSpec): FakeModel => {
    const [owner = '', name = ''] = spec.ref.split('/');
    if (owner === '' || name === '' || spec.versions.length === 0) {
      throw new Error(`fake model ${spec.ref}: needs owner/name and at least one version`);
    }
    const first = spec.versions[0] as FakeVersionSpec;
    const base = {
      ref: spec.ref,
      official: spec.official ?? false,
      kind: spec.kind ?? guessKind(spec.versions[spec.versions.length - 1]?.openapiSchema ?? {}),
    };
    const versions = spec.versions.map((v) => makeVersion(base, v, spec.imageInput)).reverse();
    const model: FakeModel = {
      ...base,
      owner,
      name,
      description: spec.description ?? '',
      runCount: spec.runCount ?? 0,
      createdAt: spec.createdAt ?? first.createdAt ?? new Date().toISOString(),
      servedAs: spec.servedAs ?? spec.ref,
      versions,
      get latest() {
        return versions[0] as FakeVersion;
      },
      deployment: newDeploymentId(),
    };
    models.set(spec.ref, model);
    return model;
  };

  for (const entry of catalog.list()) add(catalogSpec(entry, servedAs[entry.ref]));

  const known = (ref: string): FakeModel => {
    const model = models.get(ref);
    if (model === undefined) throw new Error(`the fake has no model ${ref}`);
    return model;
  };
  return {
    byRef: (ref) => models.get(ref),
    byVersion(id) {
      for (const model of models.values()) {
        const version = model.versions.find((v) => v.id === id);
        if (version !== undefined) return { model, version };
      }
      return undefined;
    },
    list: () => [...models.values()],
    add,
    addVersion(ref, spec) {
      const model = known(ref);
      const version = makeVersion(model, spec, model.latest.catalog.imageInput);
      model.versions.unshift(version);
      return version;
    },
    redeploy(ref) {
      const model = known(ref);
      model.deployment = newDeploymentId();
      return model.deployment;
    },
  };
}
