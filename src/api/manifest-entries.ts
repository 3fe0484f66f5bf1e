/**
 * A run's result as manifest entries: one per recipe, its source relative to the caller's folder, and
 * the provider that made it (the assets and outputs carry their own placeholder marks from the runner).
 */
import { relative } from 'node:path';
import type { ManifestProvider, ManifestRecipe } from '../manifest/types.js';
import type { RunResult } from '../run/runner.js';

export function manifestRecipes(
  result: RunResult,
  cwd: string,
  provider: ManifestProvider,
): Record<string, ManifestRecipe> {
  return Object.fromEntries(
    result.recipes.map(({ recipe, assets }) => [
      recipe.name,
      { source: relative(cwd, recipe.loaded.file), output: recipe.outputFolder, provider, assets },
    ]),
  );
}
