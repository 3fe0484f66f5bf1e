/** compareManifests on hand-made manifests: each kind of reason, first causes only, what is ignored, the cost. */
import { describe, expect, it } from 'vitest';
import { compareManifests } from '../../src/diff/index.js';
import { representativeOutputs } from '../../src/diff/visuals.js';
import type {
  Manifest,
  ManifestAsset,
  ManifestImageStep,
  ManifestModelStep,
  ManifestOutput,
} from '../../src/manifest/types.js';

const hex = (character: string) => character.repeat(64);

function draft(overrides: Partial<ManifestModelStep> = {}): ManifestModelStep {
  return {
    id: 'draft',
    kind: 'model',
    provider: 'replicate',
    model: 'black-forest-labs/flux-schnell',
    version: null,
    input: { prompt: 'a mug', aspect_ratio: '1:1', seed: 11 },
    seed: 11,
    prediction_id: 'p1',
    estimated_usd: 0.003,
    actual_usd: 0.003,
    cache_hit: false,
    duration_ms: 900,
    ...overrides,
  };
}

function upscale(overrides: Partial<ManifestModelStep> = {}, imageSha = hex('a')): ManifestModelStep {
  return {
    id: 'upscale',
    kind: 'model',
    provider: 'replicate',
    model: 'nightmareai/real-esrgan',
    version: hex('1'),
    input: { scale: 2, face_enhance: false, image: { step: 'draft', sha256: imageSha } },
    seed: null,
    prediction_id: 'p2',
    estimated_usd: 0.002,
    actual_usd: 0.0025,
    cache_hit: false,
    duration_ms: 1500,
    ...overrides,
  };
}

function tidy(operations: unknown[] = [{ trim: {} }, { extend: { all: 24 } }]): ManifestImageStep {
  return { id: 'tidy', kind: 'image', provider: 'local', operations, cache_hit: false, duration_ms: 40 };
}

function output(overrides: Partial<ManifestOutput> = {}): ManifestOutput {
  return {
    path: 'shop/mug.webp',
    format: 'webp',
    width: 512,
    height: 512,
    bytes: 2000,
    sha256: hex('f'),
    placeholder: false,
    ...overrides,
  };
}

function asset(overrides: Partial<ManifestAsset> = {}): ManifestAsset {
  return {
    id: 'mug',
    variant: {},
    variables: { id: 'mug', recipe: 'shop', variant: '' },
    status: 'ok',
    placeholder: false,
    steps: [draft(), upscale(), tidy()],
    outputs: [output()],
    ...overrides,
  };
}

function manifest(...assets: ManifestAsset[]): Manifest {
  return {
    $schema: 'https://assetgen.dev/schema/manifest.schema.json',
    manifest_version: 2,
    generator: { name: 'assetgen', version: '0.1.0' },
    provider: { name: 'replicate', offline: false },
    placeholders: 0,
    recipes: {
      shop: {
        source: 'recipes/shop.yaml',
        output: 'shop',
        provider: { name: 'replicate', offline: false },
        assets,
      },
    },
  };
}

const changedOutput = output({ sha256: hex('e') });

function reasonsOf(before: ManifestAsset, after: ManifestAsset) {
  const diff = compareManifests(manifest(before), manifest(after));
  return diff.assets.map((entry) => [entry.change, entry.reasons]);
}

