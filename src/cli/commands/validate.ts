import { validateRecipes } from '../../api/validate.js';
import { RecipeError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import type { CliIO } from '../output.js';

/** `assetgen validate <files…>`: every problem of every file at once (printed by main, exit 2). */
export async function validateCommand(files: readonly string[], io: CliIO): Promise<number> {
  const result = await validateRecipes(files, { cwd: io.cwd });
  if (!result.ok) throw new RecipeError(result.problems);
  for (const recipe of result.recipes) io.out(`${recipe.file}: ok (${plural(recipe.assets, 'asset')})`);
  return EXIT.ok;
}
