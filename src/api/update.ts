/**
 * `updatePins`: moves the lock's pins to what Replicate serves now — community models (catalogued or not)
 * used without a version to their latest version, models outside the catalog also to their latest schema
 * (official ones, which have no versions, by its hash) — and says what changed in each schema. Then
 * writes the lock (and stores the schemas in the cache, and in the shared store with `cache`, before the
 * lock pins them). All models, or the ones named.
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { type CatalogModel, createCatalog } from '../models/catalog.js';
import { readCogSchema } from '../models/cog-schema.js';
import { resolveModels } from '../models/resolve-models.js';
import { diffInputSchemas, type SchemaChange } from '../models/schema-diff.js';
import { createSchemaStore, type SchemaStore } from '../models/schema-store.js';
import { modelUsesOfFiles } from '../recipe/model-uses.js';
import { type LockedModel, readLock, writeLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { lockPathOf, replicateModelSource } from './model-resolution.js';
import {
  type CacheOptions,
  DEFAULT_CACHE_DIR,
  type RecipeLoadOptions,
  type ReplicateOptions,
} from './options.js';
import { recipePaths } from './recipe-paths.js';
import { withSharedCache } from './shared-cache.js';

export interface UpdatePinsOptions extends RecipeLoadOptions, CacheOptions {
  cwd?: string;
  /** Only these `owner/name` models (each must be used without a version, and not an official catalog model). */
  models?: readonly string[];
  lock?: string;
  /** Where fetched schemas are kept (default `.assetgen/cache`). */
  cacheDir?: string;
  /** Needs `token`. */
  replicate?: ReplicateOptions;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface PinChange {
  model: string;
  /** null: not pinned before. */
  before: string | null;
  /** null: the model has no version. */
  after: string | null;
  official: boolean;
  /** Schema hashes (models checked against a fetched schema); null when none was pinned. */
  schemaBefore: string | null;
  schemaAfter: string | null;
  /** What changed in the inputs (empty when the schema did not, or when the old one is unknown). */
  changes: SchemaChange[];
  /** `file-array → file` when what the model returns changed. */
  output?: string;
}

export interface UpdateReport {
  lockPath: string;
  /** Every model looked at, in name order; unchanged ones have `before === after` and equal schemas. */
  pins: PinChange[];
  /** How many pins moved (the lock is written only when some did). */
  changed: number;
}

export async function updatePins(
  files: readonly string[],
  options: UpdatePinsOptions = {},
): Promise<UpdateReport> {
  return withSharedCache(options, (remote) => update(files, options, remote));
}

async function update(
  files: readonly string[],
  options: UpdatePinsOptions,
  remote: Store | undefined,
): Promise<UpdateReport> {
  const cwd = options.cwd ?? process.cwd();
  const paths = recipePaths(files, cwd);
  const lockPath = lockPathOf(paths, options.lock, cwd);
  const store = createSchemaStore(resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR), { remote });
  const [lock, uses] = await Promise.all([readLock(lockPath), modelUsesOfFiles(paths)]);
  const catalog = createCatalog();
  const candidates = new Map<string, boolean | undefined>();
  for (const use of uses) {
    if (use.version !== undefined || catalog.get(use.model)?.official === true) continue;
    if (!candidates.has(use.model) || use.official !== undefined) candidates.set(use.model, use.official);
  }
  const wanted = options.models ?? [...candidates.keys()];
  for (const model of wanted) {
    if (!candidates.has(model))
      throw new UsageError(
        `${model} is not a model these recipes use without a version (official catalog models have no pin)`,
      );
  }
  const source = await replicateModelSource(options.replicate ?? {}, options.onWarning ?? (() => {}));
  if (source === undefined)
    throw new UsageError('assetgen update needs REPLICATE_API_TOKEN in the environment');
  const signal = options.signal ?? new AbortController().signal;
  const sorted = [...wanted].sort();
  const resolved = await resolveModels(
    sorted.map((model) => {
      const official = candidates.get(model);
      return official === undefined ? { model } : { model, official };
    }),
    { catalog, store, lock, source, signal, refresh: true, latestForCatalog: true },
  );
  const pins: PinChange[] = [];
  for (const model of sorted) {
    const before = lock.models[model];
    const after = resolved.pins[model];
    if (after === undefined) continue;
    pins.push(
      await describeChange(model, before, after, catalog.get(model), store, resolved.catalog.get(model)),
    );
    lock.models[model] = after;
  }
  const changed = pins.filter(
    (pin) => pin.before !== pin.after || pin.schemaBefore !== pin.schemaAfter,
  ).length;
  if (changed > 0) await writeLock(lockPath, lock);
  return { lockPath, pins, changed };
}

async function describeChange(
  model: string,
  before: LockedModel | undefined,
  after: LockedModel,
  listed: CatalogModel | undefined,
  store: SchemaStore,
  now: CatalogModel | undefined,
): Promise<PinChange> {
  const change: PinChange = {
    model,
    before: before?.version ?? null,
    after: after.version,
    official: after.official,
    schemaBefore: before?.schema ?? null,
    schemaAfter: after.schema ?? null,
    changes: [],
  };
  if (now === undefined || (change.before === change.after && change.schemaBefore === change.schemaAfter))
    return change;
  // The schema checked before: the pinned one, else (a catalog model) the catalog's.
  const doc = before?.schema === undefined ? undefined : await store.get(before.schema);
  const cog = doc === undefined ? undefined : readCogSchema(doc);
  const old =
    cog !== undefined
      ? { input: cog.input, output: cog.outputShape }
      : listed && { input: listed.inputSchema, output: listed.output };
  if (old === undefined) return change;
  change.changes = diffInputSchemas(old.input, now.inputSchema);
  if (old.output !== now.output) change.output = `${old.output} → ${now.output}`;
  return change;
}
