import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  encodeImage,
  formatFromPath,
  type ImageFormat,
  imageLibraryVersion,
  normalizeFormat,
  parseColour,
  probeImage,
} from '../../src/image/index.js';
import { pixels, solid, texture } from './helpers.js';

describe('formatFromPath', () => {
  it('maps the known extensions, in any case', () => {
    expect(formatFromPath('a/b.png')).toBe('png');
    expect(formatFromPath('x.JPG')).toBe('jpeg');
    expect(formatFromPath('x.jpeg')).toBe('jpeg');
    expect(formatFromPath('x.webp')).toBe('webp');
    expect(formatFromPath('x.avif')).toBe('avif');
    expect(formatFromPath('x.gif')).toBeUndefined();
    expect(formatFromPath('noext')).toBeUndefined();
  });
});

describe('normalizeFormat', () => {
  it('accepts a bare name or an object with one format and its options', () => {
    expect(normalizeFormat('webp')).toEqual({ name: 'webp', options: {} });
    expect(normalizeFormat({ jpeg: { quality: 70, progressive: true } })).toEqual({
      name: 'jpeg',
      options: { quality: 70, progressive: true },
    });
    expect(normalizeFormat({ png: {} })).toEqual({ name: 'png', options: {} });
  });

  it('rejects unknown formats, options and out-of-range values in one wording', () => {
    expect(() => normalizeFormat('gif' as ImageFormat)).toThrow(/^expected png, jpeg, webp, avif/);
    expect(() => normalizeFormat({ png: {}, jpeg: {} })).toThrow(/exactly one/);
    expect(() => normalizeFormat({ png: { quality: 5 } } as never)).toThrow(
      'expected one of compression_level, palette for an option of png but received "quality" of type string',
    );
    expect(() => normalizeFormat({ webp: { quality: 0 } })).toThrow(
      'expected an integer from 1 to 100 for webp.quality but received 0 of type number',
    );
  });
});

describe('parseColour', () => {
  it('reads every spelling the schema allows', () => {
    expect(parseColour('#f80')).toEqual({ r: 255, g: 136, b: 0, alpha: 1 });
    expect(parseColour('#f808')).toEqual({ r: 255, g: 136, b: 0, alpha: 136 / 255 });
    expect(parseColour('#102030')).toEqual({ r: 16, g: 32, b: 48, alpha: 1 });
    expect(parseColour('#10203000')).toEqual({ r: 16, g: 32, b: 48, alpha: 0 });
    expect(parseColour('transparent').alpha).toBe(0);
    expect(parseColour('white')).toEqual({ r: 255, g: 255, b: 255, alpha: 1 });
    expect(parseColour('black')).toEqual({ r: 0, g: 0, b: 0, alpha: 1 });
    expect(() => parseColour('#12345')).toThrow(/but received "#12345"/);
  });
});

describe('encodeImage', () => {
  it.each(['png', 'jpeg', 'webp', 'avif'] as const)(
    'encodes %s and the result decodes as %s',
    async (format) => {
      const out = await encodeImage(await texture(64, 48), format);
      expect(out).toMatchObject({ format, width: 64, height: 48 });
      const info = await probeImage(out.data);
      expect(info).toMatchObject({ format, width: 64, height: 48, bytes: out.data.length });
    },
  );

  it.each(['jpeg', 'webp', 'avif'] as const)('%s: lower quality gives fewer bytes', async (format) => {
    const input = await texture(96, 96);
    const high = await encodeImage(input, { [format]: { quality: 90 } });
    const low = await encodeImage(input, { [format]: { quality: 30 } });
    expect(low.data.length).toBeLessThan(high.data.length * 0.8);
  });

  it('keeps the aspect ratio when resizing to a width', async () => {
    const out = await encodeImage(await solid(300, 200, '#123456', 3), 'webp', { width: 150 });
    expect(out).toMatchObject({ width: 150, height: 100 });
    expect(await sharp(out.data).metadata()).toMatchObject({ width: 150, height: 100, format: 'webp' });
  });

  it('keeps alpha in png/webp and puts it on white in jpeg', async () => {
    const clear = await solid(8, 8, { r: 0, g: 0, b: 0, alpha: 0 });
    expect((await encodeImage(clear, 'webp')).hasAlpha).toBe(true);
    const jpeg = await encodeImage(clear, 'jpeg');
    expect(jpeg.hasAlpha).toBe(false);
    const [r, g, b] = (await pixels(jpeg.data)).at(4, 4);
    expect(Math.min(r, g, b)).toBeGreaterThan(250);
  });

  it('honours png options (palette makes a smaller file)', async () => {
    const input = await texture(64, 64);
    const full = await encodeImage(input, 'png');
    const palette = await encodeImage(input, { png: { palette: true, compression_level: 9 } });
    expect(palette.data.length).toBeLessThan(full.data.length);
    expect((await sharp(palette.data).metadata()).isPalette).toBe(true);
  });

  it('reads a file path too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-encode-'));
    try {
      const path = join(dir, 'in.png');
      await writeFile(path, await solid(10, 20, '#00ff00', 3));
      expect(await encodeImage(path, 'jpeg')).toMatchObject({ width: 10, height: 20, format: 'jpeg' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('probeImage', () => {
  it('measures a file: size, format, alpha, bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-probe-'));
    try {
      const data = await solid(30, 20, { r: 1, g: 2, b: 3, alpha: 0.5 });
      const path = join(dir, 'x.png');
      await writeFile(path, data);
      expect(await probeImage(path)).toEqual({
        width: 30,
        height: 20,
        format: 'png',
        hasAlpha: true,
        bytes: data.length,
      });
      await expect(probeImage(join(dir, 'missing.png'))).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(['png', 'jpeg'] as const)('rejects a truncated %s whose header is intact', async (format) => {
    const full = (await encodeImage(await texture(200, 200), format)).data;
    const cut = full.subarray(0, Math.floor(full.length * 0.6));
    expect((await sharp(cut).metadata()).width).toBe(200);
    await expect(probeImage(cut)).rejects.toThrow(/truncated or corrupt/);
  });

  it('rejects data that is not an image', async () => {
    await expect(probeImage(Buffer.from('hello'))).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });
});

describe('imageLibraryVersion', () => {
  it('names sharp and libvips with their versions', () => {
    const version = imageLibraryVersion();
    expect(version).toMatch(/^sharp \d+\.\d+\.\d+, vips \d+\.\d+\.\d+/);
    expect(version).toContain(`sharp ${sharp.versions.sharp}`);
  });
});
