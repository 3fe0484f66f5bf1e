/** The recipe schema is the single source of truth: the committed types must be what it generates. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { generateRecipeTypes, typesFile } from '../../scripts/gen-recipe-types.mjs';

test('src/recipe/recipe-types.generated.ts matches schema/recipe.schema.json (run npm run gen:types)', async () => {
  const generated = await generateRecipeTypes();
  expect(typesFile.endsWith('src/recipe/recipe-types.generated.ts')).toBe(true);
  expect(readFileSync(typesFile, 'utf8')).toBe(generated);
});
