/**
 * The model catalog: what assetgen knows about each supported Replicate model — its input schema
 * (schema/models/*.json, draft 2020-12), its output shape, its kind (which decides the offline
 * stand-in) and its price. Created per run through `createCatalog()`; nothing here is global.
 */
import { readFileSync } from 'node:fs';
import { schemaPath } from '../paths.js';
import type { CogOutputShape } from './cog-schema.js';
import { type PriceSourcePage, publishedPrice } from './price-list.js';

export type ModelKind = 'text-to-image' | 'upscale' | 'background-removal' | 'text';

/** How the model returns its result (cog-schema.ts). */
export type OutputShape = CogOutputShape;

export type Pricing =
  /** Official models: a price per output image. */
  | { unit: 'image'; usd: number }
  /**
   * Community models: billed by predict_time × the hardware's price. Without `typicalSeconds` the run
   * time comes from this project's history (`price-history.ts`).
   */
  | { unit: 'second'; usdPerSecond: number; typicalSeconds?: number; hardware: string }
  /** Language models: per input and output token. */
  | { unit: 'token'; usdPerInputToken: number; usdPerOutputToken: number };

export interface CatalogModel {
  /** `owner/name` */
  ref: string;
  official: boolean;
  /**
   * The version the schema was taken from (community models are pinned to it by default); for official
   * models the one the catalog's snapshot showed, and `''` for fetched official models (they have none).
   */
  version: string;
  kind: ModelKind;
  output: OutputShape;
  /** The input field that takes the upstream image (a `format: uri` property), if any. */
  imageInput?: string;
  /** Input schema, draft 2020-12. */
  inputSchema: Record<string, unknown>;
  /** The published price (`price-list.ts`); absent when no page confirms one, and for models outside the catalog (the step's `price:` or the project's history gives one). */
  pricing?: Pricing;
  /** Where `pricing` was read. */
  priceSource?: PriceSourcePage;
  /** Set when the schema was fetched from Replicate (model-resolution.ts), not read from schema/models/. */
  fetched?: {
    /** sha256 of the canonical `openapi_schema` (what the lock pins). */
    schemaHash: string;
  };
  /** A model whose schema was never fetched: only the recipe's shape is checked, not its inputs. */
  unchecked?: boolean;
}

interface CatalogEntrySpec {
  ref: string;
  kind: ModelKind;
  imageInput?: string;
}

/** Hardware prices per second (https://replicate.com/pricing; reference/replicate-api.md §10). */
export const HARDWARE_USD_PER_SECOND: Readonly<Record<string, number>> = {
  cpu: 0.0001,
  'gpu-t4': 0.000225,
  'gpu-a40-small': 0.000575,
  'gpu-a40-large': 0.000725,
  'gpu-l40s': 0.000975,
  'gpu-a100-large': 0.0014,
  'gpu-h100': 0.001525,
};

const ENTRIES: readonly CatalogEntrySpec[] = [
  { ref: 'black-forest-labs/flux-schnell', kind: 'text-to-image' },
  { ref: 'black-forest-labs/flux-dev', kind: 'text-to-image', imageInput: 'image' },
  { ref: 'stability-ai/sdxl', kind: 'text-to-image', imageInput: 'image' },
  { ref: 'nightmareai/real-esrgan', kind: 'upscale', imageInput: 'image' },
  { ref: 'cjwbw/rembg', kind: 'background-removal', imageInput: 'image' },
  { ref: 'lucataco/remove-bg', kind: 'background-removal', imageInput: 'image' },
  { ref: '851-labs/background-remover', kind: 'background-removal', imageInput: 'image' },
  { ref: 'meta/meta-llama-3-70b-instruct', kind: 'text' },
];

export interface Catalog {
  /** `owner/name`, or `owner/name:version` (a catalog model at any version answers with its entry). */
  get(ref: string): CatalogModel | undefined;
  list(): readonly CatalogModel[];
  /** `owner/name` of models Replicate said it does not have (set by model resolution). */
  missing?: ReadonlySet<string>;
  /** Deployments (`owner/name`) and the model version their current release runs (set by model resolution). */
  deployments?: ReadonlyMap<string, DeploymentRelease>;
  /** Deployments Replicate said it does not have (`missing`) or never looked up nor pinned (`unknown`). */
  deploymentsNotFound?: { missing: ReadonlySet<string>; unknown: ReadonlySet<string> };
}

/** What a deployment runs: its current release's model (`owner/name`) and version id. */
export interface DeploymentRelease {
  model: string;
  version: string;
}

function loadModel(spec: CatalogEntrySpec): CatalogModel {
  const file = schemaPath('models', `${spec.ref.replace('/', '__')}.json`);
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const meta = schema['x-replicate'] as { official: boolean; version_id: string };
  const out = schema['x-output'] as { type: string; items?: { type?: string; format?: string } };
  const output: OutputShape =
    out.type === 'string' ? 'file' : out.items?.format === 'uri' ? 'file-array' : 'text-tokens';
  const model: CatalogModel = {
    ref: spec.ref,
    official: meta.official,
    version: meta.version_id,
    kind: spec.kind,
    output,
    inputSchema: schema,
  };
  if (spec.imageInput !== undefined) model.imageInput = spec.imageInput;
  const price = publishedPrice(spec.ref);
  if (price !== undefined) {
    model.pricing = price.pricing;
    model.priceSource = price.source;
  }
  return model;
}

/** Reads the catalog's schemas (lazily, once per catalog instance). */
export function createCatalog(): Catalog {
  let models: Map<string, CatalogModel> | undefined;
  const all = (): Map<string, CatalogModel> => {
    models ??= new Map(ENTRIES.map((spec) => [spec.ref, loadModel(spec)]));
    return models;
  };
  return {
    get: (ref) => all().get(ref) ?? all().get(ref.replace(/:.*$/, '')),
    list: () => [...all().values()],
  };
}

/** Splits `owner/name[:version]`; returns undefined when the reference is malformed. */
export function parseModelRef(ref: string): { owner: string; name: string; version?: string } | undefined {
  const match = /^([a-z0-9][a-z0-9._-]*)\/([a-z0-9][a-z0-9._-]*)(?::([0-9a-f]{64}))?$/i.exec(ref);
  if (!match) return undefined;
  const [, owner, name, version] = match;
  if (owner === undefined || name === undefined) return undefined;
  return version === undefined ? { owner, name } : { owner, name, version };
}

/**
 * Whether `value` is a model version id (64 hex digits) — a pin that selects what runs. Official models
 * report `hidden` or a deployment id (`dp-…`, `d-…`) in that field instead, which changes whenever
 * Replicate redeploys and pins nothing.
 */
export function isVersionId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value);
}
