/**
 * What a recipe names on disk and how big it may get, from a table: real files in a temporary folder
 * (images, corrupt and oversized ones, symbolic links, non-UTF-8 bytes) → the exact problems `loadRecipe`
 * reports, every one before anything could run.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RecipeError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import {
  DEFAULT_MAX_INSTANCES,
  type LoadRecipeOptions,
  loadRecipe,
  MAX_NESTING,
} from '../../src/recipe/index.js';
import { brief, yaml } from './_helpers.js';

const catalog = createCatalog();

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A well-formed PNG header claiming `width` × `height` (no real pixel data: nothing to decode). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(64))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let root: string;
let goodPng: Buffer;

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'assetgen-files-')));
  const outside = join(root, 'shared');
  mkdirSync(outside);
  goodPng = await sharp({ create: { width: 64, height: 64, channels: 4, background: '#c33' } })
    .png()
    .toBuffer();
  writeFileSync(join(outside, 'logo.png'), goodPng);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Row {
  name: string;
  /**
   * Files to create in the recipe's folder: bytes (empty: a good PNG, or cut short for names starting with
   * `cut`), or `{ link }` for a symbolic link to a path relative to ROOT.
   */
  files?: Record<string, Buffer | { link: string }>;
  recipe: string | Buffer;
  options?: Omit<LoadRecipeOptions, 'catalog'>;
  /** Exact problems as `line:column  path: message`; `DIR` stands for the recipe folder, `ROOT` for its parent. */
  problems: string[];
}

const HEAD = ['name: t', 'assets: [{ id: mug }]'];
const GEN = [
  'steps:',
  '  - id: gen',
  '    model: black-forest-labs/flux-schnell',
  '    input: { prompt: "a {{ id }}" }',
];
const OUT = ['outputs:', '  - path: "{{ id }}.png"'];
const overlay = (file: string) =>
  yaml(...HEAD, ...GEN, '  - id: mark', `    image: [{ composite: { image: ${file} } }]`, ...OUT);
const upscale = (file: string) =>
  yaml(
    ...HEAD,
    'steps:',
    '  - id: up',
    '    model: nightmareai/real-esrgan',
    `    input: { image: ${file} }`,
    ...OUT,
  );

