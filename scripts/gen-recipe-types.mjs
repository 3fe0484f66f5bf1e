#!/usr/bin/env node
// Generates src/recipe/recipe-types.generated.ts from schema/recipe.schema.json (the single source of truth).
// `--check` exits 1 when the committed file differs (test/recipe/schema-types.test.ts runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
export const typesFile = `${root}src/recipe/recipe-types.generated.ts`;

export async function generateRecipeTypes() {
  const schema = JSON.parse(readFileSync(`${root}schema/recipe.schema.json`, 'utf8'));
  const body = await compile(schema, 'AssetgenRecipe', {
    bannerComment:
      '// Generated from schema/recipe.schema.json by scripts/gen-recipe-types.mjs. Do not edit by hand:\n// change the schema and run `npm run gen:types`.',
    format: false,
    additionalProperties: false,
    strictIndexSignatures: true,
  });
  return body;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const body = await generateRecipeTypes();
  if (process.argv.includes('--check')) {
    const current = readFileSync(typesFile, 'utf8');
    if (current !== body) {
      console.error('src/recipe/recipe-types.generated.ts is out of date: run npm run gen:types');
      process.exit(1);
    }
  } else {
    writeFileSync(typesFile, body);
  }
}