describe('compareManifests', () => {
  it('ignores what differs between two runs of the same request: cache hits, times, prediction ids, estimates', () => {
    const again = asset({
      steps: [
        draft({ cache_hit: true, duration_ms: 0, prediction_id: 'other', estimated_usd: 0 }),
        upscale({ cache_hit: true, actual_usd: 0.004 }),
        { ...tidy(), cache_hit: true },
      ],
      variables: { id: 'mug', recipe: 'shop', variant: '', note: 'an unused variable' },
    });
    expect(reasonsOf(asset(), again)).toEqual([['unchanged', []]]);
  });

  it('names a changed seed, and only the first cause: the upscale of a new draft is a consequence', () => {
    const after = asset({
      steps: [
        draft({ seed: 42, input: { prompt: 'a mug', aspect_ratio: '1:1', seed: 42 } }),
        upscale({}, hex('b')),
        tidy(),
      ],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), after)).toEqual([
      ['changed', [{ kind: 'seed', step: 'draft', detail: '11 → 42' }]],
    ]);
  });

  it('names another model version, another model, and other inputs by key', () => {
    const version = asset({
      steps: [draft(), upscale({ version: hex('2') }, hex('a')), tidy()],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), version)).toEqual([
      ['changed', [{ kind: 'model-version', step: 'upscale', detail: '111111111111 → 222222222222' }]],
    ]);
    const model = asset({
      steps: [draft(), upscale({ model: 'philz1337x/clarity-upscaler', version: hex('3') }), tidy()],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), model)).toEqual([
      [
        'changed',
        [{ kind: 'model', step: 'upscale', detail: 'nightmareai/real-esrgan → philz1337x/clarity-upscaler' }],
      ],
    ]);
    const input = asset({
      steps: [
        draft({ input: { prompt: 'a mug', aspect_ratio: '16:9', seed: 11 } }),
        upscale({ input: { scale: 4, image: { step: 'draft', sha256: hex('b') } } }),
        tidy(),
      ],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), input)).toEqual([
      [
        'changed',
        [
          { kind: 'model-input', step: 'draft', detail: 'aspect_ratio "1:1" → "16:9"' },
          { kind: 'model-input', step: 'upscale', detail: 'scale 2 → 4, face_enhance false → (none)' },
        ],
      ],
    ]);
  });

  it('says which step returned another result for the same request (seen in the next step’s input image)', () => {
    const after = asset({ steps: [draft(), upscale({}, hex('c')), tidy()], outputs: [changedOutput] });
    expect(reasonsOf(asset(), after)).toEqual([
      [
        'changed',
        [
          {
            kind: 'upstream-result',
            step: 'draft',
            detail: 'draft returned a different picture for the same request',
          },
        ],
      ],
    ]);
  });

  it('names post-processing changes: another option, or other operations', () => {
    const option = asset({
      steps: [draft(), upscale(), tidy([{ trim: {} }, { extend: { all: 48 } }])],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), option)).toEqual([
      ['changed', [{ kind: 'post-processing', step: 'tidy', detail: 'extend {"all":24} → {"all":48}' }]],
    ]);
    const operations = asset({
      steps: [draft(), upscale(), tidy([{ trim: {} }, { greyscale: {} }, { extend: { all: 24 } }])],
    });
    expect(reasonsOf(asset(), operations)).toEqual([
      [
        'changed',
        [{ kind: 'post-processing', step: 'tidy', detail: 'trim, extend → trim, greyscale, extend' }],
      ],
    ]);
  });

  it('names steps added and removed, the provider, and the status', () => {
    const added = asset({
      steps: [draft(), upscale(), tidy(), { ...tidy([{ blur: { sigma: 1 } }]), id: 'soften' }],
    });
    expect(reasonsOf(asset(), added)).toEqual([
      ['changed', [{ kind: 'steps', step: 'soften', detail: 'step soften added' }]],
    ]);
    const removed = asset({ steps: [draft(), tidy()] });
    expect(reasonsOf(asset(), removed)[0]?.[1]).toEqual([
      { kind: 'steps', step: 'upscale', detail: 'step upscale removed' },
    ]);
    const offline = asset({
      steps: [draft({ provider: 'local' }), upscale({ provider: 'local' }), tidy()],
      outputs: [changedOutput],
    });
    expect(reasonsOf(asset(), offline)[0]?.[1]).toEqual([
      { kind: 'provider', step: 'draft', detail: 'replicate → local' },
      { kind: 'provider', step: 'upscale', detail: 'replicate → local' },
    ]);
    const failed = asset({
      status: 'failed',
      error: 'upscale: prediction failed (CUDA out of memory)',
      outputs: [],
    });
    expect(reasonsOf(asset(), failed)[0]?.[1]).toEqual([
      { kind: 'status', detail: 'ok → failed (upscale: prediction failed (CUDA out of memory))' },
      { kind: 'outputs', detail: '1 file removed: shop/mug.webp' },
    ]);
  });

  it('names output files added, removed, or in another format or size', () => {
    const after = asset({
      outputs: [
        output({ width: 640, height: 640, sha256: hex('d') }),
        output({ path: 'shop/mug.avif', format: 'avif', sha256: hex('c') }),
      ],
    });
    expect(reasonsOf(asset(), after)[0]?.[1]).toEqual([
      { kind: 'outputs', detail: '1 file added: shop/mug.avif' },
      { kind: 'outputs', detail: 'shop/mug.webp webp 512×512 → webp 640×640' },
    ]);
  });

  it('says "pixels" when the files differ although every recorded step is the same', () => {
    expect(reasonsOf(asset(), asset({ outputs: [changedOutput] }))[0]?.[1]).toEqual([
      expect.objectContaining({ kind: 'pixels' }),
    ]);
  });

  it('matches assets by recipe, id and variant; lists changed, added, removed, unchanged in that order', () => {
    const variant = (seed: number, overrides: Partial<ManifestAsset> = {}) =>
      asset({
        variant: { seed },
        variables: { id: 'mug', recipe: 'shop', variant: `seed-${seed}` },
        ...overrides,
      });
    const base = manifest(variant(1), variant(2), variant(3));
    const head = manifest(variant(4), variant(3, { outputs: [changedOutput] }), variant(1));
    const diff = compareManifests(base, head);
    expect(diff.assets.map((entry) => [entry.label, entry.change])).toEqual([
      ['shop/mug/seed-3', 'changed'],
      ['shop/mug/seed-4', 'added'],
      ['shop/mug/seed-2', 'removed'],
      ['shop/mug/seed-1', 'unchanged'],
    ]);
    expect(diff.counts).toEqual({ changed: 1, added: 1, removed: 1, unchanged: 1 });
  });

  it('sums what the head spent: paid steps that ran, not cache hits, not placeholders; unknown costs counted apart', () => {
    const head = manifest(
      asset(),
      asset({
        id: 'lamp',
        steps: [draft({ cache_hit: true, actual_usd: 0.003 }), upscale({ actual_usd: null }), tidy()],
      }),
      asset({ id: 'vase', steps: [draft({ provider: 'local', actual_usd: 0 }), tidy()] }),
    );
    expect(compareManifests(manifest(), head).cost).toEqual({
      spentUsd: 0.0055,
      paidSteps: 2,
      unknownCostSteps: 1,
      offlineSteps: 1,
      cachedSteps: 1,
    });
  });
});

