/**
 * What plan, run and check share before anything runs: recipes loaded into a plan, the provider chosen,
 * the lock read, and the cache probed (a look-up-only pass of the runner: nothing runs, nothing is spent).
 */
import { join, resolve } from 'node:path';
import { type Catalog, createCatalog } from '../models/catalog.js';
import { createPlan, type Plan } from '../plan/plan.js';
import { resolveLocalUpscaler } from '../providers/local/upscaler-choice.js';
import type { LocalUpscaler } from '../providers/local/upscaler-types.js';
import { loadRecipes } from '../recipe/index.js';
import { runPlan } from '../run/runner.js';
import { createCache } from '../store/cache.js';
import { LOCK_FILE, type LockFileContent, readLock } from '../store/lock.js';
import type { CachedSteps } from './budget-check.js';
import {
  DEFAULT_CACHE_DIR,
  type RecipeLoadOptions,
  recipeLoadLimits,
  type SessionOptions,
} from './options.js';
import { chooseProvider, offlineStandIn, type ProviderChoice } from './provider-choice.js';
import { recipePaths } from './recipe-paths.js';

export interface Session {
  cwd: string;
  plan: Plan;
  choice: ProviderChoice;
  cacheDir: string;
  lockPath: string;
  lock: LockFileContent;
  /** The cache for this run's provider. */
  probe: CacheProbe;
  /**
   * The cache for Replicate, which the estimate counts: the same probe when the run is on Replicate;
   * offline a second one under Replicate's task keys, so that placeholders never count as paid results.
   */
  replicateProbe: CacheProbe;
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
  limits: RecipeLoadOptions = {},
  catalog: Catalog = createCatalog(),
): Promise<Plan> {
  const recipes = await loadRecipes(recipePaths(files, cwd), { catalog, ...recipeLoadLimits(limits, cwd) });
  return createPlan(recipes, catalog);
}

export async function openSession(
  files: readonly string[],
  options: SessionOptions,
  mode: { frozen?: boolean } = {},
): Promise<Session> {
  const cwd = options.cwd ?? process.cwd();
  const plan = await loadPlan(files, cwd, options);
  const choice = chooseProvider(options.provider, options.replicate, mode);
  const cacheDir = resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR);
  const lockPath = lockPathFor(plan, options.lock, cwd);
  const lock = await readLock(lockPath);
  const localUpscaler =
    choice.name === 'local' ? await resolveLocalUpscaler(options.localUpscaler) : undefined;
  const probe = await probeCache(plan, choice, cacheDir, lock, localUpscaler);
  const replicateProbe =
    choice.name === 'replicate' ? probe : await probeCache(plan, REPLICATE_ESTIMATE, cacheDir, lock);
  return {
    cwd,
    plan,
    choice,
    cacheDir,
    lockPath,
    lock,
    probe,
    replicateProbe,
    ...(localUpscaler === undefined ? {} : { localUpscaler }),
  };
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
  lock: LockFileContent,
  localUpscaler?: LocalUpscaler,
): Promise<CacheProbe> {
  const result = await runPlan(plan, {
    provider: offlineStandIn(choice, localUpscaler),
    cache: createCache(cacheDir),
    outDir: cacheDir,
    probe: true,
    lock,
  });
  const cached = new Set<string>();
  let complete = true;
  for (const recipe of result.recipes) {
    for (const [index, asset] of recipe.assets.entries()) {
      if (asset.status !== 'ok') complete = false;
      const key = recipe.recipe.assets[index]?.key ?? '';
      for (const step of asset.steps) if (step.cache_hit) cached.add(`${key}#${step.id}`);
    }
  }
  return { isCached: (asset, step) => cached.has(`${asset}#${step}`), complete };
}

/** Where the lock lives: the `lock` option, else `assetgen.lock` beside the first recipe. */
export function lockPathFor(plan: Plan, explicit: string | undefined, cwd: string): string {
  if (explicit !== undefined) return resolve(cwd, explicit);
  return join(plan.recipes[0]?.loaded.dir ?? cwd, LOCK_FILE);
}