const rows: Row[] = [
  // ── file contents ──
  {
    name: 'a good overlay and a good file input pass',
    files: { 'ok.png': Buffer.alloc(0) },
    recipe: overlay('ok.png'),
    problems: [],
  },
  {
    name: 'an overlay that is not an image',
    files: { 'notes.png': Buffer.from('these are notes, not pixels\n') },
    recipe: overlay('notes.png'),
    problems: [
      '8:35  steps[1].image[0].composite.image: file "notes.png" cannot be read as an image (Input file contains unsupported image format)',
    ],
  },
  {
    name: 'a truncated PNG file input (header intact, pixels cut short)',
    files: { 'cut.png': Buffer.alloc(0) },
    recipe: upscale('cut.png'),
    problems: [
      '6:21  steps[0].input.image: file "cut.png" is truncated or corrupt (vipspng: libpng read error)',
    ],
  },
  {
    name: 'a 30000 × 30000 overlay is refused from its header, without decoding it',
    files: { 'huge.png': pngHeader(30000, 30000) },
    recipe: overlay('huge.png'),
    problems: [
      '8:35  steps[1].image[0].composite.image: file "huge.png" is 30000 × 30000 pixels (900.0 MP); images may have at most 268.4 MP (16383 × 16383) — scale it down',
    ],
  },
  {
    name: 'a file input named by a template is checked for each asset',
    files: { 'mug.png': Buffer.alloc(0), 'cup.png': Buffer.from('not an image') },
    recipe: yaml(
      'name: t',
      'assets: [{ id: mug }, { id: cup }]',
      'steps:',
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    input: { image: "{{ id }}.png" }',
      ...OUT,
    ),
    problems: [
      '6:21  steps[0].input.image: file "cup.png" cannot be read as an image (Input file contains unsupported image format) for asset cup',
    ],
  },
  // ── where files may come from ──
  {
    name: 'an overlay outside the recipe folder (..)',
    recipe: overlay('../shared/logo.png'),
    problems: [
      `8:35  steps[1].image[0].composite.image: file "../shared/logo.png" is outside the recipe's folder (DIR); only files inside are read (move it there, or allow its folder with --allow-root ROOT/shared)`,
    ],
  },
  {
    name: 'an absolute file input outside the recipe folder',
    recipe: upscale('ROOT/shared/logo.png'),
    problems: [
      `6:21  steps[0].input.image: file "ROOT/shared/logo.png" is outside the recipe's folder (DIR); only files inside are read (move it there, or allow its folder with --allow-root ROOT/shared)`,
    ],
  },
  {
    name: 'a file: URL outside the recipe folder',
    recipe: upscale('"file://ROOT/shared/logo.png"'),
    problems: [
      `6:21  steps[0].input.image: file "ROOT/shared/logo.png" is outside the recipe's folder (DIR); only files inside are read (move it there, or allow its folder with --allow-root ROOT/shared)`,
    ],
  },
  {
    name: 'a symbolic link inside the folder that leads out of it',
    files: { 'logo.png': { link: 'shared/logo.png' } },
    recipe: overlay('logo.png'),
    problems: [
      `8:35  steps[1].image[0].composite.image: file "logo.png" is a symbolic link to ROOT/shared/logo.png, outside the recipe's folder (DIR); only files inside are read (copy the file there, or allow its folder with --allow-root ROOT/shared)`,
    ],
  },
  {
    name: 'an allowed root lets the same files in',
    files: { 'logo.png': { link: 'shared/logo.png' } },
    recipe: yaml(
      ...HEAD,
      'steps:',
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '    input: { image: ../shared/logo.png }',
      '  - id: mark',
      '    image: [{ composite: { image: logo.png } }]',
      ...OUT,
    ),
    options: { allowRoots: ['ROOT/shared'] },
    problems: [],
  },
  {
    name: 'with allowed roots, the message names them too',
    recipe: overlay('/etc/hostname'),
    options: { allowRoots: ['ROOT/shared'] },
    problems: [
      `8:35  steps[1].image[0].composite.image: file "/etc/hostname" is outside the recipe's folder (DIR) and the allowed roots (ROOT/shared); only files inside are read (move it there, or allow its folder with --allow-root /etc)`,
    ],
  },
  // ── text encoding ──
  {
    name: 'a Latin-1 recipe is refused at its first non-UTF-8 byte',
    recipe: Buffer.from(
      yaml(...HEAD, ...GEN.slice(0, 3), '    input: { prompt: "café crème" }', ...OUT),
      'latin1',
    ),
    problems: [
      '6:26  (recipe): not UTF-8 text: byte 0xE9 cannot start a character here; save the recipe as UTF-8 (it may be Latin-1 or Windows-1252)',
    ],
  },
  {
    name: 'a bad byte after multi-byte characters is located by characters, on its line',
    recipe: Buffer.concat([
      Buffer.from('name: t # “ok”\nassets: [{ id: mug }] # ✓ '),
      Buffer.from([0xc3, 0x28]),
    ]),
    problems: [
      '2:27  (recipe): not UTF-8 text: byte 0xC3 cannot start a character here; save the recipe as UTF-8 (it may be Latin-1 or Windows-1252)',
    ],
  },
  {
    name: 'a UTF-16 recipe is refused',
    recipe: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml(...HEAD), 'utf16le')]),
    problems: [
      '1:1  (recipe): the file is UTF-16 text (it starts with a UTF-16 byte order mark); recipes must be UTF-8 (save it as UTF-8)',
    ],
  },
  // ── sizes ──
  {
    name: 'too many asset × variant instances, counted before expanding',
    recipe: yaml(
      'name: t',
      `assets: [${Array.from({ length: 100 }, (_, i) => `{ id: a${i} }`).join(', ')}]`,
      'variants:',
      `  colour: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`,
      `  size: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`,
      ...GEN,
      'outputs:',
      '  - path: "{{ id }}-{{ colour }}-{{ size }}.png"',
    ),
    problems: [
      '3:1  variants: the recipe makes 1,000,000 asset × variant instances (100 assets × 100 colour × 100 size), more than the limit of 10,000 (raise it with limits: { max_instances: 1000000 } in the recipe, or --max-instances 1000000)',
    ],
  },
  {
    name: 'the recipe may raise its own limit',
    recipe: yaml(
      'name: t',
      'limits: { max_instances: 20000 }',
      `assets: [${Array.from({ length: 200 }, (_, i) => `{ id: a${i} }`).join(', ')}]`,
      `variants: { seed: [${Array.from({ length: 60 }, (_, i) => i).join(', ')}] }`,
      ...GEN,
      'outputs:',
      '  - path: "{{ id }}-{{ seed }}.png"',
    ),
    problems: [],
  },
  {
    name: 'the caller’s limit overrides the recipe’s',
    recipe: yaml(
      'name: t',
      'limits: { max_instances: 20000 }',
      'assets: [{ id: a }, { id: b }, { id: c }]',
      ...GEN,
      ...OUT,
    ),
    options: { maxInstances: 2 },
    problems: [
      '3:1  assets: the recipe makes 3 asset × variant instances (3 assets), more than the limit of 2 (raise --max-instances to 3)',
    ],
  },
  {
    name: 'flow nesting deeper than the limit is refused before the YAML is composed',
    recipe: yaml(...HEAD, `vars: { deep: ${'['.repeat(5000)}${']'.repeat(5000)} }`, ...GEN, ...OUT),
    problems: [
      `3:45  (recipe): nested more than ${MAX_NESTING} levels deep; recipes need only a few levels (flatten this data)`,
    ],
  },
  {
    name: 'block nesting deeper than the limit too',
    recipe: yaml(
      ...HEAD,
      'vars:',
      ...Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i + 1)}k${i}:`),
      ...GEN,
      ...OUT,
    ),
    problems: [
      `35:65  (recipe): nested more than ${MAX_NESTING} levels deep; recipes need only a few levels (flatten this data)`,
    ],
  },
];

describe('files and limits', () => {
  let n = 0;
  test.each(rows)('$name', async (row) => {
    // Each case in its own folder DIR = ROOT/case-N, beside ROOT/shared.
    const folder = join(root, `case-${n++}`);
    mkdirSync(folder);
    const place = (text: string): string => text.replaceAll('ROOT', root).replaceAll('DIR', folder);
    const unplace = (text: string): string => text.replaceAll(folder, 'DIR').replaceAll(root, 'ROOT');
    const cut = goodPng.subarray(0, goodPng.length - 40);
    for (const [name, content] of Object.entries(row.files ?? {})) {
      const path = join(folder, name);
      if (Buffer.isBuffer(content)) {
        writeFileSync(path, content.length === 0 ? (name.startsWith('cut') ? cut : goodPng) : content);
      } else symlinkSync(join('..', content.link), path);
    }
    const file = join(folder, 'recipe.yaml');
    writeFileSync(file, typeof row.recipe === 'string' ? place(row.recipe) : row.recipe);
    const options = {
      catalog,
      ...row.options,
      ...(row.options?.allowRoots === undefined ? {} : { allowRoots: row.options.allowRoots.map(place) }),
    };
    const problems = await loadRecipe(file, options).then(
      () => [],
      (error: unknown) => {
        if (!(error instanceof RecipeError)) throw error;
        return error.problems.map((problem) => {
          expect(problem.location.file).toBe(file);
          return unplace(brief(problem));
        });
      },
    );
    expect(problems).toEqual(row.problems);
  });

  test('the default instance limit is 10,000', () => {
    expect(DEFAULT_MAX_INSTANCES).toBe(10_000);
  });
});

describe('warnings and alias-built depth', () => {
  test('a very long prompt is a warning with its location, not an error', async () => {
    const folder = join(root, 'long');
    mkdirSync(folder);
    const file = join(folder, 'recipe.yaml');
    writeFileSync(
      file,
      yaml(
        'name: t',
        `assets: [{ id: mug }, { id: cup, extra: "${'very '.repeat(500)}" }]`,
        'vars: { extra: "" }',
        ...GEN.slice(0, 3),
        '    input: { prompt: "a {{ id }} {{ extra }}" }',
        ...OUT,
      ),
    );
    const loaded = await loadRecipe(file, { catalog });
    expect(loaded.warnings.map(brief)).toEqual([
      '7:22  steps[0].input.prompt: the prompt is 2,506 characters long for asset cup; black-forest-labs/flux-schnell reads only its first few hundred tokens and ignores the rest (keep it under 2,000 characters)',
    ]);
  });

  test('aliases that stack shallow lists into a deep one are refused at the deep place', async () => {
    const folder = join(root, 'aliases');
    mkdirSync(folder);
    const file = join(folder, 'recipe.yaml');
    // Each list alone is 20 levels deep (within the limit); the second holds the first.
    const nest = (inner: string) => `${'['.repeat(20)}${inner}${']'.repeat(20)}`;
    const anchors = [`  a0: &a0 ${nest('1')}`, `  a1: ${nest('*a0')}`];
    writeFileSync(file, yaml('name: t', 'x-anchors:', ...anchors, ...HEAD.slice(1), ...GEN, ...OUT));
    const error = await loadRecipe(file, { catalog }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RecipeError);
    expect((error as RecipeError).problems.map(brief)).toEqual([
      `3:21  x-anchors.a1[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than ${MAX_NESTING} levels deep; recipes need only a few levels (flatten this data)`,
    ]);
  });
});
