/**
 * The manifest against schema/manifest.schema.json: a real run's manifest validates, every step names
 * the files it produced (by sha256, found in the cache), and a manifest of an older assetgen (steps
 * without `files`) still validates.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestRecipes } from '../../src/api/manifest-entries.js';
import type { Manifest } from '../../src/manifest/types.js';
import { writeManifest } from '../../src/manifest/write.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { manifestValidator } from '../helpers/manifest.js';

const RECIPE = `name: schema-check
assets:
  - id: pear
variants:
  seed: [1, 2]
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input: { prompt: "a pear", aspect_ratio: "1:1", megapixels: "0.25" }
  - id: small
    image:
      - resize: { width: 64 }
outputs:
  - path: "{{ id }}-{{ seed }}.png"
`;

describe('manifest schema', () => {
  let dir: string;
  let manifest: Manifest;
  const validate = manifestValidator();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-manifest-'));
    const catalog = createCatalog();
    const plan = createPlan([parseRecipeText(RECIPE, join(dir, 'r.yaml'), { catalog })], catalog);
    const result = await runPlan(plan, {
      provider: createLocalProvider(),
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
    });
    ({ manifest } = await writeManifest(join(dir, 'out'), manifestRecipes(result, dir), {
      generatorVersion: 'test',
    }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a run writes a manifest that validates', () => {
    expect(validate(manifest)).toEqual([]);
  });

  it('every step lists the files it produced, stored in the cache under their sha256', async () => {
    const assets = manifest.recipes['schema-check']?.assets ?? [];
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      expect(asset.steps.map((step) => step.id)).toEqual(['draft', 'small']);
      for (const step of asset.steps) {
        expect(step.files).toHaveLength(1);
        const file = step.files?.[0];
        if (file === undefined) throw new Error('no file');
        expect(file.content_type).toMatch(/^image\//);
        const bytes = await readFile(join(dir, 'cache', 'objects', file.sha256.slice(0, 2), file.sha256));
        expect(bytes.byteLength).toBe(file.bytes);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      }
    }
    // The two seeds make different drafts.
    expect(assets[0]?.steps[0]?.files?.[0]?.sha256).not.toBe(assets[1]?.steps[0]?.files?.[0]?.sha256);
  });

  it('a manifest written before steps recorded their files still validates', () => {
    const older = structuredClone(manifest);
    for (const asset of older.recipes['schema-check']?.assets ?? [])
      for (const step of asset.steps) delete step.files;
    expect(validate(older)).toEqual([]);
  });

  it("a profile's run says its profile, and validates; a profile that is not a string does not", async () => {
    const catalog = createCatalog();
    const text = `${RECIPE}profiles:\n  draft:\n    steps:\n      draft: { input: { megapixels: null } }\n`;
    const loaded = parseRecipeText(text, join(dir, 'r.yaml'), { catalog, profile: 'draft' });
    const result = await runPlan(createPlan([loaded], catalog), {
      provider: createLocalProvider(),
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out', 'draft'),
    });
    const { manifest: drafted } = await writeManifest(
      join(dir, 'out', 'draft'),
      manifestRecipes(result, dir),
      {
        generatorVersion: 'test',
      },
    );
    expect(drafted.recipes['schema-check']?.profile).toBe('draft');
    expect(validate(drafted)).toEqual([]);
    const broken = structuredClone(drafted) as unknown as { recipes: Record<string, { profile: unknown }> };
    (broken.recipes['schema-check'] as { profile: unknown }).profile = 3;
    expect(validate(broken).join('\n')).toMatch(/profile must be string/);
  });

  it('a step run through a deployment says so and validates; a deployment that is not owner/name does not', () => {
    const deployed = structuredClone(manifest);
    const step = deployed.recipes['schema-check']?.assets[0]?.steps[0];
    if (step === undefined || step.kind !== 'model') throw new Error('no model step');
    step.deployment = 'acme/pear-maker';
    expect(validate(deployed)).toEqual([]);
    step.deployment = 'pear-maker';
    expect(validate(deployed).join('\n')).toMatch(/deployment must match pattern/);
  });

  it('an output that says who C2PA-signed it validates; one without a signer does not', () => {
    const signed = structuredClone(manifest);
    const output = signed.recipes['schema-check']?.assets[0]?.outputs[0];
    if (output === undefined) throw new Error('no output');
    output.c2pa = { signer: 'Test Signer' };
    expect(validate(signed)).toEqual([]);
    (output as { c2pa: unknown }).c2pa = { signer: '' };
    expect(validate(signed).join('\n')).toMatch(/c2pa\/signer must NOT have fewer than 1 characters/);
    (output as { c2pa: unknown }).c2pa = { signer: 'x', key: 'secret' };
    expect(validate(signed).join('\n')).toMatch(/c2pa must NOT have additional properties/);
  });

  it('rejects a step file without a proper sha256', () => {
    const broken = structuredClone(manifest);
    const step = broken.recipes['schema-check']?.assets[0]?.steps[0];
    if (step === undefined) throw new Error('no step');
    step.files = [{ sha256: 'nope', bytes: 1, content_type: 'image/png' }];
    expect(validate(broken).join('\n')).toMatch(/files\/0\/sha256 must match pattern/);
  });
});
