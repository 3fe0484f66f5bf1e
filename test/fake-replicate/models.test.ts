/**
 * Models beyond the catalog: added from a Cog document (the recorded SDXL ones verbatim, or one built with
 * `buildOpenApiSchema`), served by the models API as the real one does, validated against their own
 * `Input`, and run — by version, or as an official model.
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { InputFile } from '../../src/providers/types.js';
import { sdkClient, solidPng, tinyMaker } from './helpers.js';
import { buildOpenApiSchema, type FakeReplicate, type MakeOutputs, startFakeReplicate } from './index.js';
import { loadRecordings } from './recordings.js';

type Json = Record<string, unknown>;
const recordings = loadRecordings();
const SDXL_2023 = '39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b';
const SDXL_2024 = '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc';
const recordedDoc = (name: string, nested: boolean): Json => {
  const body = recordings.json(name);
  return ((nested ? body.latest_version : body) as Json).openapi_schema as Json;
};

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${fake?.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake?.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Json };
}

/** An edit model outside the catalog: a list of images in, an object of files out. */
const pixelForgeDoc = buildOpenApiSchema(
  {
    type: 'object',
    required: ['prompt', 'images'],
    properties: {
      prompt: { type: 'string', 'x-order': 0 },
      images: { type: 'array', items: { type: 'string', format: 'uri' }, 'x-order': 1 },
      style: { type: 'string', enum: ['flat', 'pixel', 'ink'], default: 'pixel', 'x-order': 2 },
      strength: { type: 'number', minimum: 0, maximum: 1, default: 0.5, 'x-order': 3 },
    },
  },
  {
    type: 'object',
    properties: { image: { type: 'string', format: 'uri' }, mask: { type: 'string', format: 'uri' } },
  },
);

