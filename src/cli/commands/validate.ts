import { validateRecipes } from '../../api/validate.js';
import { formatProblem, RecipeError } from '../../errors.js';
import { cacheOptions } from '../cache-options.js';
import type { CommandOutput } from '../command-output.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../format.js';
import { replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';

/**
 * `assetgen validate <files…>`: every problem of every file at once (printed by main, exit 2), the files
 * each recipe names decoded; warnings on stderr.
 */
export interface ValidateCommandOptions extends RecipeLimitFlags {
  cacheDir?: string;
  /** `--cache s3://…`: the shared cache behind the folder. */
  cache?: string;
  lock?: string;
  baseUrl?: string;
}

export async function validateCommand(
  files: readonly string[],
  options: ValidateCommandOptions,
  output: CommandOutput,
): Promise<number> {
  const { io } = output;
  const result = await validateRecipes(files, {
    cwd: io.cwd,
    ...recipeLimits(options),
    replicate: replicateOptions(options, io),
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    ...cacheOptions(options.cache, io),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
  });
  if (!result.ok) throw new RecipeError(result.problems);
  output.recipes(result.recipes);
  for (const note of result.notes) io.err(`warning: ${note}`);
  for (const recipe of result.recipes) {
    for (const warning of recipe.warnings) io.err(`warning: ${formatProblem(warning)}`);
    io.out(`${recipe.file}: ok (${plural(recipe.assets, 'asset')})`);
  }
  return EXIT.ok;
}
