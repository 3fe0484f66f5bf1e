/**
 * Manifest format version 2: which provider made each recipe and the placeholder marks, checked by the
 * schema; a version 1 manifest (and one from before `manifest_version`) still reads — as version 2, the
 * marks derived from the provider each model step recorded — and a run merging into one upgrades it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, readManifest, runRecipes } from '../../src/index.js';
import { manifestValidator } from '../helpers/manifest.js';

const modelStep = (provider: string) => ({
  id: 'art',
  kind: 'model',
  provider,
  model: 'black-forest-labs/flux-schnell',
  version: null,
  input: { prompt: 'a tile' },
  seed: 1,
  prediction_id: provider === 'replicate' ? 'p0000000000000000000000000' : null,
  estimated_usd: provider === 'replicate' ? 0.003 : 0,
  actual_usd: provider === 'replicate' ? 0.003 : 0,
  cache_hit: false,
  duration_ms: 12,
});
const output = (path: string) => ({
  path,
  format: 'png',
  width: 32,
  height: 32,
  bytes: 100,
  sha256: 'a'.repeat(64),
});
const asset = (id: string, provider: string) => ({
  id,
  variant: {},
  variables: { id },
  status: 'ok',
  steps: [modelStep(provider)],
  outputs: [output(`${id}.png`)],
});

/** What assetgen 0.1 (manifest version 1) wrote: no provider, no placeholder marks. */
const VERSION_1 = {
  $schema: 'https://assetgen.dev/schema/manifest.schema.json',
  manifest_version: 1,
  generator: { name: 'assetgen', version: '0.1.0' },
  recipes: {
    drafts: { source: 'drafts.yaml', output: 'drafts', assets: [asset('sketch', 'local')] },
    shop: {
      source: 'shop.yaml',
      output: 'shop',
      assets: [asset('mug', 'replicate'), asset('lamp', 'replicate')],
    },
  },
};

describe('manifest format version 2', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a version 1 manifest as version 2, with provider and placeholders derived from its steps', async () => {
    await writeFile(join(dir, 'v1.json'), JSON.stringify(VERSION_1));
    const manifest = await readManifest(join(dir, 'v1.json'));
    expect(manifestValidator()(manifest)).toEqual([]);
    expect(manifest).toMatchObject({
      manifest_version: 2,
      provider: { name: 'mixed', offline: true },
      placeholders: 1,
      recipes: {
        drafts: {
          provider: { name: 'local', offline: true },
          assets: [{ placeholder: true, outputs: [{ placeholder: true }] }],
        },
        shop: {
          provider: { name: 'replicate', offline: false },
          assets: [
            { id: 'mug', placeholder: false, outputs: [{ placeholder: false }] },
            { id: 'lamp', placeholder: false, outputs: [{ placeholder: false }] },
          ],
        },
      },
    });
    const { manifest_version: _, ...legacy } = VERSION_1;
    await writeFile(join(dir, 'legacy.json'), JSON.stringify(legacy));
    expect(await readManifest(join(dir, 'legacy.json'))).toEqual(manifest);
  });

  it('the schema requires the marks: a version 2 manifest without them does not validate', () => {
    const unmarked = {
      ...VERSION_1,
      manifest_version: 2,
      provider: { name: 'local', offline: true },
      placeholders: 0,
    };
    const problems = manifestValidator()(unmarked);
    expect(problems).toContainEqual(
      expect.stringMatching(/\/recipes\/drafts .*required property 'provider'/),
    );
    expect(problems).toContainEqual(expect.stringMatching(/\/recipes\/drafts\/assets\/0 .*'placeholder'/));
  });

  it('an offline run marks every output as a placeholder and merges into a version 1 manifest, upgrading it', async () => {
    await writeFile(
      join(dir, 'tiles.yaml'),
      'name: tiles\nassets:\n  - id: red\nsteps:\n  - id: art\n    model: black-forest-labs/flux-schnell\n    input: { prompt: "a red tile", megapixels: "0.25" }\noutputs:\n  - path: "{{ id }}-{{ width }}.png"\n    widths: [16, 32]\n',
    );
    await mkdir(join(dir, 'out'), { recursive: true });
    await writeFile(join(dir, 'out', 'manifest.json'), JSON.stringify(VERSION_1));
    const report = await runRecipes(['tiles.yaml'], { cwd: dir, out: 'out', cacheDir: 'cache' });
    expect(report.status).toBe('ok');
    const written = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifestValidator()(written)).toEqual([]);
    expect(Object.keys(written).slice(0, 6)).toEqual([
      '$schema',
      'manifest_version',
      'generator',
      'provider',
      'placeholders',
      'recipes',
    ]);
    expect(written.manifest_version).toBe(2);
    expect(written.provider).toEqual({ name: 'mixed', offline: true });
    expect(written.placeholders).toBe(3); // the two new tiles and the old sketch
    expect(written.recipes.tiles?.provider).toEqual({ name: 'local', offline: true });
    expect(written.recipes.tiles?.assets[0]?.placeholder).toBe(true);
    expect(written.recipes.tiles?.assets[0]?.outputs.map((o) => o.placeholder)).toEqual([true, true]);
    expect(written.recipes.shop?.provider).toEqual({ name: 'replicate', offline: false });
    expect(Object.keys(written.recipes.shop?.assets[0] ?? {})).toEqual([
      'id',
      'variant',
      'variables',
      'status',
      'placeholder',
      'steps',
      'outputs',
    ]);
  });
});
