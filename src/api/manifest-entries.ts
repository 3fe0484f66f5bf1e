/**
 * A run's result as manifest entries: one per recipe, its source relative to the caller's folder, and
 * the provider that made it — the one its model steps recorded, else the run's (`provider`) — while the
 * assets and outputs carry their own placeholder marks from the runner.
 */
import { relative } from 'node:path';
import { providerEntry, recipeProvider } from '../manifest/placeholders.js';
import type { ManifestProvider, ManifestRecipe } from '../manifest/types.js';
import type { RunResult } from '../run/runner.js';

export function manifestRecipes(
  result: RunResult,
  cwd: string,
  provider: ManifestProvider = providerEntry('unknown'),
): Record<string, ManifestRecipe> {
  return Object.fromEntries(
    result.recipes.map(({ recipe, assets }) => [
      recipe.name,
      {
        source: relative(cwd, recipe.loaded.file),
        output: recipe.outputFolder,
        provider: recipeProvider(assets) ?? provider,
        ...(recipe.profile === undefined ? {} : { profile: recipe.profile }),
        assets,
      },
    ]),
  );
}
