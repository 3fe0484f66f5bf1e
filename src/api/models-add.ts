/**
 * `addModels`: fetches models from Replicate (`owner/name` or `owner/name:version`), stores their schemas
 * in the cache's `schemas/` (and in the shared store, with `cache`) and pins the unversioned ones in the
 * lock (community: latest version and schema hash; official: schema hash), so that recipes using them
 * validate, plan and run `--frozen` without a token afterwards (on another machine too, with the same
 * shared store and the lock). What `assetgen models add` does.
 */
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { type CatalogModel, createCatalog, parseModelRef } from '../models/catalog.js';
import { resolveModels } from '../models/resolve-models.js';
import { createSchemaStore } from '../models/schema-store.js';
import { LOCK_FILE, type LockedModel, readLock, writeLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { replicateModelSource } from './model-resolution.js';
import { type CacheOptions, DEFAULT_CACHE_DIR, type ReplicateOptions } from './options.js';
import { withSharedCache } from './shared-cache.js';

export interface AddModelsOptions extends CacheOptions {
  cwd?: string;
  /** Default `.assetgen/cache`. */
  cacheDir?: string;
  /** Default `assetgen.lock` in `cwd`. */
  lock?: string;
  /** Needs `token`. */
  replicate?: ReplicateOptions;
  /** Say the models are official (or not) instead of asking Replicate. */
  official?: boolean;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface AddedModel {
  /** As asked: `owner/name` or `owner/name:version`. */
  ref: string;
  official: boolean;
  /** The version the schema belongs to; null for official models. */
  version: string | null;
  schema: string;
  kind: CatalogModel['kind'];
  output: CatalogModel['output'];
  imageInput: string | null;
  /** Input names in `x-order`. */
  inputs: string[];
  /** Whether the lock pins it (unversioned refs). */
  pinned: boolean;
}

export interface AddModelsReport {
  lockPath: string;
  cacheDir: string;
  /** Where the shared store is (`s3://bucket/prefix`), when the schemas went there too. */
  remote?: string;
  models: AddedModel[];
}

export async function addModels(
  refs: readonly string[],
  options: AddModelsOptions = {},
): Promise<AddModelsReport> {
  return withSharedCache(options, (remote) => add(refs, options, remote));
}

async function add(
  refs: readonly string[],
  options: AddModelsOptions,
  remote: Store | undefined,
): Promise<AddModelsReport> {
  const cwd = options.cwd ?? process.cwd();
  const catalog = createCatalog();
  const requests = refs.map((ref) => {
    const parsed = parseModelRef(ref);
    if (parsed === undefined)
      throw new UsageError(
        `"${ref}" is not a model reference (expected owner/name or owner/name:<64 hex digits>)`,
      );
    const model = `${parsed.owner}/${parsed.name}`;
    if (parsed.version === undefined && catalog.get(model) !== undefined)
      throw new UsageError(`${model} is in the catalog: its schema ships with assetgen (nothing to add)`);
    return {
      model,
      ...(parsed.version === undefined ? {} : { version: parsed.version }),
      ...(options.official === undefined ? {} : { official: options.official }),
    };
  });
  const source = await replicateModelSource(options.replicate, options.onWarning);
  if (source === undefined)
    throw new UsageError(
      'assetgen models add needs REPLICATE_API_TOKEN in the environment (it asks Replicate)',
    );
  const cacheDir = resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR);
  const lockPath = options.lock === undefined ? join(cwd, LOCK_FILE) : resolve(cwd, options.lock);
  const lock = await readLock(lockPath);
  const resolved = await resolveModels(requests, {
    catalog,
    store: createSchemaStore(cacheDir, { remote }),
    lock,
    source,
    signal: options.signal ?? new AbortController().signal,
    refresh: true,
  });
  const missing = requests.filter((request) => resolved.catalog.missing?.has(request.model));
  if (missing.length > 0)
    throw new UsageError(`Replicate has no model ${missing.map((m) => m.model).join(', ')} (check the name)`);
  const pins: Record<string, LockedModel> = {};
  const models = requests.map((request, index): AddedModel => {
    const key = request.version === undefined ? request.model : `${request.model}:${request.version}`;
    const model = resolved.catalog.get(key) as CatalogModel;
    const pin = request.version === undefined ? resolved.pins[request.model] : undefined;
    if (pin !== undefined) pins[request.model] = pin;
    return {
      ref: refs[index] ?? key,
      official: model.official,
      version: model.version === '' ? null : model.version,
      schema: model.fetched?.schemaHash ?? '',
      kind: model.kind,
      output: model.output,
      imageInput: model.imageInput ?? null,
      inputs: Object.keys((model.inputSchema.properties ?? {}) as object),
      pinned: pin !== undefined,
    };
  });
  if (Object.keys(pins).length > 0)
    await writeLock(lockPath, { ...lock, models: { ...lock.models, ...pins } });
  return { lockPath, cacheDir, ...(remote === undefined ? {} : { remote: remote.location }), models };
}
