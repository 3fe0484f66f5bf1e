/**
 * Where each asset of a plan is declared in its recipe, for reports and `asset-failed` events: a recipe's
 * text is parsed for positions only when one of its assets needs locating.
 */
import type { SourceLocation } from '../errors.js';
import type { Plan, PlannedRecipe } from '../plan/plan.js';
import { assetLocation, createRecipeLocator, type RecipeLocator } from '../recipe/index.js';
import type { RunEventListener } from '../run/events.js';

/** Adds to `asset-failed` events where the asset is declared (located once per recipe, on first need). */
export function withAssetLocations(
  locate: (assetKey: string) => SourceLocation,
  emit: RunEventListener,
): RunEventListener {
  return (event) => emit(event.type === 'asset-failed' ? { ...event, location: locate(event.asset) } : event);
}

/** Locates an asset by its key (`recipe/asset[/variant]`). */
export function assetLocator(plan: Plan): (assetKey: string) => SourceLocation {
  const locators = new Map<PlannedRecipe, RecipeLocator>();
  const byKey = new Map<string, { recipe: PlannedRecipe; assetId: string }>();
  return (assetKey) => {
    if (byKey.size === 0)
      for (const recipe of plan.recipes)
        for (const asset of recipe.assets) byKey.set(asset.key, { recipe, assetId: asset.instance.assetId });
    const found = byKey.get(assetKey);
    const recipe = found?.recipe ?? plan.recipes[0];
    if (recipe === undefined) return { file: '', line: 1, column: 1 };
    let locate = locators.get(recipe);
    if (locate === undefined) {
      locate = createRecipeLocator(recipe.loaded);
      locators.set(recipe, locate);
    }
    return found === undefined ? locate([]) : assetLocation(recipe.loaded, locate, found.assetId);
  };
}
