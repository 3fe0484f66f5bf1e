import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyOperations, blurChannel, decodeRgba, encodeRaw, scaleImage } from '../../src/image/index.js';
import { pixels, solid } from './helpers.js';

describe('raw pixel helpers', () => {
  it('decodeRgba gives 8-bit RGBA for grey, RGB and 16-bit inputs', async () => {
    const grey = await sharp(await solid(3, 2, '#808080', 3))
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const sixteen = await sharp(await solid(3, 2, '#ff8000', 3))
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    for (const [input, rgb] of [
      [grey, [128, 128, 128]],
      [sixteen, [255, 128, 0]],
    ] as const) {
      const raw = await decodeRgba(input);
      expect(raw).toMatchObject({ width: 3, height: 2, channels: 4 });
      expect(raw.data.length).toBe(3 * 2 * 4);
      expect([...raw.data.subarray(0, 4)]).toEqual([...rgb, 255]);
    }
  });

  it('encodeRaw writes the pixels it is given', async () => {
    const data = Buffer.from([255, 0, 0, 255, 0, 0, 255, 128]);
    const out = await encodeRaw({ data, width: 2, height: 1, channels: 4 }, 'png');
    expect(out).toMatchObject({ width: 2, height: 1, format: 'png', hasAlpha: true });
    const px = await pixels(out.data);
    expect(px.at(0, 0)).toEqual([255, 0, 0, 255]);
    expect(px.at(1, 0)).toEqual([0, 0, 255, 128]);
  });

  it('blurChannel blurs one channel and returns one channel', async () => {
    const width = 20;
    const mask = new Uint8Array(width * 3);
    for (let y = 0; y < 3; y++) mask.fill(255, y * width + 10, y * width + width);
    const out = await blurChannel(mask, width, 3, 1.5);
    expect(out.length).toBe(width * 3);
    const row = [...out.subarray(width, 2 * width)];
    expect(row[0]).toBe(0);
    expect(row[19]).toBe(255);
    expect(row[9]).toBeGreaterThan(0);
    expect(row[10]).toBeLessThan(255);
  });

  it('scaleImage rescales by a factor and refuses absurd sizes', async () => {
    const input = await solid(10, 4, '#00ff00', 3);
    expect(await scaleImage(input, 2.5)).toMatchObject({ width: 25, height: 10, format: 'png' });
    await expect(scaleImage(input, 2, { maxPixels: 100 })).rejects.toThrow(/more than the 100 pixels/);
    await expect(scaleImage(input, 0)).rejects.toThrow(/expected a positive number for the scale factor/);
  });
});

describe('inputs', () => {
  it('turns pictures upright by their EXIF orientation before operating', async () => {
    const sideways = await sharp(await solid(40, 20, '#ffffff', 3))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await applyOperations(sideways, [], { baseDir: '.' })).toMatchObject({ width: 20, height: 40 });
  });

  it('reads a file path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-raw-'));
    try {
      const path = join(dir, 'in.png');
      await writeFile(path, await solid(12, 8, '#000000', 3));
      expect(await applyOperations(path, [{ resize: { width: 6 } }], { baseDir: dir })).toMatchObject({
        width: 6,
        height: 4,
      });
      await expect(applyOperations(join(dir, 'nope.png'), [], { baseDir: dir })).rejects.toMatchObject({
        code: 'IMAGE_INVALID',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
