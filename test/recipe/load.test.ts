/** Valid recipes: defaults applied, steps wired, paths rendered; and loading several files at once. */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { RecipeError } from '../../src/errors.js';
import { createCatalog } from '../../src/models/catalog.js';
import {
  expandInstances,
  loadRecipe,
  loadRecipes,
  outputImageStep,
  parseRecipeText,
  renderDeep,
  renderOutputPath,
  upstreamImageStep,
} from '../../src/recipe/index.js';
import { brief, FIXTURES, problemsOf, tempDir, yaml } from './_helpers.js';

const catalog = createCatalog();

describe('a valid recipe file', () => {
  test('loads with each model step input completed by its schema defaults', async () => {
    const file = join('test', 'fixtures', 'recipes', 'product-shots.yaml');
    const loaded = await loadRecipe(file, { catalog });
    expect(loaded.file).toBe(resolve(file));
    expect(loaded.dir).toBe(FIXTURES);
    expect(loaded.source).toContain('name: product-shots');
    const [draft, upscale, cutout, tidy] = loaded.recipe.steps;
    // What the recipe set stays as written (templates included); the model's defaults fill the rest.
    expect(draft?.input).toEqual({
      prompt: '{{ subject }}, {{ style }}',
      aspect_ratio: '1:1',
      seed: '{{ seed }}',
      num_outputs: 1,
      num_inference_steps: 4,
      output_format: 'webp',
      output_quality: 80,
      disable_safety_checker: false,
      go_fast: true,
      megapixels: '1',
    });
    // The image input is left for the runner to fill from the previous step.
    expect(upscale?.input).toEqual({ scale: 2, face_enhance: false });
    expect(cutout?.input).toEqual({ threshold: 0, reverse: false, background_type: 'rgba', format: 'png' });
    expect(tidy?.input).toBeUndefined();
    expect(upstreamImageStep(loaded.recipe, 1, catalog)?.id).toBe('draft');
    expect(upstreamImageStep(loaded.recipe, 3, catalog)?.id).toBe('cutout');
    expect(upstreamImageStep(loaded.recipe, 0, catalog)).toBeUndefined();
  });

  test('its instances render inputs (typed) and output paths', async () => {
    const { recipe } = await loadRecipe(join(FIXTURES, 'product-shots.yaml'), { catalog });
    const instances = expandInstances(recipe);
    expect(instances.map((i) => `${i.assetId}:${i.variantLabel}`)).toEqual([
      'mug:seed-11',
      'mug:seed-42',
      'lamp:seed-11',
      'lamp:seed-42',
    ]);
    const lamp42 = instances[3];
    if (lamp42 === undefined) throw new Error('no instance');
    expect(renderDeep(recipe.steps[0].input, lamp42.vars)).toMatchObject({
      prompt: 'a brass desk lamp, soft studio light, seamless white backdrop',
      seed: 42,
    });
    const [webp, avif] = recipe.outputs;
    expect(renderOutputPath(webp, lamp42)).toBe('lamp-42.webp');
    expect(avif === undefined ? '' : renderOutputPath(avif, lamp42, { width: 320 })).toBe(
      'lamp-42-320w.avif',
    );
  });
});

