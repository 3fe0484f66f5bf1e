import { chmod, copyFile, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { RecipeError, UsageError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import {
  editPick,
  expandInstances,
  parseRecipeText,
  pickArguments,
  pickInFile,
} from '../../src/recipe/index.js';
import { brief, problemsOf, tempDir, yaml } from './_helpers.js';

const catalog = createCatalog();
const heroesFile = resolve(import.meta.dirname, '../../recipes/blog-heroes.yaml');

/** A recipe with two variants and assets written in the layouts `pick` has to edit. */
const layouts = yaml(
  '# comment at the top',
  'name: layouts',
  'assets:',
  '  - id: block # the first asset',
  '    subject: "a kite"   # odd   spacing stays',
  '  - pick: { seed: 7 }',
  '    id: first-key',
  '    subject: a boat',
  '  - id: nested',
  '    subject: a cup',
  '    pick: # chosen by hand',
  '      seed: 7',
  '      style: ink wash',
  '',
  '    # a comment after nested',
  '  - { id: flow, subject: a lamp }',
  '  - { id: flow-picked, pick: {seed: 7}, subject: a sun }',
  'variants:',
  '  seed: [7, 42]',
  '  style: [ink wash, "42", plain]',
  'steps:',
  '  - id: art',
  '    model: black-forest-labs/flux-schnell',
  '    input: { prompt: "{{ subject }}", megapixels: "0.25" }',
  'outputs:',
  '  - path: "{{ id }}-{{ seed }}-{{ style | slug }}.png"',
);

/** The lines that differ between two texts (removed with -, added with +), in order. */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return [
    ...a.slice(head, a.length - tail).map((line) => `- ${line}`),
    ...b.slice(head, b.length - tail).map((line) => `+ ${line}`),
  ];
}

const edit = (assetId: string, values: Record<string, string | number> | null) =>
  editPick(layouts, 'layouts.yaml', assetId, values);

describe('editPick keeps every byte but the pick', () => {
  test('adds pick: under a block asset, typed like the variant (42 is a number)', async () => {
    const text = await readFile(heroesFile, 'utf8');
    const change = editPick(text, 'blog-heroes.yaml', 'launch', { seed: '42' });
    expect(change).toMatchObject({ changed: true, after: { seed: 42 }, before: undefined, combinations: 1 });
    expect(changedLines(text, change.text)).toEqual(['+     pick: { seed: 42 }']);
  });

  test('strings stay strings: "42" of a text variant is written quoted, spaces are kept', () => {
    const change = edit('block', { seed: '7', style: '42' });
    expect(change.after).toEqual({ seed: 7, style: '42' });
    expect(changedLines(layouts, change.text)).toEqual(['+     pick: { seed: 7, style: "42" }']);
    expect(edit('block', { style: 'ink wash' }).text).toContain('    pick: { style: ink wash }\n  - pick:');
  });

  test('a partial pick narrows the variants; the pick follows the variants’ order', () => {
    const change = edit('block', { style: 'plain', seed: 42 });
    expect(change.after).toEqual({ seed: 42, style: 'plain' });
    expect(Object.keys(change.after ?? {})).toEqual(['seed', 'style']);
    expect(edit('block', { style: 'plain' })).toMatchObject({ combinations: 2, totalCombinations: 6 });
  });

  test('replaces a block pick with one line and keeps the comment before it', () => {
    const change = edit('nested', { seed: 42 });
    expect(change.before).toEqual({ seed: 7, style: 'ink wash' });
    expect(changedLines(layouts, change.text)).toEqual([
      '-     pick: # chosen by hand',
      '-       seed: 7',
      '-       style: ink wash',
      '+     pick: { seed: 42 }',
    ]);
  });

  test('replaces and removes picks in flow maps and as the first key of an item', () => {
    expect(changedLines(layouts, edit('flow', { seed: 42 }).text)).toEqual([
      '-   - { id: flow, subject: a lamp }',
      '+   - { id: flow, subject: a lamp, pick: { seed: 42 } }',
    ]);
    expect(changedLines(layouts, edit('flow-picked', null).text)).toEqual([
      '-   - { id: flow-picked, pick: {seed: 7}, subject: a sun }',
      '+   - { id: flow-picked, subject: a sun }',
    ]);
    expect(changedLines(layouts, edit('first-key', null).text)).toEqual([
      '-   - pick: { seed: 7 }',
      '-     id: first-key',
      '+   - id: first-key',
    ]);
    expect(changedLines(layouts, edit('first-key', { seed: 42 }).text)).toEqual([
      '-   - pick: { seed: 7 }',
      '+   - pick: { seed: 42 }',
    ]);
    expect(changedLines(layouts, edit('nested', null).text)).toEqual([
      '-     pick: # chosen by hand',
      '-       seed: 7',
      '-       style: ink wash',
    ]);
  });

  test('the same pick again, or clearing none, changes nothing', () => {
    expect(edit('first-key', { seed: 7 })).toMatchObject({ changed: false, text: layouts });
    expect(edit('block', null)).toMatchObject({ changed: false, text: layouts });
  });

  test('each result is a valid recipe whose asset makes only the picked variants', () => {
    const change = edit('block', { seed: 42, style: 'plain' });
    const loaded = parseRecipeText(change.text, 'layouts.yaml', { catalog, dir: '.' });
    const made = expandInstances(loaded.recipe).filter((instance) => instance.assetId === 'block');
    expect(made.map((instance) => instance.variantLabel)).toEqual(['seed-42_style-plain']);
  });

  test('a layout a splice cannot edit (a kept block scalar last) falls back to the Document printer', () => {
    const text = yaml(
      'assets:',
      '  - id: a',
      '    note: |+',
      '      hello',
      '',
      'variants: { seed: [1, 2] }',
    );
    const change = editPick(text, 'x.yaml', 'a', { seed: 2 });
    expect(parse(change.text)).toEqual({
      assets: [{ id: 'a', note: 'hello\n\n', pick: { seed: 2 } }],
      variants: { seed: [1, 2] },
    });
  });

  test('a file without a final newline gets a correct line', () => {
    const text = 'name: x\nassets:\n  - id: a\nvariants:\n  seed: [1, 2]\nsteps: []\noutputs: []';
    const bare = text.replace('variants:\n  seed: [1, 2]\nsteps: []\noutputs: []', '').trimEnd();
    expect(editPick(`${bare}\nvariants: { seed: [1, 2] }`, 'x', 'a', { seed: 2 }).text).toBe(
      'name: x\nassets:\n  - id: a\n    pick: { seed: 2 }\nvariants: { seed: [1, 2] }',
    );
    const last = 'name: x\nvariants: { seed: [1, 2] }\nassets:\n  - id: a';
    expect(editPick(last, 'x', 'a', { seed: 1 }).text).toBe(`${last}\n    pick: { seed: 1 }\n`);
  });
});

describe('editPick refuses what does not exist, naming what does', () => {
  const message = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    return expect.fail('expected a UsageError');
  };

  test('an unknown asset, variant or value, with a suggestion', () => {
    expect(message(() => edit('blok', { seed: 42 }))).toBe(
      'layouts.yaml has no asset "blok" (did you mean "block"?); its assets are block, first-key, nested, flow, flow-picked',
    );
    expect(message(() => edit('block', { sed: 42 }))).toBe(
      '"sed" is not a variant of layouts.yaml (did you mean "seed"?); its variants are seed, style',
    );
    expect(message(() => edit('block', { seed: '43' }))).toBe(
      'expected one of 7, 42 for variant "seed" of block but received 43 (did you mean 42?)',
    );
    expect(message(() => edit('block', { style: 'ink-wash' }))).toBe(
      'expected one of "ink wash", "42", "plain" for variant "style" of block but received ink-wash (did you mean "ink wash"?)',
    );
  });

  test('nothing named, or nothing to pick from', () => {
    expect(message(() => edit('block', {}))).toMatch(/^name the variant to pick for "block", e\.g\. seed=7/);
    const plain = 'name: x\nassets:\n  - id: a\nsteps: []\noutputs: []\n';
    expect(message(() => editPick(plain, 'x.yaml', 'a', { seed: 1 }))).toMatch(/^x\.yaml has no variants/);
  });

  test('text that is not YAML gives the located syntax problem', () => {
    expect(() => editPick('assets: [\n', 'bad.yaml', 'a', { seed: 1 })).toThrow(RecipeError);
  });
});

