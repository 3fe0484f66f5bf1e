/**
 * Source positions of a loaded recipe, for messages about it after validation (a failed asset, a budget
 * the estimate exceeds): the text is parsed again once per locator, so loading keeps no position map.
 */
import type { SourceLocation } from '../errors.js';
import type { PathSegment } from './_paths.js';
import { parseYamlSource } from './_yaml-source.js';
import type { LoadedRecipe } from './load.js';

/** Where a recipe path (e.g. `['assets', 2]`) sits in the file, falling back to its nearest ancestor. */
export type RecipeLocator = (segments: readonly PathSegment[]) => SourceLocation;

export function createRecipeLocator(recipe: Pick<LoadedRecipe, 'file' | 'source'>): RecipeLocator {
  let locate: ReturnType<typeof parseYamlSource>['locate'] | undefined;
  return (segments) => {
    locate ??= parseYamlSource(recipe.source, recipe.file).locate;
    const { line, column } = locate(segments, 'value');
    return { file: recipe.file, line, column };
  };
}

/** Where an asset is declared (its item under `assets:`); the recipe's top when the id is not found. */
export function assetLocation(
  recipe: Pick<LoadedRecipe, 'recipe'>,
  locate: RecipeLocator,
  assetId: string,
): SourceLocation {
  const index = recipe.recipe.assets.findIndex((asset) => asset.id === assetId);
  return locate(index < 0 ? [] : ['assets', index]);
}
