import { validateRecipes } from '../../api/validate.js';
import { formatProblem, RecipeError } from '../../errors.js';
import type { CommandOutput } from '../command-output.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';

/**
 * `assetgen validate <files…>`: every problem of every file at once (printed by main, exit 2), the files
 * each recipe names decoded; warnings on stderr.
 */
export async function validateCommand(
  files: readonly string[],
  options: RecipeLimitFlags,
  output: CommandOutput,
): Promise<number> {
  const { io } = output;
  const result = await validateRecipes(files, { cwd: io.cwd, ...recipeLimits(options) });
  if (!result.ok) throw new RecipeError(result.problems);
  output.recipes(result.recipes);
  for (const recipe of result.recipes) {
    for (const warning of recipe.warnings) io.err(`warning: ${formatProblem(warning)}`);
    io.out(`${recipe.file}: ok (${plural(recipe.assets, 'asset')})`);
  }
  return EXIT.ok;
}
