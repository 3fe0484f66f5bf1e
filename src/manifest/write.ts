/**
 * Writes `DIR/manifest.json`: recipes of this run replace their earlier entries, other recipes' entries
 * stay. Stable order (recipes by name, assets in recipe order, fixed key order), written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { RunResult } from '../run/runner.js';
import { writeFileAtomic } from '../store/atomic.js';
import type { Manifest, ManifestRecipe } from './types.js';

export const MANIFEST_FILE = 'manifest.json';
const SCHEMA_URL = 'https://assetgen.dev/schema/manifest.schema.json';

async function readExisting(path: string): Promise<Manifest['recipes']> {
  try {
    const existing = JSON.parse(await readFile(path, 'utf8')) as Partial<Manifest>;
    return existing.recipes ?? {};
  } catch {
    return {};
  }
}

export function buildManifest(
  recipes: Readonly<Record<string, ManifestRecipe>>,
  generatorVersion: string,
): Manifest {
  const sorted: Record<string, ManifestRecipe> = {};
  for (const name of Object.keys(recipes).sort()) {
    const recipe = recipes[name];
    if (recipe !== undefined) sorted[name] = recipe;
  }
  return { $schema: SCHEMA_URL, generator: { name: 'assetgen', version: generatorVersion }, recipes: sorted };
}

export async function writeManifest(
  outDir: string,
  result: RunResult,
  options: { generatorVersion: string; cwd?: string },
): Promise<{ path: string; manifest: Manifest }> {
  const path = join(outDir, MANIFEST_FILE);
  const recipes = await readExisting(path);
  for (const { recipe, assets } of result.recipes) {
    recipes[recipe.name] = {
      source: relative(options.cwd ?? process.cwd(), recipe.loaded.file),
      output: recipe.outputFolder,
      assets,
    };
  }
  const manifest = buildManifest(recipes, options.generatorVersion);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return { path, manifest };
}
