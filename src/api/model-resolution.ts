/**
 * What validate, plan, run, check and update do before they load recipes: find the models the recipes
 * name, and resolve the schemas of those the catalog does not describe (src/models/resolve-models.ts) —
 * from the lock and the cache's `schemas/` (the folder, then the remote store behind it when there is one),
 * else, with a token, from Replicate (the lookup is loaded only then). The lock comes back with the fetched pins added (in memory: only runs, `update` and `models add`
 * write it), so the runner uses the very version the recipe was checked against.
 */
import { dirname, join, resolve } from 'node:path';
import { type Catalog, createCatalog } from '../models/catalog.js';
import { type DeploymentSource, resolveDeployments } from '../models/resolve-deployments.js';
import { type ModelSource, type ResolvedModels, resolveModels } from '../models/resolve-models.js';
import { createSchemaStore } from '../models/schema-store.js';
import { recipeUsesOfFiles } from '../recipe/model-uses.js';
import { LOCK_FILE, type LockedDeployment } from '../store/lock.js';
import { openLock } from '../store/lock-index.js';
import type { OpenLock } from '../store/lock-tasks.js';
import type { Store } from '../store/store.js';
import { DEFAULT_CACHE_DIR, type ReplicateOptions } from './options.js';

export interface ModelResolutionOptions {
  cwd: string;
  cacheDir?: string | undefined;
  /** The shared store behind `cacheDir` (opened by the caller): schemas are read from and written to it too. */
  remote?: Store | undefined;
  lock?: string | undefined;
  replicate?: ReplicateOptions | undefined;
  /** Never use the network, even with a token (frozen runs, `check`, `--provider local`). */
  offline?: boolean;
  /** Fetch what is pinned too (`update`). */
  refresh?: boolean;
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

export interface RecipeModels extends ResolvedModels {
  catalog: Catalog;
  /** The lock with the pins found added, its tasks indexed on disk (store/lock-index.ts): close it when done. */
  lock: OpenLock;
  lockPath: string;
  cacheDir: string;
}

/**
 * The lock's path: the `lock` option (against `cwd`), else `assetgen.lock` beside the first recipe.
 * `files` are as `recipePaths` gives them: relative to the process's folder, not to `cwd`.
 */
export function lockPathOf(files: readonly string[], explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) return resolve(cwd, explicit);
  const first = files[0];
  return join(first === undefined ? cwd : dirname(resolve(first)), LOCK_FILE);
}

/** A `ModelSource` on Replicate, when there is a token (the SDK is loaded only then). */
export async function replicateModelSource(
  replicate: ReplicateOptions | undefined,
  onWarning?: (message: string) => void,
): Promise<(ModelSource & DeploymentSource) | undefined> {
  const token = replicate?.token;
  if (token === undefined || token === '') return undefined;
  const { createModelLookup } = await import('../providers/replicate/model-lookup.js');
  return createModelLookup({
    token,
    ...(replicate?.baseUrl === undefined ? {} : { baseUrl: replicate.baseUrl }),
    ...(onWarning === undefined ? {} : { onWarning }),
  });
}

/** `files` are absolute recipe paths. */
export async function resolveRecipeModels(
  files: readonly string[],
  options: ModelResolutionOptions,
): Promise<RecipeModels> {
  const cacheDir = resolve(options.cwd, options.cacheDir ?? DEFAULT_CACHE_DIR);
  const lockPath = lockPathOf(files, options.lock, options.cwd);
  const lock = await openLock(lockPath);
  try {
    return await resolveWithLock(files, options, { lock, lockPath, cacheDir });
  } catch (error) {
    await lock.close();
    throw error;
  }
}

async function resolveWithLock(
  files: readonly string[],
  options: ModelResolutionOptions,
  { lock, lockPath, cacheDir }: { lock: OpenLock; lockPath: string; cacheDir: string },
): Promise<RecipeModels> {
  const uses = await recipeUsesOfFiles(files);
  const source =
    options.offline === true ? undefined : await replicateModelSource(options.replicate, options.onWarning);
  const signal = options.signal ?? new AbortController().signal;
  // A deployment's release is a model named with a version: resolved (and its schema pinned) like one.
  const deployments = await resolveDeployments(uses.deployments, { pins: lock.deployments, source, signal });
  const releaseUses = [...deployments.releases.values()].map(({ model, version }) => ({ model, version }));
  const resolved = await resolveModels([...uses.models, ...releaseUses], {
    catalog: createCatalog(),
    store: createSchemaStore(cacheDir, { remote: options.remote }),
    lock,
    signal,
    ...(source === undefined ? {} : { source }),
    ...(options.refresh === true ? { refresh: true } : {}),
  });
  for (const note of resolved.notes) options.onWarning?.(note);
  const withPins: OpenLock = { ...lock, models: { ...lock.models } };
  for (const [model, pin] of Object.entries(resolved.pins)) withPins.models[model] = pin;
  if (deployments.releases.size > 0) {
    const pinned: Record<string, LockedDeployment> = { ...lock.deployments };
    for (const [ref, release] of deployments.releases) {
      const schema = resolved.catalog.get(`${release.model}:${release.version}`)?.fetched?.schemaHash;
      pinned[ref] = { ...release, ...(schema === undefined ? {} : { schema }) };
    }
    withPins.deployments = pinned;
  }
  const catalog = {
    ...resolved.catalog,
    deployments: deployments.releases,
    deploymentsNotFound: { missing: deployments.missing, unknown: deployments.unknown },
  };
  return { ...resolved, catalog, lock: withPins, lockPath, cacheDir };
}
