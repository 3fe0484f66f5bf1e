/** compareVisually and makePreview on real encoded pictures: shares of differing pixels, alpha, sizes, the difference picture. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { compareVisually, makePreview } from '../../src/image/index.js';
import { pixels, solid, texture, withRect } from './helpers.js';

describe('compareVisually', () => {
  it('measures 0 for the same pixels in another format, and next to 0 when resampled or encoded lossily', async () => {
    const picture = await withRect(
      { width: 400, height: 300 },
      { left: 50, top: 50, width: 100, height: 80, colour: '#3050c0' },
    );
    const lossless = await sharp(picture).webp({ lossless: true }).toBuffer();
    expect(await compareVisually(picture, lossless)).toMatchObject({
      width: 256,
      height: 192,
      pixels: 256 * 192,
      differingPixels: 0,
      share: 0,
      stretched: false,
    });
    // Resampled from twice the size, or through webp's chroma subsampling: only the rectangle's edges move.
    const larger = await sharp(picture).resize(800).png().toBuffer();
    expect((await compareVisually(picture, larger)).share).toBeLessThan(0.01);
    const lossy = await sharp(picture).webp({ quality: 80 }).toBuffer();
    expect((await compareVisually(picture, lossy)).share).toBeLessThan(0.01);
  });

  it('measures the share of pixels that differ: a moved rectangle', async () => {
    const rect = { top: 0, width: 64, height: 128, colour: '#000000' };
    const left = await withRect({ width: 256, height: 128 }, { ...rect, left: 0 });
    const right = await withRect({ width: 256, height: 128 }, { ...rect, left: 192 });
    const result = await compareVisually(left, right);
    // Two 64-px-wide columns of 256 differ: a quarter of the pixels each.
    expect(result.share).toBeCloseTo(0.5, 2);
    expect(result.differingPixels).toBe(result.pixels / 2);
  });

  it('counts transparency: a transparent picture is not the same as an opaque white one', async () => {
    const clear = await solid(64, 64, { r: 255, g: 255, b: 255, alpha: 0 });
    const white = await solid(64, 64, '#ffffff');
    expect((await compareVisually(clear, white)).share).toBeGreaterThan(0.4);
  });

  it('sees a global colour shift that pixelmatch’s default threshold would let pass', async () => {
    const picture = await texture(128, 128);
    const desaturated = await sharp(picture).modulate({ brightness: 0.85 }).png().toBuffer();
    expect((await compareVisually(picture, desaturated)).share).toBeGreaterThan(0.5);
    expect((await compareVisually(picture, desaturated, { threshold: 0.3 })).share).toBeLessThan(0.05);
  });

  it('compares pictures of another aspect ratio by stretching, and says so', async () => {
    const square = await solid(100, 100, '#ff0000');
    const wide = await solid(200, 100, '#ff0000');
    expect(await compareVisually(square, wide)).toMatchObject({
      width: 100,
      height: 100,
      share: 0,
      stretched: true,
    });
  });

  it('draws the differing pixels in red over a faded copy, as webp', async () => {
    const white = await solid(64, 64, '#ffffff');
    const half = await withRect(
      { width: 64, height: 64 },
      { left: 0, top: 0, width: 32, height: 64, colour: '#000000' },
    );
    const { diffImage } = await compareVisually(white, half);
    expect((await sharp(diffImage).metadata()).format).toBe('webp');
    const diff = await pixels(diffImage);
    const [r, g, b] = diff.at(8, 32);
    expect(r).toBeGreaterThan(200);
    expect(g + b).toBeLessThan(100);
    expect(
      diff
        .at(56, 32)
        .slice(0, 3)
        .every((channel) => channel > 200),
    ).toBe(true);
  });

  it('fails with IMAGE_INVALID for something that is not a picture', async () => {
    await expect(
      compareVisually(Buffer.from('not an image'), await solid(8, 8, '#000')),
    ).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
    });
  });
});

describe('makePreview', () => {
  it('fits inside the size, keeps the aspect ratio, never enlarges, and writes webp', async () => {
    const big = await makePreview(await solid(1280, 720, '#123456'), { maxSize: 320 });
    expect(big).toMatchObject({ width: 320, height: 180, sourceWidth: 1280, sourceHeight: 720 });
    expect((await sharp(big.data).metadata()).format).toBe('webp');
    const small = await makePreview(await solid(16, 16, '#123456'), { maxSize: 320 });
    expect([small.width, small.height]).toEqual([16, 16]);
  });
});
