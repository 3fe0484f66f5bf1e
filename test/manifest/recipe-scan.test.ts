/**
 * scanManifest (manifest/recipe-scan.ts) on real files: the recipes asked for come out as JSON.parse
 * gives them, at every chunk size down to one byte (keys, escapes and characters of several bytes cut at
 * every place), the others are skipped; what is not a JSON object of the shape reads as no manifest; and
 * readExistingRecipes still refuses a newer format when it skips every recipe.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestError } from '../../src/errors.js';
import { scanManifest } from '../../src/manifest/recipe-scan.js';
import { MANIFEST_VERSION } from '../../src/manifest/types.js';
import { readExistingRecipes } from '../../src/manifest/write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-scan-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Recipes whose names and values hold every structural character inside strings. */
const recipes = {
  heroes: {
    source: 'recipes/heroes.yaml',
    assets: [
      { id: 'a', prompt: 'braces } { and brackets ] [ in "quotes", commas, colons: \\ done' },
      { id: 'ü-😀', nested: { deep: [[1, 2, { x: '}' }], []], empty: {} } },
    ],
  },
  'we "quote" {names}, too': { source: 'q.yaml', assets: [] },
  'z\\slash': { source: 'z.yaml', assets: [{ id: '\u0000\u001f' }] },
};

const manifestText = (top: Record<string, unknown>): string => `${JSON.stringify(top, null, 2)}\n`;

describe('scanManifest', () => {
  it('gives the recipes asked for as JSON.parse does, at every chunk size', async () => {
    const path = join(dir, 'manifest.json');
    const text = manifestText({
      manifest_version: MANIFEST_VERSION,
      generator: { name: 'assetgen', version: '1.0.0', recipes: { not: 'these' } },
      // A recipe named `__proto__` too, as an own member (an object literal would make it the prototype).
      recipes: JSON.parse(
        JSON.stringify(recipes).replace(/^\{/, '{"__proto__":{"source":"p.yaml","assets":[{"id":"p"}]},'),
      ),
      totals: { a: [1, { b: '"' }] },
    });
    await writeFile(path, text);
    const parsed = JSON.parse(text) as { recipes: Record<string, unknown> };
    for (const chunk of [1, 2, 3, 7, 64, 256 * 1024]) {
      const all = await scanManifest(path, () => true, chunk);
      expect(all?.version).toBe(MANIFEST_VERSION);
      expect(all?.hasRecipes).toBe(true);
      expect(all?.recipes).toEqual(parsed.recipes);
      expect(Object.keys(all?.recipes ?? {})).toEqual(Object.keys(parsed.recipes));
      const some = await scanManifest(path, (name) => name !== 'heroes', chunk);
      expect(Object.keys(some?.recipes ?? {})).toEqual(
        Object.keys(parsed.recipes).filter((n) => n !== 'heroes'),
      );
      const none = await scanManifest(path, () => false, chunk);
      expect(none).toEqual({ version: MANIFEST_VERSION, hasRecipes: true, recipes: {} });
    }
    // `__proto__` is a member, as JSON.parse makes it, not the object's prototype.
    const all = await scanManifest(path, () => true);
    expect(Object.getPrototypeOf(all?.recipes)).toBe(Object.prototype);
    expect(Object.hasOwn(all?.recipes ?? {}, '__proto__')).toBe(true);
  });

  it('finds the version wherever it stands, compact or indented', async () => {
    const path = join(dir, 'manifest.json');
    await writeFile(path, JSON.stringify({ recipes: { r: { assets: [] } }, manifest_version: 7 }));
    expect(await scanManifest(path, () => true, 5)).toEqual({
      version: 7,
      hasRecipes: true,
      recipes: { r: { assets: [] } },
    });
  });

  it('reads what is not a JSON object of the shape as no manifest', async () => {
    const path = join(dir, 'manifest.json');
    expect(await scanManifest(join(dir, 'missing.json'), () => true)).toBeUndefined();
    for (const text of [
      '',
      '[1, 2]',
      '"text"',
      '{"recipes": {"r": {"a": 1}}',
      '{"a": 1} trailing',
      '{"recipes": {"r": {"a": tru}}}',
    ]) {
      await writeFile(path, text);
      expect(await scanManifest(path, () => true), text).toBeUndefined();
    }
    await writeFile(path, '{"manifest_version": 2, "recipes": null}');
    expect(await scanManifest(path, () => true)).toEqual({ version: 2, hasRecipes: false, recipes: {} });
  });
});

describe('readExistingRecipes', () => {
  it('skips the recipes it is told to, and refuses a newer format even when it skips them all', async () => {
    const path = join(dir, 'manifest.json');
    await writeFile(
      path,
      manifestText({ manifest_version: MANIFEST_VERSION, recipes: { a: { assets: [] }, b: { assets: [] } } }),
    );
    expect(Object.keys(await readExistingRecipes(dir, (name) => name === 'a'))).toEqual(['b']);
    await writeFile(
      path,
      manifestText({ manifest_version: MANIFEST_VERSION + 1, recipes: { a: { assets: [] } } }),
    );
    const refused = await readExistingRecipes(dir, () => true).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ManifestError);
    expect((refused as Error).message).toMatch(/newer than this assetgen writes/);
  });
});