describe('pick: in validation', () => {
  test('a picked value that is not among the variants is a located problem', () => {
    const text = layouts.replace('- pick: { seed: 7 }', '- pick: { seed: 43, size: 1, style: 42 }');
    expect(problemsOf(text, catalog).map(brief)).toEqual([
      '6:19  assets[1].pick.seed: expected one of 7, 42 (variants.seed) but received 43 (did you mean 42?)',
      '6:23  assets[1].pick.size: "size" is not a variant; the variants are seed, style',
      '6:39  assets[1].pick.style: expected one of "ink wash", "42", "plain" (variants.style) but received 42 (write "42" in quotes: the variant\'s values are text)',
    ]);
  });

  test('a pick without variants, or of the wrong shape', () => {
    const plain = yaml(
      'name: plain',
      'assets:',
      '  - id: a',
      '    pick: { seed: 1 }',
      '  - id: b',
      '    pick: 42',
      'steps:',
      '  - id: art',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "x" }',
      'outputs:',
      '  - path: "{{ id }}.png"',
    );
    const problems = problemsOf(plain, catalog).map(brief);
    expect(problems[0]).toBe(
      '4:5  assets[0].pick: the recipe has no variants to pick from; remove pick (assetgen pick --clear) or add variants:',
    );
    expect(problems[1]).toMatch(/^6:11 {2}assets\[1\]\.pick: /);
  });
});

