import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { ProviderEvent } from '../../../src/providers/types.js';
import { request, workDirs } from './helpers.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const dirs = workDirs();
afterAll(() => dirs.cleanup());
const provider = createLocalProvider();
const SCHNELL = 'black-forest-labs/flux-schnell';

async function generate(model: string, input: Record<string, unknown>) {
  const result = await provider.predict(request(model, input, await dirs.make()));
  const first = result.files[0];
  if (!first) throw new Error('no file');
  const data = await readFile(first.path);
  return { result, first, data, meta: await sharp(data).metadata() };
}

describe('local text-to-image stand-in', () => {
  it('makes a 1024² webp by default, described truthfully', async () => {
    const { result, first, data, meta } = await generate(SCHNELL, {
      prompt: 'a glazed ceramic mug',
      seed: 1,
    });
    expect(result).toMatchObject({ provider: 'local', actualUsd: 0 });
    expect(result.version).toBeUndefined();
    expect(result.files).toHaveLength(1);
    expect(basename(first.path)).toBe('out-0.webp');
    expect(first).toMatchObject({ contentType: 'image/webp', bytes: data.length, sha256: sha256(data) });
    expect(meta).toMatchObject({ format: 'webp', width: 1024, height: 1024 });
  });

  it('is byte-identical for the same input and differs for another seed', async () => {
    const input = { prompt: 'a brass desk lamp', seed: 42, megapixels: '0.25' };
    const a = await generate(SCHNELL, input);
    const b = await generate(SCHNELL, input);
    const c = await generate(SCHNELL, { ...input, seed: 43 });
    expect(b.first.sha256).toBe(a.first.sha256);
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect(c.first.sha256).not.toBe(a.first.sha256);
  });

  it('derives a stable seed from the prompt when none is given, and says which', async () => {
    const events: ProviderEvent[] = [];
    const dir = await dirs.make();
    const input = { prompt: 'no seed here', megapixels: '0.25' };
    const one = await provider.predict(request(SCHNELL, input, dir, { onEvent: (e) => events.push(e) }));
    const two = await generate(SCHNELL, input);
    expect(one.files[0]?.sha256).toBe(two.first.sha256);
    expect(events).toContainEqual({ type: 'log', text: expect.stringMatching(/^Using seed: \d+$/) });
  });

  it.each([
    ['1:1', '1', 1024, 1024],
    ['16:9', '1', 1344, 768],
    ['9:21', '0.25', 320, 768],
    ['4:5', '0.25', 448, 544],
  ])(
    'gives flux’s size for aspect ratio %s at %s megapixels',
    async (aspect_ratio, megapixels, width, height) => {
      const { meta } = await generate(SCHNELL, {
        prompt: 'x',
        seed: 1,
        aspect_ratio,
        megapixels,
        output_format: 'png',
      });
      expect(meta).toMatchObject({ width, height });
    },
  );

  it.each([
    ['jpg', 'jpeg', 'out-0.jpg', 'image/jpeg'],
    ['png', 'png', 'out-0.png', 'image/png'],
    ['webp', 'webp', 'out-0.webp', 'image/webp'],
  ])('writes output_format %s', async (output_format, format, name, contentType) => {
    const model = 'black-forest-labs/flux-dev';
    const { first, meta } = await generate(model, {
      prompt: 'x',
      seed: 1,
      megapixels: '0.25',
      output_format,
    });
    expect(meta.format).toBe(format);
    expect(basename(first.path)).toBe(name);
    expect(first.contentType).toBe(contentType);
  });

  it('honours output_quality (lower quality, fewer bytes)', async () => {
    const input = {
      prompt: 'quality test with some words',
      seed: 3,
      megapixels: '0.25',
      output_format: 'jpg',
    };
    const high = await generate(SCHNELL, { ...input, output_quality: 95 });
    const low = await generate(SCHNELL, { ...input, output_quality: 20 });
    expect(low.data.length).toBeLessThan(high.data.length);
  });

  it('makes num_outputs files with consecutive seeds', async () => {
    const dir = await dirs.make();
    const input = { prompt: 'three of them', seed: 10, num_outputs: 3, megapixels: '0.25' };
    const result = await provider.predict(request(SCHNELL, input, dir));
    expect(result.files.map((f) => basename(f.path))).toEqual(['out-0.webp', 'out-1.webp', 'out-2.webp']);
    expect(new Set(result.files.map((f) => f.sha256)).size).toBe(3);
    const second = await generate(SCHNELL, { ...input, seed: 11, num_outputs: 1 });
    expect(result.files[1]?.sha256).toBe(second.first.sha256);
  });

  it('takes sdxl’s width and height and writes png', async () => {
    const { first, meta } = await generate('stability-ai/sdxl', {
      prompt: 'sdxl',
      seed: 5,
      width: 640,
      height: 384,
    });
    expect(meta).toMatchObject({ format: 'png', width: 640, height: 384 });
    expect(basename(first.path)).toBe('out-0.png');
  });

  it('draws the picture: a light backdrop at the corners, a contrasting subject in the middle', async () => {
    const { data } = await generate(SCHNELL, {
      prompt: 'layout',
      seed: 9,
      megapixels: '0.25',
      output_format: 'png',
    });
    const { data: px, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...px.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    const corner = at(2, 2);
    const subject = at(info.width >> 1, Math.round(info.height * 0.2));
    expect(Math.min(...corner)).toBeGreaterThan(170);
    const distance = Math.hypot(...corner.map((c, i) => c - (subject[i] ?? 0)));
    expect(distance).toBeGreaterThan(100);
  });

  it('rejects an unusable size or format with the model’s name', async () => {
    const dir = await dirs.make();
    await expect(
      provider.predict(request('stability-ai/sdxl', { prompt: 'x', width: 0 }, dir)),
    ).rejects.toMatchObject({
      code: 'LOCAL_INPUT',
      message: expect.stringContaining(
        'expected an integer >= 16 and <= 4096 for input.width but received 0',
      ),
    });
    await expect(
      provider.predict(request(SCHNELL, { prompt: 'x', output_format: 'gif' }, dir)),
    ).rejects.toThrow(/output_format "gif"/);
  });
});
