/**
 * Manifests of an older format version, brought to the current one in memory (for `readManifest` and
 * for merging a run into an older manifest). Version 1 → 2 adds each recipe's provider and the
 * `placeholder` marks, derived from the provider every model step recorded. Values that do not have the
 * expected shape are left as they are, for the schema check to report.
 */
import { madeOffline, providerEntry, providerTotals, recipeProvider } from './placeholders.js';
import type { ManifestRecipe, ManifestStep } from './types.js';

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Recipe entries of a version 1 manifest as version 2 entries. */
export function upgradeRecipesFromV1(recipes: unknown): unknown {
  if (!isRecord(recipes)) return recipes;
  return Object.fromEntries(Object.entries(recipes).map(([name, recipe]) => [name, upgradeRecipe(recipe)]));
}

/** A whole version 1 manifest (or one from before `manifest_version`) as version 2. */
export function upgradeManifestFromV1(manifest: Json): Json {
  const recipes = upgradeRecipesFromV1(manifest.recipes);
  const { manifest_version: _, recipes: __, ...rest } = manifest;
  const totals =
    isRecord(recipes) && Object.values(recipes).every(isUpgradedRecipe)
      ? providerTotals(recipes as Record<string, ManifestRecipe>, providerEntry('unknown'))
      : {};
  return { ...rest, manifest_version: 2, ...totals, recipes };
}

function isUpgradedRecipe(recipe: unknown): boolean {
  return (
    isRecord(recipe) &&
    isRecord(recipe.provider) &&
    Array.isArray(recipe.assets) &&
    recipe.assets.every((asset) => isRecord(asset) && Array.isArray(asset.outputs))
  );
}

function upgradeRecipe(recipe: unknown): unknown {
  if (!isRecord(recipe) || !Array.isArray(recipe.assets)) return recipe;
  const assets = recipe.assets.map(upgradeAsset);
  return insertAfter(
    { ...recipe, assets },
    'output',
    'provider',
    recipeProvider(recipe.assets) ?? providerEntry('unknown'),
  );
}

function upgradeAsset(asset: unknown): unknown {
  if (!isRecord(asset) || !Array.isArray(asset.steps) || !asset.steps.every(isRecord)) return asset;
  const placeholder = madeOffline(asset.steps as unknown as ManifestStep[]);
  const outputs = Array.isArray(asset.outputs)
    ? asset.outputs.map((output) => (isRecord(output) ? { ...output, placeholder } : output))
    : asset.outputs;
  return insertAfter({ ...asset, outputs }, 'status', 'placeholder', placeholder);
}

/** A copy with `key` placed right after `after` (at the end when `after` is missing): a stable key order. */
function insertAfter(object: Json, after: string, key: string, value: unknown): Json {
  const entries = Object.entries(object).filter(([name]) => name !== key);
  const index = entries.findIndex(([name]) => name === after);
  entries.splice(index < 0 ? entries.length : index + 1, 0, [key, value]);
  return Object.fromEntries(entries);
}
