/**
 * Before a recipe is validated: the schema of every model it names that the catalog does not describe —
 * a model outside the catalog, or a catalog model at another version — from the lock's pin and the
 * cache's `schemas/`, else (with a token) from Replicate, once per model and concurrently. The result is
 * a catalog that knows them all (`withModels`); models still unknown are `unchecked` stand-ins.
 *
 * The pin wins: a community model pinned in the lock is checked against its pinned version, an official
 * one against its pinned schema hash, both read from the cache without the network when they are there.
 * Without a pin, a token fetches the latest (and tells official from community from what the API says:
 * `is_official`, else the `official` collection); without a token, the cache's last fetch is used.
 */
import { ProviderError } from '../errors.js';
import type { LockedModel, LockFileContent } from '../store/lock.js';
import type { Catalog, CatalogModel } from './catalog.js';
import { fetchedModel, uncheckedModel } from './fetched-model.js';
import type { SchemaStore } from './schema-store.js';

type Json = Record<string, unknown>;

/** What resolution needs from Replicate (providers/replicate/model-lookup.ts). */
export interface ModelSource {
  model(
    ref: string,
    signal: AbortSignal,
  ): Promise<{ isOfficial?: boolean; latest: { id: string; openapiSchema: Json } | null }>;
  version(ref: string, id: string, signal: AbortSignal): Promise<{ id: string; openapiSchema: Json }>;
  officialModels(signal: AbortSignal): Promise<ReadonlySet<string>>;
}

export interface ModelRequest {
  /** `owner/name` */
  model: string;
  version?: string;
  /** Stated by the recipe (`official:`). */
  official?: boolean;
}

export interface ResolveModelsOptions {
  catalog: Catalog;
  store: SchemaStore;
  lock: Pick<LockFileContent, 'models'>;
  /** Present with a token. */
  source?: ModelSource;
  signal: AbortSignal;
  /** Fetch even what is pinned and cached (`update`, `models add`). */
  refresh?: boolean;
  /** Community catalog models too: their latest version, pinned with its schema unless it is the catalog's (`update`). */
  latestForCatalog?: boolean;
  now?: () => Date;
}

export interface ResolvedModels {
  /** The catalog plus every fetched (or unchecked) model, by `owner/name` and `owner/name:version`. */
  catalog: Catalog;
  /** Pins for the lock: models used without a version whose schema was fetched, with its hash. */
  pins: Record<string, LockedModel>;
  /** `owner/name` of models whose schema came from the network in this call. */
  fetched: string[];
  /** Worth saying (a pinned schema no longer available, a recipe-stated kind that contradicts the API). */
  notes: string[];
}

/** The catalog with more models; `get` takes `owner/name` or `owner/name:version`. */
export function withModels(
  base: Catalog,
  extra: ReadonlyMap<string, CatalogModel>,
  missing: ReadonlySet<string> = new Set(),
): Catalog {
  return {
    get: (ref) => extra.get(ref) ?? base.get(ref),
    list: () => base.list(),
    missing,
  };
}

interface Found {
  model: CatalogModel;
  pin?: LockedModel;
}

export async function resolveModels(
  requests: readonly ModelRequest[],
  options: ResolveModelsOptions,
): Promise<ResolvedModels> {
  const extra = new Map<string, CatalogModel>();
  const pins: Record<string, LockedModel> = {};
  const fetched = new Set<string>();
  const missing = new Set<string>();
  const notes: string[] = [];
  const byModel = new Map<string, ModelRequest[]>();
  for (const request of requests)
    byModel.set(request.model, [...(byModel.get(request.model) ?? []), request]);
  const context: Context = { ...options, fetched, notes };
  await Promise.all(
    [...byModel].map(async ([model, uses]) => {
      const stated = uses.find((use) => use.official !== undefined)?.official;
      const versions = new Set(uses.flatMap((use) => (use.version === undefined ? [] : [use.version])));
      const jobs: Promise<void>[] = [];
      if (uses.some((use) => use.version === undefined)) {
        jobs.push(
          resolveLatest(context, model, stated).then((found) => {
            if (found === undefined) return;
            extra.set(model, found.model);
            if (found.pin !== undefined) pins[model] = found.pin;
          }),
        );
      }
      for (const version of versions) {
        jobs.push(
          resolveVersion(context, model, version, stated).then((found) => {
            if (found !== undefined) extra.set(`${model}:${version}`, found);
          }),
        );
      }
      try {
        await Promise.all(jobs);
      } catch (error) {
        // Told at the step that names it, with a did-you-mean, by validation.
        if (error instanceof ProviderError && error.code === 'REPLICATE_MODEL_NOT_FOUND') missing.add(model);
        else throw error;
      }
    }),
  );
  return {
    catalog: withModels(options.catalog, extra, missing),
    pins,
    fetched: [...fetched].sort(),
    notes,
  };
}

interface Context extends ResolveModelsOptions {
  fetched: Set<string>;
  notes: string[];
}

