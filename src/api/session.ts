/**
 * What plan, run and check share before anything runs: recipes loaded into a plan, the provider chosen,
 * the lock read, and the cache probed (a look-up-only pass of the runner: nothing runs, nothing is spent).
 */
import { join, resolve } from 'node:path';
import { type Catalog, createCatalog } from '../models/catalog.js';
import { readPriceHistory } from '../models/price-history.js';
import { applyPriceHistory, createPlan, modelsNeedingHistory, type Plan } from '../plan/plan.js';
import { checkShard, selectShard } from '../plan/shard.js';
import { resolveLocalUpscaler } from '../providers/local/upscaler-choice.js';
import type { LocalUpscaler } from '../providers/local/upscaler-types.js';
import { loadRecipes } from '../recipe/index.js';
import { runPlan } from '../run/runner.js';
import { createCache } from '../store/cache.js';
import { LOCK_FILE } from '../store/lock.js';
import type { LockView, OpenLock } from '../store/lock-tasks.js';
import type { Store } from '../store/store.js';
import type { CachedSteps } from './budget-check.js';
import { resolveRecipeModels } from './model-resolution.js';
import { type RecipeLoadOptions, recipeLoadLimits, type SessionOptions } from './options.js';
import { chooseProvider, offlineStandIn, type ProviderChoice } from './provider-choice.js';
import { recipePaths } from './recipe-paths.js';
import { closeSharedCache, openSharedCache } from './shared-cache.js';

export interface Session {
  cwd: string;
  plan: Plan;
  choice: ProviderChoice;
  cacheDir: string;
  /** The shared store behind `cacheDir` (opened and checked), when there is one: close it when done. */
  remote?: Store;
  lockPath: string;
  /** The lock before the run, its tasks indexed on disk (store/lock-index.ts): close it when done. */
  lock: OpenLock;
  /** The cache for this run's provider. */
  probe: CacheProbe;
  /**
   * The cache for Replicate, which the estimate counts: the same probe when the run is on Replicate;
   * offline a second one under Replicate's task keys, so that placeholders never count as paid results.
   */
  replicateProbe: CacheProbe;
  /** What resolving the models' schemas found worth saying (a pinned official schema that changed). */
  modelNotes: string[];
  /** The offline upscaler (resolved before the probe: it is part of the upscale tasks' keys); local only. */
  localUpscaler?: LocalUpscaler;
}

export interface CacheProbe {
  isCached: CachedSteps;
  /** Every step and output of every asset is in the cache: a run would only restore. */
  complete: boolean;
}

/** Loads recipes into a plan; throws RecipeError with every problem of every file. */
export async function loadPlan(
  files: readonly string[],
  cwd: string,
  limits: RecipeLoadOptions & { requireSchemas?: boolean } = {},
  catalog: Catalog = createCatalog(),
): Promise<Plan> {
  const recipes = await loadRecipes(recipePaths(files, cwd), {
    catalog,
    ...recipeLoadLimits(limits, cwd),
    ...(limits.requireSchemas === true ? { requireSchemas: true } : {}),
  });
  return createPlan(recipes, catalog);
}

export async function openSession(
  files: readonly string[],
  options: SessionOptions,
  mode: { frozen?: boolean; signal?: AbortSignal | undefined } = {},
): Promise<Session> {
  const cwd = options.cwd ?? process.cwd();
  if (options.shard !== undefined) checkShard(options.shard); // before the recipes are read
  // The shared store first: model schemas are looked up in it too (a bad URL fails before anything else).
  const remote = await openSharedCache(options);
  let opened: OpenLock | undefined;
  try {
    // Schemas of models outside the catalog, before the recipes are checked against them (frozen: from the
    // lock and the cache only, and a model never fetched is refused).
    const models = await resolveRecipeModels(recipePaths(files, cwd), {
      cwd,
      cacheDir: options.cacheDir,
      remote,
      lock: options.lock,
      replicate: options.replicate,
      offline: mode.frozen === true,
      signal: mode.signal,
    });
    opened = models.lock;
    const limits = mode.frozen === true ? { ...options, requireSchemas: true } : options;
    const whole = await loadPlan(files, cwd, limits, models.catalog);
    const selected =
      options.shard === undefined
        ? whole
        : selectShard(whole, options.shard, cwd, { divideBudgets: options.maxUsd === undefined });
    const choice = chooseProvider(options.provider, options.replicate, mode);
    const { cacheDir, lockPath, lock } = models;
    // Steps with no recipe or published price are priced from this project's past runs (lock and cache).
    const unpriced = modelsNeedingHistory(selected);
    const plan =
      unpriced.size === 0
        ? selected
        : applyPriceHistory(selected, await readPriceHistory(cacheDir, lock, unpriced));
    const localUpscaler =
      choice.name === 'local' ? await resolveLocalUpscaler(options.localUpscaler) : undefined;
    const probe = await probeCache(plan, choice, cacheDir, lock, localUpscaler, remote);
    const replicateProbe =
      choice.name === 'replicate'
        ? probe
        : await probeCache(plan, REPLICATE_ESTIMATE, cacheDir, lock, undefined, remote);
    return {
      cwd,
      plan,
      choice,
      cacheDir,
      ...(remote === undefined ? {} : { remote }),
      lockPath,
      lock,
      probe,
      replicateProbe,
      modelNotes: models.notes,
      ...(localUpscaler === undefined ? {} : { localUpscaler }),
    };
  } catch (error) {
    await opened?.close();
    await closeSharedCache(options, remote);
    throw error;
  }
}

/** Replicate, named only to look up its task keys in the cache (it is never called). */
const REPLICATE_ESTIMATE: ProviderChoice = {
  name: 'replicate',
  paid: true,
  reason: 'the Replicate estimate',
};

/** Which steps' results are already in the cache. */
export async function probeCache(
  plan: Plan,
  choice: ProviderChoice,
  cacheDir: string,
  lock: LockView,
  localUpscaler?: LocalUpscaler,
  remote?: Store,
): Promise<CacheProbe> {
  const cached = new Set<string>();
  let complete = true;
  // Entries are looked at as they come and dropped: a probe of 100,000 assets holds none of them.
  await runPlan(plan, {
    provider: offlineStandIn(choice, localUpscaler),
    cache: createCache(cacheDir, remote === undefined ? {} : { remote }),
    outDir: cacheDir,
    probe: true,
    lock,
    onAsset: (recipeIndex, position, asset) => {
      if (asset.status !== 'ok') complete = false;
      const key = plan.recipes[recipeIndex]?.assets[position]?.key ?? '';
      for (const step of asset.steps) if (step.cache_hit) cached.add(`${key}#${step.id}`);
    },
  });
  return { isCached: (asset, step) => cached.has(`${asset}#${step}`), complete };
}

/** Where the lock lives: the `lock` option, else `assetgen.lock` beside the first recipe. */
export function lockPathFor(plan: Plan, explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) return resolve(cwd, explicit);
  return join(plan.recipes[0]?.loaded.dir ?? cwd, LOCK_FILE);
}
