/**
 * `validateRecipes`: loads and checks recipe files — the recipe schema, each model's input schema and the
 * cross-field rules, the local files each names (decoded) — and answers with data: every problem of every
 * file (file:line:column, recipe path, message), never a thrown wall of text. Writes nothing but the
 * schemas it fetched (with a token) into the cache's `schemas/` (and the shared store, with `cache`); with
 * `cache`, schemas pinned or fetched before on another machine are read from the shared store.
 */
import { RecipeError, type RecipeProblem } from '../errors.js';
import { loadRecipes } from '../recipe/index.js';
import type { AssetgenRecipe } from '../recipe/recipe-types.generated.js';
import { resolveRecipeModels } from './model-resolution.js';
import {
  type CacheOptions,
  type RecipeLoadOptions,
  type ReplicateOptions,
  recipeLoadLimits,
} from './options.js';
import { recipePaths } from './recipe-paths.js';
import { withSharedCache } from './shared-cache.js';

export interface ValidateRecipesOptions extends RecipeLoadOptions, CacheOptions {
  /** Folder that relative paths resolve against. Default: `process.cwd()`. */
  cwd?: string;
  /**
   * Where fetched model schemas are kept (default `.assetgen/cache`): the only place validate writes, with
   * the shared store behind it (`cache`).
   */
  cacheDir?: string;
  /** The lock that pins fetched schemas (default: `assetgen.lock` beside the first recipe). */
  lock?: string;
  /** With a token, models outside the catalog are looked up on Replicate (nothing is created). */
  replicate?: ReplicateOptions;
  /** `check`-strict: a model whose schema was never fetched is a problem, not a warning. */
  requireSchemas?: boolean;
  signal?: AbortSignal;
}

export interface ValidRecipe {
  /** Absolute path of the recipe file. */
  file: string;
  name: string;
  /** Assets as written (before variants). */
  assets: number;
  /** Asset × variant instances, i.e. what a run makes. */
  instances: number;
  /** The validated document, with each catalogued model's input defaults applied. */
  recipe: AssetgenRecipe;
  /** Not errors, worth saying (e.g. a prompt longer than the model reads), located like problems. */
  warnings: RecipeProblem[];
  /** The local files it reads (overlays, file inputs): absolute, symbolic links resolved. */
  localFiles: string[];
}

export type ValidationResult =
  | {
      ok: true;
      recipes: ValidRecipe[];
      problems: [];
      /** Unlocated notes about the models' schemas (a pinned official schema that changed). */
      notes: string[];
      /** `owner/name` of the models whose schema was fetched from Replicate by this call. */
      fetched: string[];
    }
  | { ok: false; recipes: []; problems: RecipeProblem[] };

export async function validateRecipes(
  files: readonly string[],
  options: ValidateRecipesOptions = {},
): Promise<ValidationResult> {
  const cwd = options.cwd ?? process.cwd();
  const paths = recipePaths(files, cwd);
  const models = await withSharedCache(options, async (remote) => {
    const resolved = await resolveRecipeModels(paths, {
      cwd,
      cacheDir: options.cacheDir,
      remote,
      lock: options.lock,
      replicate: options.replicate,
      offline: options.requireSchemas === true,
      signal: options.signal,
    });
    await resolved.lock.close(); // only its pins were needed
    return resolved;
  });
  try {
    const loaded = await loadRecipes(paths, {
      catalog: models.catalog,
      ...recipeLoadLimits(options, cwd),
      ...(options.requireSchemas === true ? { requireSchemas: true } : {}),
    });
    const recipes = loaded.map((recipe) => ({
      file: recipe.file,
      name: recipe.recipe.name,
      assets: recipe.recipe.assets.length,
      instances: instanceCount(recipe.recipe),
      recipe: recipe.recipe,
      warnings: recipe.warnings,
      localFiles: recipe.localFiles,
    }));
    return { ok: true, recipes, problems: [], notes: models.notes, fetched: models.fetched };
  } catch (error) {
    if (error instanceof RecipeError) return { ok: false, recipes: [], problems: [...error.problems] };
    throw error;
  }
}

/** Assets × every combination of variant values (counted, not expanded). */
function instanceCount(recipe: AssetgenRecipe): number {
  let combinations = 1;
  for (const values of Object.values(recipe.variants ?? {}))
    if (Array.isArray(values) && values.length > 0) combinations *= values.length;
  return recipe.assets.length * combinations;
}