async function fromStore(
  context: Context,
  model: string,
  official: boolean,
  version: string | null,
  hash: string | undefined,
): Promise<CatalogModel | undefined> {
  if (hash === undefined) return undefined;
  const doc = await context.store.get(hash);
  return doc === undefined
    ? undefined
    : fetchedModel({ ref: model, official, version, doc, schemaHash: hash });
}

async function storeFetched(
  context: Context,
  model: string,
  official: boolean,
  version: string | null,
  doc: Json,
): Promise<Found> {
  const hash = await context.store.put(doc);
  if (version !== null) await context.store.putVersion(model, version, hash);
  context.fetched.add(model);
  return {
    model: fetchedModel({ ref: model, official, version, doc, schemaHash: hash }),
    pin: { version, official, schema: hash },
  };
}

/** A model used without a version: its pin, else the latest. Undefined: the catalog's own entry serves. */
async function resolveLatest(
  context: Context,
  model: string,
  stated: boolean | undefined,
): Promise<Found | undefined> {
  const listed = context.catalog.get(model);
  const pin = context.lock.models[model];
  if (listed !== undefined && !listed.official && context.latestForCatalog === true && context.source) {
    const found = await context.source.model(model, context.signal);
    const latest = found.latest;
    if (latest === null || latest.id === listed.version) {
      return latest === null ? undefined : { model: listed, pin: { version: latest.id, official: false } };
    }
    return storeFetched(context, model, false, latest.id, latest.openapiSchema);
  }
  if (listed !== undefined) {
    // A catalog model is checked against a fetched schema only once the lock pins another version.
    if (listed.official || pin?.version == null || pin.version === listed.version) return undefined;
    const stored = await fromStore(context, model, false, pin.version, pin.schema);
    if (stored !== undefined && context.refresh !== true) return { model: stored, pin };
    if (context.source === undefined) return undefined;
    const got = await context.source.version(model, pin.version, context.signal);
    return storeFetched(context, model, false, pin.version, got.openapiSchema);
  }
  if (pin?.schema !== undefined && context.refresh !== true) {
    const official = stated ?? pin.official;
    const stored = await fromStore(context, model, official, official ? null : pin.version, pin.schema);
    if (stored !== undefined) return { model: stored, pin };
  }
  if (context.source !== undefined) return fetchLatest(context, context.source, model, stated, pin);
  const seen = await context.store.seen(model);
  const official = stated ?? seen?.official ?? pin?.official ?? false;
  const stored =
    seen === undefined ? undefined : await fromStore(context, model, official, seen.version, seen.schema);
  if (stored !== undefined) {
    const fresh: LockedModel = { version: official ? null : (seen?.version ?? null), official };
    return { model: stored, pin: { ...fresh, schema: stored.fetched?.schemaHash ?? '' } };
  }
  return { model: uncheckedModel(model, official) };
}

async function fetchLatest(
  context: Context,
  source: ModelSource,
  model: string,
  stated: boolean | undefined,
  pin: LockedModel | undefined,
): Promise<Found> {
  const found = await source.model(model, context.signal);
  const official = stated ?? found.isOfficial ?? (await source.officialModels(context.signal)).has(model);
  // A community model pinned to a version keeps it (`update` moves it); official models have none.
  if (!official && pin?.version != null && pin.version !== found.latest?.id && context.refresh !== true) {
    const got = await source.version(model, pin.version, context.signal);
    return storeFetched(context, model, false, pin.version, got.openapiSchema);
  }
  if (found.latest === null) {
    throw new ProviderError('REPLICATE_NO_VERSION', `replicate: ${model} has no published version`, {
      provider: 'replicate',
      model,
      retryable: false,
    });
  }
  const result = await storeFetched(
    context,
    model,
    official,
    official ? null : found.latest.id,
    found.latest.openapiSchema,
  );
  const hash = result.pin?.schema ?? '';
  await context.store.putSeen({
    model,
    official,
    version: official ? null : found.latest.id,
    schema: hash,
    fetchedAt: (context.now?.() ?? new Date()).toISOString(),
  });
  if (official && pin?.schema !== undefined && pin.schema !== hash && context.refresh !== true) {
    context.notes.push(
      `the schema of ${model} changed since it was pinned (official models have no versions): checked against the current one; run \`assetgen update\` to move the pin`,
    );
  }
  return result;
}

/** A model at a version the recipe names: immutable, so the cache answers whenever it has it. */
async function resolveVersion(
  context: Context,
  model: string,
  version: string,
  stated: boolean | undefined,
): Promise<CatalogModel | undefined> {
  const listed = context.catalog.get(model);
  if (listed !== undefined && (listed.official || listed.version === version)) return undefined;
  const official = stated ?? false;
  const stored = await fromStore(context, model, official, version, await context.store.version(version));
  if (stored !== undefined && context.refresh !== true) return stored;
  if (context.source !== undefined) {
    const got = await context.source.version(model, version, context.signal);
    return (await storeFetched(context, model, official, version, got.openapiSchema)).model;
  }
  return listed === undefined ? uncheckedModel(model, official) : undefined;
}
