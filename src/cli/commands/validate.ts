import { validateRecipes } from '../../api/validate.js';
import { formatProblem, RecipeError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';
import type { CliIO } from '../output.js';

/**
 * `assetgen validate <files…>`: every problem of every file at once (printed by main, exit 2), the files
 * each recipe names decoded; warnings on stderr.
 */
export async function validateCommand(
  files: readonly string[],
  options: RecipeLimitFlags,
  io: CliIO,
): Promise<number> {
  const result = await validateRecipes(files, { cwd: io.cwd, ...recipeLimits(options) });
  if (!result.ok) throw new RecipeError(result.problems);
  for (const recipe of result.recipes) {
    for (const warning of recipe.warnings) io.err(`warning: ${formatProblem(warning)}`);
    io.out(`${recipe.file}: ok (${plural(recipe.assets, 'asset')})`);
  }
  return EXIT.ok;
}
