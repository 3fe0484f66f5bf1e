/**
 * Writes `DIR/manifest.json`: the recipes given replace their earlier entries, other recipes' entries
 * stay. Stable order (recipes by name, assets in recipe order, fixed key order), written atomically.
 * Refuses to merge into a manifest of a newer format version (it would lose what it does not know).
 */
import { join } from 'node:path';
import { ManifestError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { providerEntry, providerTotals } from './placeholders.js';
import { MANIFEST_FILE } from './read.js';
import { scanManifest } from './recipe-scan.js';
import { MANIFEST_VERSION, type Manifest, type ManifestProvider, type ManifestRecipe } from './types.js';
import { upgradeRecipesFromV1 } from './upgrade.js';

export { MANIFEST_FILE } from './read.js';

const SCHEMA_URL = 'https://assetgen.dev/schema/manifest.schema.json';

/**
 * The recipes of the manifest already in `outDir` (none when there is none, or it is not JSON: it is
 * rewritten), read without holding the skipped ones (recipe-scan.ts). Throws ManifestError when it is of
 * a newer format version.
 */
export async function readExistingRecipes(
  outDir: string,
  /** Recipes not wanted (about to be written anew): skipped unread, however large. */
  skip: (recipe: string) => boolean = () => false,
): Promise<Manifest['recipes']> {
  const path = join(outDir, MANIFEST_FILE);
  const existing = await scanManifest(path, (recipe) => !skip(recipe));
  if (existing === undefined) return {};
  const { version } = existing;
  if (typeof version === 'number' && version > MANIFEST_VERSION) {
    throw new ManifestError(
      'MANIFEST_VERSION',
      path,
      `${path} has format version ${version}, newer than this assetgen writes (${MANIFEST_VERSION}); nothing was run (upgrade assetgen, or write to another --out folder)`,
    );
  }
  if (!existing.hasRecipes) return {};
  const { recipes } = existing;
  // Entries of an older version are upgraded, so the merged manifest is of one version throughout.
  const current = typeof version === 'number' && version >= MANIFEST_VERSION;
  return (current ? recipes : upgradeRecipesFromV1(recipes)) as Manifest['recipes'];
}

/** `provider`: the run's, for the top of a manifest without recipes. */
export function buildManifest(
  recipes: Readonly<Record<string, ManifestRecipe>>,
  generatorVersion: string,
  provider: ManifestProvider,
): Manifest {
  return manifestTop(recipes, generatorVersion, providerTotals(recipes, provider));
}

/** The manifest around its recipes (sorted by name), with the top's totals as given. */
export function manifestTop(
  recipes: Readonly<Record<string, ManifestRecipe>>,
  generatorVersion: string,
  totals: { provider: ManifestProvider; placeholders: number },
): Manifest {
  const sorted: Record<string, ManifestRecipe> = {};
  for (const name of Object.keys(recipes).sort()) {
    const recipe = recipes[name];
    if (recipe !== undefined) sorted[name] = recipe;
  }
  return {
    $schema: SCHEMA_URL,
    manifest_version: MANIFEST_VERSION,
    generator: { name: 'assetgen', version: generatorVersion },
    ...totals,
    recipes: sorted,
  };
}

/** Merges `recipes` (by recipe name) into `outDir/manifest.json`. */
export async function writeManifest(
  outDir: string,
  recipes: Readonly<Record<string, ManifestRecipe>>,
  /**
   * `provider`: the run's, for the top of a manifest without recipes; `stagingDir`: where the temporary
   * file is made (the cache's `tmp/`, so that none is left in the output folder).
   */
  options: { generatorVersion: string; provider?: ManifestProvider; stagingDir?: string },
): Promise<{ path: string; manifest: Manifest }> {
  const path = join(outDir, MANIFEST_FILE);
  const merged = { ...(await readExistingRecipes(outDir)), ...recipes };
  const manifest = buildManifest(
    merged,
    options.generatorVersion,
    options.provider ?? providerEntry('unknown'),
  );
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, {
    doing: 'write the manifest',
    place: 'output',
    ...(options.stagingDir === undefined ? {} : { stagingDir: options.stagingDir }),
  });
  return { path, manifest };
}
