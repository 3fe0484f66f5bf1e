import { createCatalog } from '../../models/catalog.js';
import { loadRecipes } from '../../recipe/index.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';
import { recipePaths } from '../recipe-paths.js';

/** `assetgen validate <files…>`: every problem of every file at once (thrown as one RecipeError). */
export async function validateCommand(files: readonly string[], io: CliIO): Promise<number> {
  const recipes = await loadRecipes(recipePaths(files, io.cwd), { catalog: createCatalog() });
  for (const loaded of recipes) io.out(`${loaded.file}: ok (${loaded.recipe.assets.length} assets)`);
  return EXIT.ok;
}
