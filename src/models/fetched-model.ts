/**
 * A catalog entry made from a fetched Cog document (any Replicate model), or a stand-in for a model whose
 * schema was never fetched. The runner, the planner and the offline provider know models only through
 * `CatalogModel`, so a fetched model is used exactly like a catalogued one.
 */
import type { CatalogModel } from './catalog.js';
import { readCogSchema } from './cog-schema.js';
import { deriveKind, type KindOverrides } from './model-kinds.js';

export interface FetchedModelSpec {
  /** `owner/name` */
  ref: string;
  official: boolean;
  /** The community version the document belongs to; null for official models. */
  version: string | null;
  doc: Record<string, unknown>;
  schemaHash: string;
  overrides?: KindOverrides;
}

export function fetchedModel(spec: FetchedModelSpec): CatalogModel {
  const cog = readCogSchema(spec.doc);
  const derived = deriveKind(cog.input, cog.outputShape, spec.overrides);
  const model: CatalogModel = {
    ref: spec.ref,
    official: spec.official,
    version: spec.version ?? '',
    kind: derived.kind,
    output: cog.outputShape,
    inputSchema: { ...cog.input, 'x-output': cog.output },
    fetched: { schemaHash: spec.schemaHash },
  };
  if (derived.imageInput !== undefined) model.imageInput = derived.imageInput;
  return model;
}

/** A model never fetched (no token, nothing in the cache): served by a stand-in, its inputs unchecked. */
export function uncheckedModel(ref: string, official: boolean, overrides: KindOverrides = {}): CatalogModel {
  const model: CatalogModel = {
    ref,
    official,
    version: '',
    kind: overrides.kind === 'text' ? 'text' : 'text-to-image',
    output: overrides.kind === 'text' ? 'text-tokens' : 'file-array',
    inputSchema: { type: 'object', properties: {} },
    unchecked: true,
  };
  if (overrides.imageInput !== undefined) model.imageInput = overrides.imageInput;
  return model;
}

/** `acme/pixel-forge` with the version its schema came from, for messages: `acme/pixel-forge:1a2b3c4d…`. */
export function schemaSource(model: CatalogModel): string {
  if (model.fetched === undefined) return model.ref;
  if (model.version !== '') return `${model.ref}:${model.version.slice(0, 12)}`;
  return `${model.ref} (schema ${model.fetched.schemaHash.slice(0, 12)})`;
}
