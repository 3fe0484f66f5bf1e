/**
 * The fake Replicate server driven through the real `replicate` SDK 1.4.0: creates, sync waits, polling,
 * real image outputs, validation and auth errors, pagination, models, files.
 */
import type { Prediction } from 'replicate';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { CANARY_TOKEN, sdkClient, solidPng, tinyMaker } from './helpers.js';
import { type FakeReplicate, startFakeReplicate } from './index.js';

const SCHNELL = 'black-forest-labs/flux-schnell';
const ESRGAN = 'nightmareai/real-esrgan';
const ESRGAN_VERSION = 'f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa';
const SDXL_VERSION = '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc';

interface OpenApiSchemas {
  Input: { required: string[]; properties: Record<string, Record<string, unknown>> };
  Output: Record<string, unknown>;
  aspect_ratio: { enum: string[] };
}

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fetchImage(url: string) {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const body = Buffer.from(await response.arrayBuffer());
  return { contentType: response.headers.get('content-type'), meta: await sharp(body).metadata() };
}

describe('creating and running predictions', () => {
  it('runs an official model with Prefer: wait and returns real images in the requested format', async () => {
    fake = await startFakeReplicate({ token: CANARY_TOKEN, behaviour: { runMs: 30 } });
    const replicate = sdkClient(fake);
    const prediction = await replicate.predictions.create({
      model: SCHNELL,
      input: {
        prompt: 'a red mug',
        num_outputs: 2,
        aspect_ratio: '16:9',
        output_format: 'png',
        megapixels: '0.25',
      },
      wait: 5,
    });
    expect(prediction.status).toBe('succeeded');
    expect(prediction.version).toBe('hidden');
    expect(prediction.model).toBe(SCHNELL);
    expect(prediction.urls.get).toBe(`${fake.baseUrl}/predictions/${prediction.id}`);
    expect(prediction.id).toMatch(/^[a-z0-9]{26}$/);
    expect(prediction.metrics).toMatchObject({ image_count: 2, predict_time: 0.03 });
    expect(prediction.started_at).toBeDefined();
    const output = prediction.output as string[];
    expect(output).toHaveLength(2);
    for (const url of output) {
      expect(url).toMatch(new RegExp(`^${fake.origin}/files-delivery/${prediction.id}/out-[01]\\.png$`));
      const image = await fetchImage(url);
      expect(image.contentType).toBe('image/png');
      expect(image.meta).toMatchObject({ format: 'png', width: 672, height: 384 });
    }
    expect(fake.counts).toMatchObject({ create: 1, download: 2, total: 3 });
  });

  it('echoes Preference-Applied and returns `processing` when the wait ends first, then the SDK polls', async () => {
    // timeScale 0.05: `Prefer: wait=1` holds 50 ms, a 50 ms run takes 2.5 ms (a wide margin on a loaded
    // machine), a 4 s run 200 ms.
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, timeScale: 0.05, behaviour: { runMs: 50 } });
    const applied: (string | null)[] = [];
    const replicate = sdkClient(fake);
    replicate.fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST') applied.push(response.headers.get('preference-applied'));
      return response;
    };
    const quick = await replicate.predictions.create({
      version: SDXL_VERSION,
      input: { prompt: 'x' },
      wait: 1,
    });
    expect(quick.status).toBe('succeeded');
    expect(quick.metrics).toMatchObject({ predict_time: 0.05 });

    fake.setModelBehaviour('stability-ai/sdxl', { runMs: 4000 });
    const slow = await replicate.predictions.create({
      version: SDXL_VERSION,
      input: { prompt: 'x' },
      wait: 1,
    });
    expect(slow.status).toBe('processing');
    expect(slow.output).toBeNull();
    const polled = await replicate.wait(slow, { interval: 20 });
    expect(polled.status).toBe('succeeded');
    expect(polled.output).toHaveLength(1);
    expect(applied).toEqual(['wait=1', 'wait=1']);
  });

  it('returns `processing` with complete file outputs while the worker finalises (what run() accepts)', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, behaviour: { runMs: 10, finalizeMs: 500 } });
    const replicate = sdkClient(fake);
    const created = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' }, wait: 5 });
    expect(created.status).toBe('processing');
    expect(created.output).toHaveLength(1);
    expect((await fake.predictions.settled(created.id)).status).toBe('succeeded');
  });

  it('creates community models by bare version and by owner/name:version, and polls to success', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, behaviour: { runMs: 40, startingMs: 20 } });
    const replicate = sdkClient(fake);
    const image = `data:image/png;base64,${(await solidPng(16, 12)).toString('base64')}`;
    const created = await replicate.predictions.create({
      version: ESRGAN_VERSION,
      input: { image, scale: 2 },
    });
    expect(created.status).toBe('starting');
    expect(created.version).toBe(ESRGAN_VERSION);
    const done = await replicate.wait(created, { interval: 10 });
    expect(done.status).toBe('succeeded');
    expect(typeof done.output).toBe('string');
    expect(done.logs).toMatch(/100%\|█+\| 4\/4/);
    expect(fake.counts.get).toBeGreaterThanOrEqual(2);

    const viaRun = await replicate.run(`${ESRGAN}:${ESRGAN_VERSION}`, { input: { image, scale: 2 } });
    expect(viaRun).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files-delivery\/.+\/out-0\.png$/);
  });

  it('upscales a real input image (placeholder maker): output is the input scaled', async () => {
    fake = await startFakeReplicate({ behaviour: { runMs: 10 } });
    const replicate = sdkClient(fake);
    const image = `data:image/png;base64,${(await solidPng(20, 10)).toString('base64')}`;
    const output = await replicate.run(`${ESRGAN}:${ESRGAN_VERSION}`, { input: { image, scale: 3 } });
    const result = await fetchImage(String(output));
    expect(result.meta).toMatchObject({ format: 'png', width: 60, height: 30 });
  });

  it('rejects inputs that violate the model schema with 422 Input validation failed', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const replicate = sdkClient(fake);
    const error = await replicate.predictions
      .create({ model: SCHNELL, input: { num_outputs: 9, aspect_ratio: '7:3' } })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const body = JSON.parse(
      String((error as Error).message)
        .replace(/^[^{]*/, '')
        .replace(/\.$/, ''),
    );
    expect(body).toMatchObject({ status: 422, title: 'Input validation failed' });
    expect(body.invalid_fields).toEqual(
      expect.arrayContaining([
        { type: 'required', field: 'input', description: 'prompt is required' },
        expect.objectContaining({ field: 'input.num_outputs', type: 'less_than_equal' }),
        expect.objectContaining({ field: 'input.aspect_ratio', type: 'enum' }),
      ]),
    );
    expect(body.detail).toContain('- input: prompt is required\n');
    expect(fake.predictions.size).toBe(0);
  });

  it('answers 422 for unknown versions, 404 for unknown official models, 422 for community models there', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const post = (path: string, body: unknown) =>
      fetch(`${fake?.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake?.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknownVersion = await post('/predictions', { version: 'a'.repeat(64), input: {} });
    expect(unknownVersion.status).toBe(422);
    expect(await unknownVersion.json()).toMatchObject({ title: 'Invalid version or not permitted' });
    const unknownModel = await post('/models/nobody/nothing/predictions', { input: {} });
    expect(unknownModel.status).toBe(404);
    expect(await unknownModel.json()).toEqual({
      detail: 'The requested resource could not be found.',
      status: 404,
    });
    const community = await post(`/models/${ESRGAN}/predictions`, { input: {} });
    expect(community.status).toBe(422);
    const mismatched = await post('/predictions', { version: `${SCHNELL}:${ESRGAN_VERSION}`, input: {} });
    expect(mismatched.status).toBe(422);
    const officialByRef = await post('/predictions', { version: SCHNELL, input: { prompt: 'p' } });
    expect(officialByRef.status).toBe(201);
  });

  it('answers 401 with Replicate bodies for a missing or wrong token, and accepts `Token` auth', async () => {
    fake = await startFakeReplicate({ token: CANARY_TOKEN });
    const wrong = await sdkClient(fake, 'r8_wrong')
      .accounts.current()
      .catch((e: Error) => e);
    expect(String(wrong)).toContain('401');
    expect(String(wrong)).toContain('You did not pass a valid authentication token');
    const none = await fetch(`${fake.baseUrl}/account`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      title: 'Unauthenticated',
      detail: 'You did not pass an authentication token',
      status: 401,
    });
    const token = await fetch(`${fake.baseUrl}/account`, {
      headers: { authorization: `Token ${CANARY_TOKEN}` },
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
    expect(token.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
    expect(fake.counts.account).toBe(3);
  });

  it('cancels a running prediction', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, behaviour: { runMs: 5000 } });
    const replicate = sdkClient(fake);
    const created = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    await waitForStatus(fake, created.id, 'processing');
    const canceled = await replicate.predictions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.metrics?.predict_time).toBeGreaterThanOrEqual(0);
    expect((await replicate.predictions.cancel(created.id)).status).toBe('canceled');
    expect(fake.counts.cancel).toBe(2);
  });
});

describe('listing, models and files', () => {
  it('lists newest first, 100 per page, with absolute next URLs that paginate() follows', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, behaviour: { runMs: 0, logSteps: 1 } });
    const replicate = sdkClient(fake);
    const ids: string[] = [];
    for (let i = 0; i < 103; i += 1) {
      ids.push((await replicate.predictions.create({ model: SCHNELL, input: { prompt: `p${i}` } })).id);
    }
    const first = await replicate.predictions.list();
    expect(first.results).toHaveLength(100);
    expect(first.results[0]?.id).toBe(ids[102]);
    expect(first.next).toMatch(new RegExp(`^${fake.baseUrl}/predictions\\?cursor=`));
    const pages: Prediction[][] = [];
    for await (const page of replicate.paginate(() => replicate.predictions.list())) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([100, 3]);
    expect(pages.flat().map((p) => p.id)).toEqual([...ids].reverse());

    const cut = fake.predictions.get(ids[100] ?? '')?.created_at as string;
    const filtered = await replicate.request(`/predictions?created_after=${encodeURIComponent(cut)}`, {
      method: 'GET',
    });
    const newer = ((await filtered.json()) as { results: Prediction[] }).results;
    expect(newer.every((p) => p.created_at > cut)).toBe(true);
  });

  it('returns models with latest_version.openapi_schema Input built from the schema file', async () => {
    fake = await startFakeReplicate();
    const replicate = sdkClient(fake);
    const model = await replicate.models.get('black-forest-labs', 'flux-schnell');
    expect(model.is_official).toBe(true);
    const schema = model.latest_version?.openapi_schema as { components: { schemas: OpenApiSchemas } };
    const components = schema.components.schemas;
    expect(components.Input.required).toEqual(['prompt']);
    expect(components.Input.properties.num_outputs).toMatchObject({ minimum: 1, maximum: 4, default: 1 });
    expect(components.Input.properties.aspect_ratio?.allOf).toEqual([
      { $ref: '#/components/schemas/aspect_ratio' },
    ]);
    expect(components.aspect_ratio.enum).toContain('16:9');
    expect(components.Output).toMatchObject({ type: 'array', items: { type: 'string', format: 'uri' } });
    const esrgan = await replicate.models.get('nightmareai', 'real-esrgan');
    expect(esrgan.is_official).toBe(false);
    expect(esrgan.latest_version?.id).toBe(ESRGAN_VERSION);
    const versions = await replicate.models.versions.list('nightmareai', 'real-esrgan');
    expect(versions.results.map((v) => v.id)).toEqual([ESRGAN_VERSION]);
    expect(fake.counts).toMatchObject({ modelGet: 2, versionsList: 1 });
  });

  it('accepts a files.create upload and uses it as a model input', async () => {
    fake = await startFakeReplicate({ behaviour: { runMs: 10 } });
    const replicate = sdkClient(fake);
    const png = await solidPng(12, 9);
    const file = await replicate.files.create(png);
    expect(file.size).toBe(png.length);
    expect(file.urls.get).toBe(`${fake.baseUrl}/files/${file.id}`);
    expect((await replicate.files.get(file.id)).checksums.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { download: downloadUrl } = (file as unknown as { urls: { download: string } }).urls;
    const raw = await fetch(downloadUrl); // signed URL: no token needed
    expect(Buffer.from(await raw.arrayBuffer()).equals(png)).toBe(true);
    const output = await replicate.run(`${ESRGAN}:${ESRGAN_VERSION}`, {
      input: { image: file.urls.get, scale: 2 },
    });
    const result = await fetchImage(String(output));
    expect(result.meta).toMatchObject({ width: 24, height: 18 });
    // The SDK uploads Buffer inputs itself (fileEncodingStrategy "default").
    const viaBuffer = await replicate.run(`${ESRGAN}:${ESRGAN_VERSION}`, { input: { image: png, scale: 1 } });
    expect((await fetchImage(String(viaBuffer))).meta).toMatchObject({ width: 12, height: 9 });
    expect(fake.counts.fileUpload).toBe(2);
  });

  it('fails the prediction when an input URL points outside', async () => {
    fake = await startFakeReplicate({ behaviour: { runMs: 5 } });
    const replicate = sdkClient(fake);
    const error = await replicate
      .run(`${ESRGAN}:${ESRGAN_VERSION}`, { input: { image: 'https://example.com/cat.png' } })
      .catch((e: Error) => e);
    expect(String(error)).toMatch(/Prediction failed: could not download https:\/\/example\.com\/cat\.png/);
  });
});

async function waitForStatus(fake: FakeReplicate, id: string, status: string) {
  for (let i = 0; i < 200; i += 1) {
    if (fake.predictions.get(id)?.status === status) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`prediction ${id} never reached ${status}`);
}