describe('pickInFile: a recipe file', () => {
  const temp = tempDir();
  afterAll(() => temp.cleanup());

  test('writes the change atomically, keeps the file’s mode, and writes nothing when unchanged', async () => {
    const file = join(temp.dir, 'heroes.yaml');
    await writeFile(file, await readFile(heroesFile, 'utf8'));
    await copyWatermarkInto(temp.dir);
    await chmod(file, 0o640);
    const result = await pickInFile(file, 'launch', { seed: '42' }, { catalog });
    expect(result).toMatchObject({ changed: true, after: { seed: 42 } });
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await readFile(file, 'utf8')).toContain('    pick: { seed: 42 }\n');
    const before = await stat(file);
    const again = await pickInFile(file, 'launch', { seed: 42 }, { catalog });
    expect(again.changed).toBe(false);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  test('edits the file a symlink points to and keeps the link', async () => {
    const file = join(temp.dir, 'real.yaml');
    await writeFile(file, await readFile(heroesFile, 'utf8'));
    await copyWatermarkInto(temp.dir);
    const link = join(temp.dir, 'link.yaml');
    await symlink(file, link);
    await pickInFile(link, 'roadmap', { seed: 7 }, { catalog });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(file, 'utf8')).toContain('    pick: { seed: 7 }\n');
  });

  test('an invalid result is reported and the file stays untouched', async () => {
    const file = join(temp.dir, 'broken.yaml');
    const text = (await readFile(heroesFile, 'utf8')).replace('assets/watermark.svg', 'missing.svg');
    await writeFile(file, text);
    await expect(pickInFile(file, 'launch', { seed: 42 }, { catalog })).rejects.toThrow(/missing\.svg/);
    await expect(pickInFile(file, 'launch', { seed: 5 }, { catalog })).rejects.toThrow(UsageError);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});

describe('pickArguments', () => {
  test('name=value words, shell-quoted when they need it', () => {
    expect(pickArguments({ seed: 42, style: 'ink wash', mood: "it's" })).toEqual([
      'seed=42',
      "'style=ink wash'",
      "'mood=it'\\''s'",
    ]);
  });
});

/** The heroes recipe reads `assets/watermark.svg` beside it: copied, since files outside a recipe's folder are refused. */
async function copyWatermarkInto(dir: string): Promise<void> {
  await mkdir(join(dir, 'assets'), { recursive: true });
  await copyFile(
    resolve(import.meta.dirname, '../../recipes/assets/watermark.svg'),
    join(dir, 'assets/watermark.svg'),
  );
}
