/**
 * Placeholders in the manifest: an output is a placeholder when its asset's model steps ran on the
 * offline stand-ins (provider `local`) instead of the real model, so a build can refuse to ship it.
 * One rule, used when a run writes its entries and when a version 1 manifest is read (it recorded each
 * step's provider, so the marks can be derived exactly).
 */
import type { ManifestProvider, ManifestRecipe, ManifestStep } from './types.js';

/** The provider whose model steps are offline stand-ins. */
export const OFFLINE_PROVIDER = 'local';

/** Whether any model step of an asset was made by an offline stand-in. */
export function madeOffline(steps: readonly ManifestStep[]): boolean {
  return steps.some((step) => step.kind === 'model' && step.provider === OFFLINE_PROVIDER);
}

export function providerEntry(name: string): ManifestProvider {
  return { name, offline: name === OFFLINE_PROVIDER };
}

/** The provider of a recipe's first model step (a run's model steps share one); undefined when none ran. */
export function recipeProvider(assets: readonly unknown[]): ManifestProvider | undefined {
  for (const asset of assets) {
    const steps = (asset as { steps?: unknown } | null)?.steps;
    if (!Array.isArray(steps)) continue;
    for (const step of steps as Array<Partial<ManifestStep> | null>)
      if (step?.kind === 'model' && typeof step.provider === 'string') return providerEntry(step.provider);
  }
  return undefined;
}

/** The manifest's top: one provider for all its recipes (`mixed` when they differ) and the placeholder count. */
export function providerTotals(
  recipes: Readonly<Record<string, ManifestRecipe>>,
  fallback: ManifestProvider,
): { provider: ManifestProvider; placeholders: number } {
  return providerTotalsOf(
    Object.values(recipes).map((recipe) => ({
      provider: recipe.provider,
      placeholders: recipe.assets.reduce(
        (total, asset) => total + asset.outputs.filter((output) => output.placeholder).length,
        0,
      ),
    })),
    fallback,
  );
}

/** `providerTotals` from each recipe's provider and placeholder count (what a streamed manifest tallies). */
export function providerTotalsOf(
  entries: ReadonlyArray<{ provider: ManifestProvider; placeholders: number }>,
  fallback: ManifestProvider,
): { provider: ManifestProvider; placeholders: number } {
  const names = new Set(entries.map((recipe) => recipe.provider.name));
  const placeholders = entries.reduce((total, recipe) => total + recipe.placeholders, 0);
  const [only] = names;
  const provider =
    only === undefined
      ? fallback
      : {
          name: names.size === 1 ? only : 'mixed',
          offline: entries.some((recipe) => recipe.provider.offline),
        };
  return { provider, placeholders };
}
