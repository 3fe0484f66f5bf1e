import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RecipeError, type RecipeProblem } from '../../src/errors.js';
import type { Catalog } from '../../src/models/catalog.js';
import { parseRecipeText } from '../../src/recipe/index.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'recipes');

/** A YAML text from lines, so line numbers in the tests are easy to read. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The problems `parseRecipeText` reports (fails the test when the recipe is valid). */
export function problemsOf(text: string, catalog: Catalog, dir = FIXTURES): RecipeProblem[] {
  try {
    parseRecipeText(text, 'recipe.yaml', { catalog, dir });
  } catch (error) {
    expect(error).toBeInstanceOf(RecipeError);
    return [...(error as RecipeError).problems];
  }
  expect.fail('expected the recipe to be invalid, but it was accepted');
}

/** `line:column  path: message`, for readable assertion failures. */
export function brief(problem: RecipeProblem): string {
  return `${problem.location.line}:${problem.location.column}  ${problem.path || '(recipe)'}: ${problem.message}`;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'assetgen-recipe-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