describe('representativeOutputs', () => {
  it('prefers a changed file both sides have, the smallest that fills a preview', () => {
    const sizes = (sha: string) => [
      output({ path: 'a-160.webp', width: 160, height: 90 }),
      output({ path: 'a-640.webp', width: 640, height: 360 }),
      output({ path: 'a-1280.webp', width: 1280, height: 720 }),
      output({ path: 'a-640.avif', format: 'avif', width: 640, height: 360, sha256: sha }),
      output({ path: 'a-1280.avif', format: 'avif', width: 1280, height: 720, sha256: sha }),
    ];
    const diff = compareManifests(
      manifest(asset({ outputs: sizes(hex('1')) })),
      manifest(asset({ outputs: sizes(hex('2')) })),
    );
    const picked = representativeOutputs(diff.assets[0] as (typeof diff.assets)[number]);
    expect([picked.before?.path, picked.after?.path, picked.before?.sha256]).toEqual([
      'a-640.avif',
      'a-640.avif',
      hex('1'),
    ]);
    const unchanged = compareManifests(
      manifest(asset({ outputs: sizes(hex('1')) })),
      manifest(asset({ outputs: sizes(hex('1')) })),
    );
    expect(representativeOutputs(unchanged.assets[0] as (typeof diff.assets)[number]).after?.path).toBe(
      'a-640.webp',
    );
  });
});
