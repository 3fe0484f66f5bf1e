/**
 * The placeholders (image/placeholder.ts) come from a 48-pixel decode: the ThumbHash decodes to what a
 * hash of the 100-pixel decode (the largest ThumbHash takes) decodes to, on a photo, a rendered page and a
 * picture with alpha.
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { rgbaToThumbHash, thumbHashToRGBA } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { makePlaceholder } from '../../src/image/placeholder.js';

const photo = fileURLToPath(new URL('../fixtures/photos/corgi-256.png', import.meta.url));
const page = fileURLToPath(new URL('../../docs/review.png', import.meta.url));

async function hashOf100(input: string | Buffer): Promise<Uint8Array> {
  const { data, info } = await sharp(input)
    .pipelineColourspace('srgb')
    .resize(100, 100, { fit: 'inside', kernel: 'lanczos3' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return rgbaToThumbHash(info.width, info.height, data);
}

function psnr(a: { w: number; h: number; rgba: Uint8Array }, b: typeof a): number {
  expect([a.w, a.h]).toEqual([b.w, b.h]);
  let squares = 0;
  for (let i = 0; i < a.rgba.length; i++) squares += ((a.rgba[i] ?? 0) - (b.rgba[i] ?? 0)) ** 2;
  const mse = squares / a.rgba.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

describe('makePlaceholder', () => {
  it('decodes like the hash of a 100-pixel decode (≥ 36 dB), with and without alpha', async () => {
    const withAlpha = await sharp(photo)
      .ensureAlpha()
      .composite([
        {
          input: Buffer.from('<svg width="256" height="256"><circle cx="128" cy="128" r="90"/></svg>'),
          blend: 'dest-in',
        },
      ])
      .png()
      .toBuffer();
    for (const input of [photo, page, withAlpha]) {
      const { thumbhash, lqip } = await makePlaceholder(input);
      const ours = thumbHashToRGBA(Buffer.from(thumbhash, 'base64'));
      const reference = thumbHashToRGBA(await hashOf100(input));
      // Measured: the same hash for the page, 45.5 dB for the photo, 38.7 dB for the cut-out.
      expect(psnr(ours, reference)).toBeGreaterThanOrEqual(36);
      const small = await sharp(Buffer.from(lqip.split(',')[1] ?? '', 'base64')).metadata();
      expect(Math.max(small.width, small.height)).toBe(16);
    }
  });

  it('is deterministic', async () => {
    expect(await makePlaceholder(photo)).toEqual(await makePlaceholder(photo));
  });
});
