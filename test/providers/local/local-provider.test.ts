import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError, ProviderError } from '../../../src/errors.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { ProviderEvent } from '../../../src/providers/types.js';
import { inputFile as file, request, workDirs } from './helpers.js';

const dirs = workDirs();
afterAll(() => dirs.cleanup());
const provider = createLocalProvider();
const ESRGAN = 'nightmareai/real-esrgan';
const LLAMA = 'meta/meta-llama-3-70b-instruct';

async function picture(width: number, height: number): Promise<{ path: string; data: Buffer }> {
  const data = await sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
  const path = join(await dirs.make(), 'in.png');
  await writeFile(path, data);
  return { path, data };
}

describe('local provider', () => {
  it('is the free, offline provider', () => {
    expect(provider.name).toBe('local');
    expect(provider.paid).toBe(false);
  });

  it('refuses a model without a stand-in, pointing at REPLICATE_API_TOKEN', async () => {
    const dir = await dirs.make();
    const error = await provider
      .predict(request('someone/uncatalogued', { prompt: 'x' }, dir))
      .catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      code: 'LOCAL_NO_STANDIN',
      details: { provider: 'local', model: 'someone/uncatalogued' },
    });
    expect(error.message).toContain('REPLICATE_API_TOKEN');
  });

  it('throws CancelledError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user pressed Ctrl-C'));
    const dir = await dirs.make();
    const run = provider.predict(
      request('black-forest-labs/flux-schnell', { prompt: 'x' }, dir, { signal: controller.signal }),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('local upscale stand-in', () => {
  it('doubles the size for scale 2 and writes a png', async () => {
    const { path } = await picture(50, 30);
    const result = await provider.predict(
      request(ESRGAN, { image: file(path), scale: 2 }, await dirs.make()),
    );
    const out = result.files[0];
    expect(basename(out?.path ?? '')).toBe('output.png');
    expect(out?.contentType).toBe('image/png');
    expect(await sharp(out?.path).metadata()).toMatchObject({ format: 'png', width: 100, height: 60 });
  });

  it('upscales by 4 by default, and by fractional factors', async () => {
    const { path } = await picture(20, 10);
    const four = await provider.predict(request(ESRGAN, { image: file(path) }, await dirs.make()));
    expect(await sharp(four.files[0]?.path).metadata()).toMatchObject({ width: 80, height: 40 });
    const oneAndHalf = await provider.predict(
      request(ESRGAN, { image: path, scale: 1.5 }, await dirs.make()),
    );
    expect(await sharp(oneAndHalf.files[0]?.path).metadata()).toMatchObject({ width: 30, height: 15 });
  });

  it('reads a data: URI', async () => {
    const { data } = await picture(8, 6);
    const uri = `data:image/png;base64,${data.toString('base64')}`;
    const result = await provider.predict(request(ESRGAN, { image: uri, scale: 3 }, await dirs.make()));
    expect(await sharp(result.files[0]?.path).metadata()).toMatchObject({ width: 24, height: 18 });
  });

  it('rejects remote URLs, bad scales and unreadable images clearly', async () => {
    const dir = await dirs.make();
    const { path } = await picture(8, 6);
    await expect(
      provider.predict(request(ESRGAN, { image: 'https://example.com/a.png' }, dir)),
    ).rejects.toMatchObject({
      code: 'LOCAL_INPUT',
      message: expect.stringContaining('cannot fetch'),
    });
    await expect(provider.predict(request(ESRGAN, { image: file(path), scale: 0 }, dir))).rejects.toThrow(
      'expected a number above 0 and <= 10 for input.scale but received 0 of type number',
    );
    await expect(provider.predict(request(ESRGAN, { image: file(path), scale: 11 }, dir))).rejects.toThrow(
      /input.scale/,
    );
    const junk = join(dir, 'junk.png');
    await writeFile(junk, 'not a png');
    await expect(provider.predict(request(ESRGAN, { image: file(junk) }, dir))).rejects.toMatchObject({
      code: 'LOCAL_INPUT',
      details: { provider: 'local', model: ESRGAN },
    });
  });
});

describe('local text stand-in', () => {
  const prompt = 'Write alt text for a glazed ceramic coffee mug on a walnut table';

  it('is deterministic and streams its reply token by token', async () => {
    const tokens: string[] = [];
    const onEvent = (event: ProviderEvent) => {
      if (event.type === 'token') tokens.push(event.text);
    };
    const one = await provider.predict(request(LLAMA, { prompt }, await dirs.make(), { onEvent }));
    const two = await provider.predict(request(LLAMA, { prompt }, await dirs.make()));
    expect(one.files).toEqual([]);
    expect(one.text).toBe(two.text);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.join('')).toBe(one.text);
    expect(one.text).toMatch(/mug/);
    expect(one.actualUsd).toBe(0);
    const other = await provider.predict(request(LLAMA, { prompt: 'a red bicycle' }, await dirs.make()));
    expect(other.text).not.toBe(one.text);
  });

  it('stops at max_tokens', async () => {
    const tokens: string[] = [];
    const result = await provider.predict(
      request(LLAMA, { prompt, max_tokens: 5 }, await dirs.make(), {
        onEvent: (e) => e.type === 'token' && tokens.push(e.text),
      }),
    );
    expect(tokens).toHaveLength(5);
    expect(result.text?.split(' ')).toHaveLength(5);
  });

  it('stops with CancelledError when aborted while streaming', async () => {
    const controller = new AbortController();
    let seen = 0;
    const onEvent = () => {
      seen++;
      if (seen === 3) controller.abort();
    };
    const run = provider.predict(
      request(LLAMA, { prompt }, await dirs.make(), { signal: controller.signal, onEvent }),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBe(3);
  });
});
