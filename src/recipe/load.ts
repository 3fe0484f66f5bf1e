/**
 * Loading recipes: read (size-checked), parse with positions, validate in three passes. Every problem of
 * every file is reported at once in one RecipeError.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RecipeError, type RecipeProblem } from '../errors.js';
import type { Catalog } from '../models/catalog.js';
import { validateRecipeText } from './_validate.js';
import { createValidators, type Validators } from './_validators.js';
import { MAX_RECIPE_BYTES } from './_yaml-source.js';
import type { AssetgenRecipe } from './recipe-types.generated.js';

export interface LoadedRecipe {
  /** Absolute path of the recipe file. */
  file: string;
  /** Folder of the recipe file (relative paths resolve against it). */
  dir: string;
  /** The text. */
  source: string;
  /** Validated; each catalogued model step's input has the model schema's defaults applied. */
  recipe: AssetgenRecipe;
}

export interface LoadRecipeOptions {
  catalog: Catalog;
}

export interface ParseRecipeOptions extends LoadRecipeOptions {
  /** Where relative files resolve (default: the folder of `file`). */
  dir?: string;
}

/** Validates recipe text (tests, stdin). `file` names it in problems. Throws RecipeError with all problems. */
export function parseRecipeText(text: string, file: string, options: ParseRecipeOptions): LoadedRecipe {
  const result = parseWith(text, file, options.dir, createValidators(options.catalog));
  if ('problems' in result) throw new RecipeError(result.problems);
  return result;
}

export async function loadRecipe(file: string, options: LoadRecipeOptions): Promise<LoadedRecipe> {
  const [result] = await loadAll([file], createValidators(options.catalog));
  if (result === undefined || 'problems' in result) throw new RecipeError(result?.problems ?? []);
  return result;
}

/** Loads every file; the problems of all files come in ONE RecipeError. */
export async function loadRecipes(
  files: readonly string[],
  options: LoadRecipeOptions,
): Promise<LoadedRecipe[]> {
  const results = await loadAll(files, createValidators(options.catalog));
  const problems = results.flatMap((result) => ('problems' in result ? result.problems : []));
  if (problems.length > 0) throw new RecipeError(problems);
  return results as LoadedRecipe[];
}

type Outcome = LoadedRecipe | { problems: RecipeProblem[] };

async function loadAll(files: readonly string[], validators: Validators): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const file of files) {
    const read = await readRecipeFile(file);
    outcomes.push(typeof read === 'string' ? parseWith(read, file, undefined, validators) : read);
  }
  return outcomes;
}

async function readRecipeFile(file: string): Promise<string | { problems: RecipeProblem[] }> {
  const problem = (message: string) => ({
    problems: [{ location: { file, line: 1, column: 1 }, path: '', message }],
  });
  try {
    const info = await stat(file);
    if (info.isDirectory()) return problem('is a folder, not a recipe file');
    if (info.size > MAX_RECIPE_BYTES) {
      return problem(
        `the file is ${(info.size / (1024 * 1024)).toFixed(1)} MiB; recipes may be at most 1 MiB (split it into several recipes)`,
      );
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return problem(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(error)})`);
  }
}

function parseWith(text: string, file: string, dir: string | undefined, validators: Validators): Outcome {
  const absolute = resolve(file);
  const folder = dir ?? dirname(absolute);
  const result = validateRecipeText(text, file, folder, validators);
  if (result.recipe === undefined) return { problems: result.problems };
  return { file: absolute, dir: folder, source: text, recipe: result.recipe };
}
