/**
 * Loading recipes: read (size-checked, UTF-8 only), parse with positions, validate in three passes, then
 * inspect the local files the recipe names (each must decode as an image within the pixel limit). Every
 * problem of every file is reported at once in one RecipeError.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RecipeError, type RecipeProblem } from '../errors.js';
import type { Catalog } from '../models/catalog.js';
import { inspectRecipeFiles } from './_check-files.js';
import { decodeRecipeBytes } from './_utf8.js';
import { type ValidateOptions, validateRecipeText } from './_validate.js';
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
  /** Not errors, but worth saying before a run (e.g. a prompt longer than the model reads). */
  warnings: RecipeProblem[];
  /** The profile applied to `recipe` (its `profiles:` entry); absent: the recipe as written. */
  profile?: string;
  /** The local files it names (overlays, file inputs): absolute, symbolic links resolved, each once. */
  localFiles: string[];
}

export interface LoadRecipeOptions {
  catalog: Catalog;
  /** Most asset × variant instances per recipe (default: the recipe's `limits.max_instances`, else 10,000). */
  maxInstances?: number;
  /** Folders besides each recipe's own that overlays and file inputs may come from (absolute paths). */
  allowRoots?: readonly string[];
  /** A model whose schema was never fetched is a problem (`--frozen`, `check`), not a warning. */
  requireSchemas?: boolean;
  /** The profile to apply to every recipe (each must declare it). */
  profile?: string;
}

export interface ParseRecipeOptions extends LoadRecipeOptions {
  /** Where relative files resolve (default: the folder of `file`). */
  dir?: string;
}

/**
 * Validates recipe text (tests, stdin). `file` names it in problems. Throws RecipeError with all problems.
 * Local files are checked to exist but not opened: `loadRecipeText` also decodes them.
 */
export function parseRecipeText(text: string, file: string, options: ParseRecipeOptions): LoadedRecipe {
  const result = parseWith(text, file, options.dir, createValidators(options.catalog), options);
  if ('problems' in result) throw new RecipeError(result.problems);
  return result.loaded;
}

/** `parseRecipeText`, plus the inspection of every local file the recipe names (as `loadRecipe` does). */
export async function loadRecipeText(
  text: string,
  file: string,
  options: ParseRecipeOptions,
): Promise<LoadedRecipe> {
  const result = await inspected(
    parseWith(text, file, options.dir, createValidators(options.catalog), options),
    file,
  );
  if ('problems' in result) throw new RecipeError(result.problems);
  return result;
}

export async function loadRecipe(file: string, options: LoadRecipeOptions): Promise<LoadedRecipe> {
  const [result] = await loadAll([file], createValidators(options.catalog), options);
  if (result === undefined || 'problems' in result) throw new RecipeError(result?.problems ?? []);
  return result;
}

/** Loads every file; the problems of all files come in ONE RecipeError. */
export async function loadRecipes(
  files: readonly string[],
  options: LoadRecipeOptions,
): Promise<LoadedRecipe[]> {
  const results = await loadAll(files, createValidators(options.catalog), options);
  const problems = results.flatMap((result) => ('problems' in result ? result.problems : []));
  if (problems.length > 0) throw new RecipeError(problems);
  return results as LoadedRecipe[];
}

type Failed = { problems: RecipeProblem[] };
type Outcome = LoadedRecipe | Failed;
type Parsed = ({ loaded: LoadedRecipe } | Failed) & { files: Parameters<typeof inspectRecipeFiles>[1] };

async function loadAll(
  files: readonly string[],
  validators: Validators,
  options: ValidateOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const file of files) {
    const read = await readRecipeFile(file);
    outcomes.push(
      typeof read === 'string'
        ? await inspected(parseWith(read, file, undefined, validators, options), file)
        : read,
    );
  }
  return outcomes;
}

/** Adds the problems of the recipe's local files (decoded now) to those validation found. */
async function inspected(parsed: Parsed, file: string): Promise<Outcome> {
  const fileProblems = await inspectRecipeFiles(file, parsed.files);
  if (!('problems' in parsed) && fileProblems.length === 0) return parsed.loaded;
  const all = [...('problems' in parsed ? parsed.problems : []), ...fileProblems];
  all.sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
  return { problems: all };
}

async function readRecipeFile(file: string): Promise<string | Failed> {
  const problem = (message: string, line = 1, column = 1) => ({
    problems: [{ location: { file, line, column }, path: '', message }],
  });
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) return problem('is a folder, not a recipe file');
    if (info.size > MAX_RECIPE_BYTES) {
      return problem(
        `the file is ${(info.size / (1024 * 1024)).toFixed(1)} MiB; recipes may be at most 1 MiB (split it into several recipes)`,
      );
    }
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return problem(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(error)})`);
  }
  const decoded = decodeRecipeBytes(bytes);
  return 'text' in decoded ? decoded.text : problem(decoded.message, decoded.line, decoded.column);
}

function parseWith(
  text: string,
  file: string,
  dir: string | undefined,
  validators: Validators,
  options: ValidateOptions,
): Parsed {
  const absolute = resolve(file);
  const folder = dir ?? dirname(absolute);
  const limits: ValidateOptions = {
    ...(options.maxInstances === undefined ? {} : { maxInstances: options.maxInstances }),
    ...(options.allowRoots === undefined ? {} : { allowRoots: options.allowRoots }),
    ...(options.requireSchemas === true ? { requireSchemas: true } : {}),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  const result = validateRecipeText(text, file, folder, validators, limits);
  if (result.recipe === undefined) return { problems: result.problems, files: result.files };
  const loaded: LoadedRecipe = {
    file: absolute,
    dir: folder,
    source: text,
    recipe: result.recipe,
    warnings: result.warnings,
    localFiles: [...new Set(result.files.map((use) => use.path))],
  };
  if (options.profile !== undefined) loaded.profile = options.profile;
  return { loaded, files: result.files };
}
