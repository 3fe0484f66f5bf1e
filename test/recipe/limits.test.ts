/** Hostile input: alias bombs, recursive aliases and oversized files are refused with a clear message. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { RecipeError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import { loadRecipe, MAX_RECIPE_BYTES } from '../../src/recipe/index.js';
import { brief, problemsOf, tempDir, yaml } from './_helpers.js';

const catalog = createCatalog();
let cleanup = () => {};
afterEach(() => cleanup());

test('a billion-laughs alias bomb is refused, pointing at the first alias', () => {
  const lol = (name: string, ref: string) => `${name}: &${name} [${Array(9).fill(`*${ref}`).join(', ')}]`;
  const text = yaml(
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    lol('b', 'a'),
    lol('c', 'b'),
    lol('d', 'c'),
    lol('e', 'd'),
    lol('f', 'e'),
    lol('g', 'f'),
    lol('h', 'g'),
    lol('i', 'h'),
  );
  const started = performance.now();
  const problems = problemsOf(text, catalog);
  expect(performance.now() - started).toBeLessThan(2000);
  expect(problems.map(brief)).toEqual([
    '2:8  (recipe): refused: the YAML aliases (*name) expand to too much data (more than 100 alias expansions, like a "billion laughs" document)',
  ]);
});

test('a few aliases are fine (and validated where they are used)', () => {
  const problems = problemsOf(
    yaml(
      'name: t',
      'assets: [{ id: a }]',
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: &in { prompt: x, num_outputs: 7 }',
      'outputs: [{ path: "{{ id }}-{{ n }}.png" }]',
    ),
    catalog,
  );
  expect(problems.map(brief)).toEqual([
    '6:42  steps[0].input.num_outputs: must be <= 4 (black-forest-labs/flux-schnell accepts 1 to 4)',
  ]);
});

test('a recursive alias is refused', () => {
  const problems = problemsOf(yaml('name: t', 'assets: &list [{ id: a }, *list]'), catalog);
  expect(problems.map(brief)).toEqual([
    '2:27  assets[1]: an alias (*name) refers to the structure that contains it; recipes cannot be recursive',
  ]);
});

test('recipe text over 1 MiB is refused before parsing', () => {
  const text = `name: big\n# ${'x'.repeat(MAX_RECIPE_BYTES)}\n`;
  expect(problemsOf(text, catalog).map(brief)).toEqual([
    '1:1  (recipe): the file is 1.0 MiB; recipes may be at most 1 MiB (split it into several recipes)',
  ]);
});

test('a recipe file over 1 MiB is refused without reading it', async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  const file = join(temp.dir, 'big.yaml');
  writeFileSync(file, `name: big\n# ${'x'.repeat(MAX_RECIPE_BYTES + 200_000)}\n`);
  const error = await loadRecipe(file, { catalog }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(RecipeError);
  expect((error as RecipeError).message).toBe(
    `${file}:1:1  (recipe): the file is 1.2 MiB; recipes may be at most 1 MiB (split it into several recipes)`,
  );
});