describe('valid recipe texts', () => {
  test('a text step feeds a later prompt and is skipped when looking for images', () => {
    const text = yaml(
      'name: blog',
      'assets: [{ id: post, topic: bread }]',
      'steps:',
      '  - id: idea',
      '    model: meta/meta-llama-3-70b-instruct',
      '    input: { prompt: "Describe a photo about {{ topic }}", max_tokens: 100 }',
      '  - id: hero',
      '    model: black-forest-labs/flux-dev',
      '    input: { prompt: "{{ steps.idea.text }}", num_outputs: 2 }',
      '  - id: up',
      '    model: nightmareai/real-esrgan',
      '  - id: grey',
      '    from: hero',
      '    image: [{ greyscale: {} }]',
      'outputs:',
      '  - path: "{{ id }}/hero-{{ n }}.png"',
      '    from: up',
      '  - path: "{{ id }}/grey-{{ n }}-{{ width }}.{{ ext }}"',
      '    format: { webp: { quality: 70 } }',
      '    widths: [320, 640]',
      '  - path: "{{ id }}/{{ steps.idea.text | slug }}-{{ n }}.jpg"',
    );
    const { recipe } = parseRecipeText(text, 'blog.yaml', { catalog, dir: FIXTURES });
    expect(recipe.steps[0].input).toMatchObject({
      max_tokens: 100,
      temperature: 0.6,
      prompt_template: '{prompt}',
    });
    // flux-dev can take an image, but nothing before it makes one: no image input appears.
    expect(recipe.steps[1]?.input).not.toHaveProperty('image');
    expect(upstreamImageStep(recipe, 1, catalog)).toBeUndefined();
    expect(upstreamImageStep(recipe, 2, catalog)?.id).toBe('hero');
    expect(upstreamImageStep(recipe, 3, catalog)?.id).toBe('hero');
    expect(recipe.outputs.map((o) => outputImageStep(recipe, o, catalog)?.id)).toEqual([
      'up',
      'grey',
      'grey',
    ]);
    const [post] = expandInstances(recipe);
    if (post === undefined) throw new Error('no instance');
    const paths = recipe.outputs.map((o, i) =>
      renderOutputPath(o, post, {
        n: 2,
        width: i === 1 ? 640 : undefined,
        stepTexts: { idea: 'A Loaf, Sliced' },
      }),
    );
    expect(paths).toEqual(['post/hero-2.png', 'post/grey-2-640.webp', 'post/a-loaf-sliced-2.jpg']);
  });

  test('output paths built from step texts are not taken for collisions between assets', () => {
    const { recipe } = parseRecipeText(
      yaml(
        'name: t',
        'assets: [{ id: a }, { id: b }]',
        'steps:',
        '  - { id: idea, model: meta/meta-llama-3-70b-instruct, input: { prompt: "name {{ id }}" } }',
        '  - { id: gen, model: black-forest-labs/flux-schnell, input: { prompt: "{{ steps.idea.text }}" } }',
        'outputs: [{ path: "{{ steps.idea.text | slug }}.png" }]',
      ),
      'r.yaml',
      { catalog },
    );
    expect(recipe.outputs[0].path).toBe('{{ steps.idea.text | slug }}.png');
  });

  test('an uncatalogued model with a price is accepted as written (no schema, no defaults)', () => {
    const version = 'ab'.repeat(32);
    const { recipe } = parseRecipeText(
      yaml(
        'name: t',
        'assets: [{ id: mug }]',
        'steps:',
        '  - id: gen',
        `    model: acme/painter:${version}`,
        '    price: { per_second: 0.000225, typical_seconds: 4 }',
        '    input: { prompt: "{{ id }}", anything: [1, 2] }',
        'outputs: [{ path: "{{ id }}.png" }]',
      ),
      'r.yaml',
      { catalog },
    );
    expect(recipe.steps[0].input).toEqual({ prompt: '{{ id }}', anything: [1, 2] });
  });

  test('a local file as a model input, relative to the recipe folder, stays as written', () => {
    const { recipe } = parseRecipeText(
      yaml(
        'name: t',
        'assets: [{ id: mark }]',
        'steps:',
        '  - id: up',
        '    model: nightmareai/real-esrgan',
        '    input: { image: watermark.png, scale: 2 }',
        'outputs: [{ path: "{{ id }}.png" }]',
      ),
      'r.yaml',
      { catalog, dir: FIXTURES },
    );
    expect(recipe.steps[0].input).toEqual({ image: 'watermark.png', scale: 2, face_enhance: false });
  });

  test('from: an earlier step is the upstream image of a model step', () => {
    const { recipe } = parseRecipeText(
      yaml(
        'name: t',
        'assets: [{ id: a }]',
        'steps:',
        '  - { id: gen, model: black-forest-labs/flux-schnell, input: { prompt: x } }',
        '  - { id: cut, model: lucataco/remove-bg }',
        '  - { id: up, model: nightmareai/real-esrgan, from: gen }',
        'outputs: [{ path: "{{ id }}-cut.png", from: cut }, { path: "{{ id }}-up.png" }]',
      ),
      'r.yaml',
      { catalog },
    );
    expect(upstreamImageStep(recipe, 2, catalog)?.id).toBe('gen');
    expect(outputImageStep(recipe, recipe.outputs[0], catalog)?.id).toBe('cut');
    expect(outputImageStep(recipe, recipe.outputs[1] ?? recipe.outputs[0], catalog)?.id).toBe('up');
  });
});