describe('adding models', () => {
  it('serves a model from recorded Cog documents: versions newest first, each validated by its own Input', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      behaviour: { runMs: 5 },
      extraModels: [
        {
          ref: 'stability-ai/sdxl',
          description: 'from the recordings',
          versions: [
            { id: SDXL_2023, openapiSchema: recordedDoc('sdxl_version_get_2023', false) },
            { id: SDXL_2024, openapiSchema: recordedDoc('sdxl_model_get_2024', true) },
          ],
        },
      ],
    });
    const replicate = sdkClient(fake);
    const model = await replicate.models.get('stability-ai', 'sdxl');
    expect(model.latest_version?.id).toBe(SDXL_2024);
    expect(model.latest_version?.openapi_schema).toEqual(recordedDoc('sdxl_model_get_2024', true));
    const versions = await replicate.models.versions.list('stability-ai', 'sdxl');
    expect(versions.results.map((v) => v.id)).toEqual([SDXL_2024, SDXL_2023]);
    const old = await replicate.models.versions.get('stability-ai', 'sdxl', SDXL_2023);
    expect(old.openapi_schema).toEqual(recordedDoc('sdxl_version_get_2023', false));

    const wrong = await post('/predictions', {
      version: SDXL_2023,
      input: { prompt: 'p', scheduler: 'K_EULERR', num_outputs: 9 },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.json.invalid_fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'input.scheduler', type: 'enum' }),
        expect.objectContaining({ field: 'input.num_outputs', type: 'less_than_equal' }),
      ]),
    );
    const ran = await replicate.predictions.create({
      version: SDXL_2023,
      input: { prompt: 'p', scheduler: 'DDIM' },
      wait: 5,
    });
    expect(ran.status).toBe('succeeded');
    expect(ran.version).toBe(SDXL_2023);
  });

  it('runs a model outside the catalog: list-of-files input, object-of-files output, defaults applied', async () => {
    const seen: Json[] = [];
    const maker: MakeOutputs = async (request) => {
      seen.push(request.input);
      const images = request.input.images as InputFile[];
      const files = await Promise.all(images.map(async (f) => sharp(f.path).flip().png().toBuffer()));
      return { files, contentType: 'image/png' };
    };
    fake = await startFakeReplicate({
      makeOutputs: maker,
      behaviour: { runMs: 5 },
      extraModels: [
        { ref: 'acme/pixel-forge', official: true, versions: [{ openapiSchema: pixelForgeDoc }] },
      ],
    });
    const model = (await (
      await fetch(`${fake.baseUrl}/models/acme/pixel-forge`, {
        headers: { authorization: `Bearer ${fake.token}` },
      })
    ).json()) as Json;
    expect((model.latest_version as Json).id).toMatch(/^[0-9a-f]{64}$/);
    const badStyle = await post('/models/acme/pixel-forge/predictions', {
      input: { prompt: 'p', images: [], style: 'oil' },
    });
    expect(badStyle.status).toBe(422);
    expect(badStyle.json.detail).toContain(
      'input.style: style must be one of the following: "flat", "pixel", "ink"',
    );
    const a = `data:image/png;base64,${(await solidPng(4, 3)).toString('base64')}`;
    const b = `data:image/png;base64,${(await solidPng(5, 2)).toString('base64')}`;
    const created = await post('/models/acme/pixel-forge/predictions', {
      input: { prompt: 'p', images: [a, b] },
    });
    expect(created.status).toBe(201);
    const done = await fake.predictions.settled(String(created.json.id));
    expect(done.version).toBe('hidden');
    const output = done.output as { image: string; mask: string };
    expect(Object.keys(output)).toEqual(['image', 'mask']);
    const sizes = await Promise.all(
      [output.image, output.mask].map(async (url) =>
        sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata(),
      ),
    );
    expect(sizes.map((m) => [m.width, m.height])).toEqual([
      [4, 3],
      [5, 2],
    ]);
    expect(seen[0]).toMatchObject({ style: 'pixel', strength: 0.5 });
    expect(((seen[0]?.images ?? []) as InputFile[]).map((f) => f.kind)).toEqual(['file', 'file']);
    expect(done.metrics).toMatchObject({ image_count: 2 });
  });

  it('publishes a new version mid-test: latest moves, the old one still runs', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, behaviour: { runMs: 5 } });
    const esrgan = fake.models.get('nightmareai/real-esrgan');
    const before = esrgan?.latest.id;
    const doc = buildOpenApiSchema(
      {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', format: 'uri', 'x-order': 0 },
          scale: { type: 'number', minimum: 1, maximum: 8, default: 2, 'x-order': 1 },
          tile: { type: 'integer', default: 0, 'x-order': 2 },
        },
      },
      { type: 'string', format: 'uri' },
    );
    const added = fake.models.addVersion('nightmareai/real-esrgan', { openapiSchema: doc });
    const replicate = sdkClient(fake);
    const model = await replicate.models.get('nightmareai', 'real-esrgan');
    expect(model.latest_version?.id).toBe(added.id);
    const ids = (await replicate.models.versions.list('nightmareai', 'real-esrgan')).results.map((v) => v.id);
    expect(ids).toEqual([added.id, before]);
    const image = `data:image/png;base64,${(await solidPng(4, 4)).toString('base64')}`;
    expect((await post('/predictions', { version: added.id, input: { image, scale: 9 } })).status).toBe(422);
    expect((await post('/predictions', { version: before, input: { image, scale: 9 } })).status).toBe(201);
  });

  it('lists the official models, added ones too, in the official collection', async () => {
    fake = await startFakeReplicate({
      profile: 'recorded',
      extraModels: [
        { ref: 'acme/pixel-forge', official: true, versions: [{ openapiSchema: pixelForgeDoc }] },
      ],
    });
    const replicate = sdkClient(fake);
    const official = await replicate.collections.get('official');
    const refs = (official.models ?? []).map((m) => `${m.owner}/${m.name}`).sort();
    expect(refs).toEqual([
      'acme/pixel-forge',
      'black-forest-labs/flux-dev',
      'black-forest-labs/flux-schnell',
      'meta/meta-llama-3-70b-instruct',
    ]);
    expect((await replicate.collections.list()).results.map((c) => c.slug)).toEqual(['official']);
    expect(fake.counts).toMatchObject({ collectionGet: 1, collectionList: 1 });
  });

  it('refuses a model spec without versions or a document without Input, saying which', async () => {
    fake = await startFakeReplicate();
    expect(() => fake?.models.add({ ref: 'acme/empty', versions: [] })).toThrow(/acme\/empty/);
    expect(() =>
      fake?.models.add({ ref: 'acme/odd', versions: [{ openapiSchema: { openapi: '3.0.2' } }] }),
    ).toThrow(/components\.schemas\.Input/);
  });
});
