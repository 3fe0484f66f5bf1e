/**
 * Any model, continued: a model never fetched (offline: shape checked, inputs unchecked, a warning; --frozen
 * and check refuse it, exit 2), `models add`, official and community told apart from what the API says,
 * and an edit model taking several images — the upstream step's and local files, the files by content.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addModels, runRecipes } from '../../src/index.js';
import { solidPng, tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_any-model-kinds-token';
const URI = { type: 'string', format: 'uri' };
const studio = buildOpenApiSchema({
  type: 'object',
  required: ['prompt'],
  properties: {
    prompt: { type: 'string', 'x-order': 0 },
    aspect_ratio: { type: 'string', enum: ['1:1', '16:9'], default: '1:1', 'x-order': 1 },
  },
});
const editMany = buildOpenApiSchema(
  {
    type: 'object',
    required: ['prompt', 'input_images'],
    properties: {
      prompt: { type: 'string', 'x-order': 0 },
      input_images: { type: 'array', items: URI, 'x-order': 1, description: 'Images to combine' },
      mask: { ...URI, 'x-order': 2 },
    },
  },
  URI,
);
const community = buildOpenApiSchema(
  { type: 'object', properties: { prompt: { type: 'string' } } },
  {
    type: 'array',
    items: URI,
  },
);

const EXTRA = [
  { ref: 'acme/studio', official: true, versions: [{ openapiSchema: studio }] },
  { ref: 'acme/edit-many', official: true, versions: [{ openapiSchema: editMany }] },
  { ref: 'acme/garage', versions: [{ openapiSchema: community }] },
];

async function project(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'assetgen-kinds-'));
}

describe('a model never fetched, offline', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await project();
    await writeFile(
      join(dir, 'mystery.yaml'),
      'name: mystery\nassets:\n  - id: a\nsteps:\n  - id: gen\n    model: acme/mystery\n    input: { prompt: hello, anything: 3 }\noutputs:\n  - path: "{{ id }}.png"\n',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('validate and run check the shape and warn that its inputs are unchecked; --frozen and check refuse it (exit 2)', async () => {
    const validate = await runCli(['validate', 'mystery.yaml'], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(validate.err).toContain(
      'mystery.yaml:6:12  steps[0].model: the inputs of acme/mystery are unchecked until its schema is fetched: run `assetgen models add acme/mystery` with REPLICATE_API_TOKEN set',
    );
    const run = await runCli(['run', 'mystery.yaml', '--provider', 'local', '--quiet'], { cwd: dir });
    expect(run.code).toBe(0);
    for (const args of [
      ['check', 'mystery.yaml'],
      ['run', 'mystery.yaml', '--frozen'],
    ]) {
      const refused = await runCli(args, { cwd: dir });
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.err).toContain(
        'steps[0].model: the schema of acme/mystery is not pinned in assetgen.lock',
      );
    }
  });

  it('a shape problem is still one', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      'name: broken\nassets:\n  - id: a\nsteps:\n  - id: gen\n    model: acme/mystery\n    kind: video\noutputs:\n  - path: "{{ id }}.png"\n',
    );
    const validate = await runCli(['validate', 'broken.yaml'], { cwd: dir });
    expect(validate.code).toBe(2);
    expect(validate.err).toContain('broken.yaml:7:11  steps[0].kind');
  });
});

describe('official or community, from what the API says', () => {
  const fakes: FakeReplicate[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(fakes.map((fake) => fake.close()));
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const setUp = async (profile: 'documented' | 'recorded') => {
    const fake = await startFakeReplicate({
      token: TOKEN,
      profile,
      extraModels: EXTRA,
      makeOutputs: tinyMaker,
    });
    const dir = await project();
    fakes.push(fake);
    dirs.push(dir);
    return { fake, dir, replicate: { token: TOKEN, baseUrl: fake.baseUrl } };
  };

  it('recorded replies have no is_official: the official collection decides (read once)', async () => {
    const { fake, dir, replicate } = await setUp('recorded');
    const report = await addModels(['acme/studio', 'acme/garage'], { cwd: dir, replicate });
    expect(report.models.map((m) => [m.ref, m.official, m.version === null])).toEqual([
      ['acme/studio', true, true],
      ['acme/garage', false, false],
    ]);
    expect(fake.counts.collectionGet).toBe(1);
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8'));
    expect(lock.models['acme/studio']).toEqual({
      version: null,
      official: true,
      schema: report.models[0]?.schema,
    });
    expect(lock.models['acme/garage'].version).toBe(fake.models.get('acme/garage')?.latest.id);
  });

  it('documented replies carry is_official; a recipe (or --official) may say it without asking', async () => {
    const { fake, dir, replicate } = await setUp('documented');
    const report = await addModels(['acme/studio'], { cwd: dir, replicate });
    expect(report.models[0]?.official).toBe(true);
    expect(fake.counts.collectionGet).toBe(0);
    const recorded = await setUp('recorded');
    await addModels(['acme/studio'], { cwd: recorded.dir, replicate: recorded.replicate, official: true });
    expect(recorded.fake.counts.collectionGet).toBe(0);
  });

  it('an official model outside the catalog runs without a version; the recipe may not pin one', async () => {
    const { fake, dir, replicate } = await setUp('recorded');
    const recipe = (model: string) =>
      `name: st\nassets:\n  - id: a\nsteps:\n  - id: gen\n    model: ${model}\n    input: { prompt: hi }\noutputs:\n  - path: "{{ id }}.png"\n`;
    await writeFile(join(dir, 'st.yaml'), recipe('acme/studio'));
    const report = await runRecipes(['st.yaml'], { cwd: dir, out: 'out', replicate });
    expect(report.status).toBe('ok');
    expect(fake.predictions.list()[0]?.input).toMatchObject({ prompt: 'hi', aspect_ratio: '1:1' });
    await writeFile(join(dir, 'st.yaml'), recipe(`acme/studio:${'a'.repeat(64)}`));
    const cli = await runCli(['validate', 'st.yaml'], {
      cwd: dir,
      env: { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
    });
    expect(cli.code).toBe(2);
  });
});

describe('an edit model with several image inputs', () => {
  let fake: FakeReplicate;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, extraModels: EXTRA, makeOutputs: tinyMaker });
    dir = await project();
    await writeFile(join(dir, 'logo.png'), await solidPng(6, 6, [0, 0, 200]));
    await writeFile(join(dir, 'stamp.png'), await solidPng(5, 5, [0, 200, 0]));
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const recipe = (files: string) => `name: ed
assets:
  - id: mug
steps:
  - id: base
    model: black-forest-labs/flux-schnell
    input: { prompt: "a mug", megapixels: "0.25" }
  - id: edit
    model: acme/edit-many
    from: base
    input: { prompt: "put the logo on the mug", input_images: [${files}] }
outputs:
  - path: "{{ id }}.png"
`;

  it('gets the upstream image first, then the local files, each sent as a data URI; files count by content', async () => {
    const replicate = { token: TOKEN, baseUrl: fake.baseUrl };
    await writeFile(join(dir, 'ed.yaml'), recipe('logo.png, stamp.png'));
    const first = await runRecipes(['ed.yaml'], { cwd: dir, out: 'out', replicate });
    expect(first.status).toBe('ok');
    const edit = fake.predictions
      .list()
      .find((p) => Array.isArray((p.input as { input_images?: unknown }).input_images));
    const images = (edit?.input as { input_images?: string[] } | undefined)?.input_images ?? [];
    expect(images).toHaveLength(3);
    expect(images.every((uri) => uri.startsWith('data:image/png;base64,'))).toBe(true);
    const logo = (await readFile(join(dir, 'logo.png'))).toString('base64');
    expect(images[1]).toBe(`data:image/png;base64,${logo}`);
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
    const step = manifest.recipes.ed.assets[0].steps.find((s: { id: string }) => s.id === 'edit');
    expect(step.input.input_images.map((i: { step: string | null }) => i.step)).toEqual(['base', null, null]);
    expect(JSON.stringify(manifest)).not.toContain(dir);
    // A renamed file is the same input; an edited one is not.
    const creates = fake.counts.create;
    await rename(join(dir, 'logo.png'), join(dir, 'brand.png'));
    await writeFile(join(dir, 'ed.yaml'), recipe('brand.png, stamp.png'));
    const renamed = await runRecipes(['ed.yaml'], { cwd: dir, out: 'out', replicate });
    expect(renamed.cached).toBe(1);
    expect(fake.counts.create).toBe(creates);
    await writeFile(join(dir, 'stamp.png'), await solidPng(5, 5, [200, 0, 0]));
    const edited = await runRecipes(['ed.yaml'], { cwd: dir, out: 'out', replicate });
    expect(edited.made).toBe(1);
    expect(fake.counts.create).toBe(creates + 1);
  });
});