describe('all problems at once', () => {
  test('a file with many different problems reports each, in source order, in one RecipeError', () => {
    const text = yaml(
      'name: shots',
      'assets:',
      '  - { id: mug, subject: a mug }',
      '  - { id: mug }',
      'stesp: []',
      'steps:',
      '  - id: gen',
      '    model: black-forest-labs/flux-schnell',
      '    input: { prompt: "{{ subjet }}", num_outputs: 9 }',
      '  - id: up',
      '    model: acme/upscaler',
      'outputs:',
      '  - path: ../{{ id }}.png',
    );
    let error: unknown;
    try {
      parseRecipeText(text, 'shots.yaml', { catalog, dir: FIXTURES });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RecipeError);
    const problems = (error as RecipeError).problems;
    expect(problems.map(brief)).toEqual([
      '4:11  assets[1].id: duplicate asset id "mug" (assets[0] has it already)',
      '5:1  stesp: unknown key "stesp" (did you mean "steps"?)',
      '9:22  steps[0].input.prompt: unknown variable "subjet" (did you mean "subject"?); known: id, recipe, subject, variant',
      '9:51  steps[0].input.num_outputs: must be <= 4 (black-forest-labs/flux-schnell accepts 1 to 4)',
      '11:12  steps[1].model: "acme/upscaler" is not in the catalog; to use it anyway, add price: { per_image: … } or price: { per_second: …, typical_seconds: … } to this step',
      '13:11  outputs[0].path: "../mug.png" leaves the output folder ("..") (from "../{{ id }}.png" for asset mug)',
    ]);
    expect((error as RecipeError).message.split('\n')).toEqual(
      problems.map((p) => `shots.yaml:${p.location.line}:${p.location.column}  ${p.path}: ${p.message}`),
    );
    expect((error as RecipeError).code).toBe('RECIPE_INVALID');
  });
});

describe('loadRecipes', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  test('returns every recipe when all are valid', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const a = join(temp.dir, 'a.yaml');
    const b = join(temp.dir, 'b.yaml');
    copyFileSync(join(FIXTURES, 'product-shots.yaml'), a);
    copyFileSync(join(FIXTURES, 'watermark.png'), join(temp.dir, 'watermark.png'));
    writeFileSync(
      b,
      yaml(
        'name: b',
        'assets: [{ id: x }]',
        'steps: [{ id: g, model: black-forest-labs/flux-schnell, input: { prompt: x } }]',
        'outputs: [{ path: x.png }]',
      ),
    );
    const loaded = await loadRecipes([a, b], { catalog });
    expect(loaded.map((l) => l.recipe.name)).toEqual(['product-shots', 'b']);
    expect(loaded[0]?.dir).toBe(temp.dir);
  });

  test('reports the problems of every file in one RecipeError, each under its own file name', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const good = join(temp.dir, 'good.yaml');
    const bad = join(temp.dir, 'bad.yaml');
    const broken = join(temp.dir, 'broken.yaml');
    const missing = join(temp.dir, 'missing.yaml');
    writeFileSync(
      good,
      yaml(
        'name: good',
        'assets: [{ id: x }]',
        'steps: [{ id: g, model: black-forest-labs/flux-schnell, input: { prompt: x } }]',
        'outputs: [{ path: x.png }]',
      ),
    );
    // The composite overlay is missing next to this recipe (relative paths resolve against its folder).
    writeFileSync(
      bad,
      yaml(
        'name: bad',
        'assets: [{ id: x }]',
        'steps:',
        '  - { id: g, model: black-forest-labs/flux-schnell, input: { prompt: x } }',
        '  - { id: m, image: [{ composite: { image: watermark.png } }] }',
        'outputs: [{ path: x.png }]',
      ),
    );
    writeFileSync(broken, 'name: [unclosed\n');
    await expect(loadRecipes([good, bad, broken, missing, temp.dir], { catalog })).rejects.toSatisfy(
      (error) => {
        expect(error).toBeInstanceOf(RecipeError);
        const lines = (error as RecipeError).problems.map(
          (p) => `${p.location.file}:${p.location.line}:${p.location.column}`,
        );
        expect(lines).toEqual([`${bad}:5:44`, `${broken}:2:1`, `${missing}:1:1`, `${temp.dir}:1:1`]);
        const messages = (error as RecipeError).problems.map((p) => p.message);
        expect(messages[0]).toContain('file "watermark.png" not found');
        expect(messages[1]).toContain('YAML syntax error');
        expect(messages[2]).toBe('no such file');
        expect(messages[3]).toBe('is a folder, not a recipe file');
        return true;
      },
    );
  });

  test('loadRecipe throws a RecipeError for a single bad file', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const file = join(temp.dir, 'r.yaml');
    writeFileSync(
      file,
      yaml(
        'name: r',
        'assets: []',
        'steps: [{ id: g, model: black-forest-labs/flux-schnell, input: { prompt: x } }]',
        'outputs: [{ path: x.png }]',
      ),
    );
    await expect(loadRecipe(file, { catalog })).rejects.toThrow(
      `${file}:2:9  assets: the asset list is empty`,
    );
  });
});

test('problemsOf helper reports the file name it was given', () => {
  expect(problemsOf('name: [', catalog)[0]?.location.file).toBe('recipe.yaml');
});
