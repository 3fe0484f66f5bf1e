/**
 * Any Replicate model, checked against its own published schema: a model outside the catalog is looked
 * up once per command, its schema converted from the Cog document, wrong inputs refused at their line
 * before any create, the run made end to end, then everything validated offline from the lock's pin and
 * the cache's schemas.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecipes, RecipeError, runRecipes, updatePins, validateRecipes } from '../../src/index.js';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';

const TOKEN = 'r8_any-model-test-token';
const FORGE = 'acme/pixel-forge';

const forgeInput = (extra: Record<string, unknown> = {}, drop: string[] = []) => {
  const properties: Record<string, unknown> = {
    prompt: { type: 'string', description: 'What to draw', 'x-order': 0 },
    style: { type: 'string', enum: ['flat', 'painterly', 'neon'], default: 'flat', 'x-order': 1 },
    steps: { type: 'integer', minimum: 1, maximum: 50, default: 20, 'x-order': 2 },
    seed: { type: 'integer', 'x-order': 3 },
    ...extra,
  };
  for (const key of drop) delete properties[key];
  return { type: 'object', required: ['prompt'], properties };
};
const FILES = { type: 'array', items: { type: 'string', format: 'uri' } };

const RECIPE = (input: string) => `name: forge
assets:
  - id: red
  - id: blue
steps:
  - id: art
    model: ${FORGE}
    input: ${input}
outputs:
  - path: "{{ id }}.png"
`;

describe('a model outside the catalog', () => {
  let dir: string;
  let fake: FakeReplicate;
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });
  const recipe = () => join(dir, 'forge.yaml');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-any-'));
    fake = await startFakeReplicate({
      token: TOKEN,
      behaviour: { runMs: 5 },
      makeOutputs: tinyMaker,
      extraModels: [{ ref: FORGE, versions: [{ openapiSchema: buildOpenApiSchema(forgeInput(), FILES) }] }],
    });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is fetched once, and a wrong enum value and an unknown input are refused at their line before any create', async () => {
    await writeFile(recipe(), RECIPE('{ prompt: "a {{ id }} tile", style: neon-glow, stesp: 4 }'));
    const result = await validateRecipes([recipe()], { cwd: dir, replicate: replicate() });
    expect(result.ok).toBe(false);
    const version = fake.models.get(FORGE)?.latest.id ?? '';
    const lines = result.problems.map(
      (p) => `${p.location.line}:${p.location.column} ${p.path}: ${p.message}`,
    );
    expect(lines).toEqual([
      `8:48 steps[0].input.style: expected one of "flat", "painterly", "neon" for ${FORGE}:${version.slice(0, 12)} input "style" but received "neon-glow" of type string`,
      '8:59 steps[0].input.stesp: unknown input "stesp" (did you mean "steps"?)',
    ]);
    expect(fake.counts.modelGet).toBe(1);
    expect(fake.counts.create).toBe(0);
    // A run is refused the same way: the model looked up once more (once per command), nothing created.
    await expect(runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() })).rejects.toThrow(
      RecipeError,
    );
    expect(fake.counts.modelGet).toBe(2);
    expect(fake.counts.create).toBe(0);
  });

  it('a right recipe runs end to end, with the schema defaults sent and the pin written to the lock', async () => {
    await writeFile(recipe(), RECIPE('{ prompt: "a {{ id }} tile", style: neon }'));
    fake.resetCounts();
    const report = await runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() });
    expect(report.status).toBe('ok');
    expect(report.made).toBe(2);
    expect(fake.counts.modelGet).toBe(1);
    expect(fake.counts.create).toBe(2);
    const sent = fake.predictions.list().map((p) => p.input as Record<string, unknown>);
    expect(sent.every((input) => input.steps === 20 && input.style === 'neon')).toBe(true);
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8'));
    const latest = fake.models.get(FORGE)?.latest.id;
    expect(lock.models[FORGE]).toEqual({
      version: latest,
      official: false,
      schema: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('then validates, checks and refuses offline from the pin: no token, no request', async () => {
    const before = fake.counts.total;
    const ok = await validateRecipes([recipe()], { cwd: dir });
    expect(ok.ok).toBe(true);
    expect(ok.ok && ok.recipes[0]?.warnings).toEqual([]);
    const check = await checkRecipes([recipe()], { cwd: dir });
    expect(check.status).toBe('ok');
    await writeFile(recipe(), RECIPE('{ prompt: "a {{ id }} tile", style: neon-glow }'));
    const bad = await validateRecipes([recipe()], { cwd: dir });
    expect(bad.problems.map((p) => p.path)).toEqual(['steps[0].input.style']);
    expect(fake.counts.total).toBe(before);
  });

  it('update moves the pin and says what changed in the schema', async () => {
    await writeFile(recipe(), RECIPE('{ prompt: "a {{ id }} tile", style: neon }'));
    const newer = forgeInput(
      {
        style: { type: 'string', enum: ['flat', 'neon', 'retro'], default: 'flat', 'x-order': 1 },
        steps: { type: 'integer', minimum: 1, maximum: 50, default: 30, 'x-order': 2 },
        negative_prompt: { type: 'string', default: '', 'x-order': 4 },
      },
      ['seed'],
    );
    const version = fake.models.addVersion(FORGE, { openapiSchema: buildOpenApiSchema(newer, FILES) });
    const report = await updatePins([recipe()], { cwd: dir, replicate: replicate() });
    const pin = report.pins.find((p) => p.model === FORGE);
    expect(pin?.after).toBe(version.id);
    expect(pin?.changes.map((c) => c.text)).toEqual([
      'input "style": values added "retro"; removed "painterly"',
      'input "steps": default 20 → 30',
      'input "negative_prompt" added (string, default "")',
      'input "seed" removed',
    ]);
    expect(report.changed).toBe(1);
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8'));
    expect(lock.models[FORGE].version).toBe(version.id);
    // Offline, the recipe is now checked against the new pin.
    await writeFile(recipe(), RECIPE('{ prompt: "x", style: retro, seed: 3 }'));
    const result = await validateRecipes([recipe()], { cwd: dir });
    expect(result.problems.map((p) => p.message)).toEqual([expect.stringContaining('unknown input "seed"')]);
  });
});

describe('a catalog model at a version the catalog does not describe', () => {
  it('is checked against that version’s fetched schema, and the catalog version against the catalog’s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-any-'));
    const fake = await startFakeReplicate({ token: TOKEN, makeOutputs: tinyMaker });
    try {
      const newer = fake.models.addVersion('stability-ai/sdxl', {
        openapiSchema: buildOpenApiSchema(
          { type: 'object', properties: { prompt: { type: 'string' }, style_preset: { type: 'string' } } },
          FILES,
        ),
      });
      const recipe = (version: string) =>
        `name: sd\nassets:\n  - id: a\nsteps:\n  - id: gen\n    model: stability-ai/sdxl:${version}\n    input: { prompt: hi, style_preset: anime }\noutputs:\n  - path: "{{ id }}.png"\n`;
      const file = join(dir, 'sd.yaml');
      const replicate = { token: TOKEN, baseUrl: fake.baseUrl };
      await writeFile(file, recipe(newer.id));
      expect((await validateRecipes([file], { cwd: dir, replicate })).ok).toBe(true);
      expect(fake.counts.versionGet).toBe(1);
      // Offline afterwards, from the cache (a version's schema never changes).
      expect((await validateRecipes([file], { cwd: dir })).ok).toBe(true);
      const catalogVersion = '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc';
      await writeFile(file, recipe(catalogVersion));
      const old = await validateRecipes([file], { cwd: dir, replicate });
      expect(old.problems.map((p) => p.message)).toEqual([
        expect.stringContaining('unknown input "style_preset"'),
      ]);
      expect(fake.counts.versionGet).toBe(1);
    } finally {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
