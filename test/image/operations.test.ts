import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetgenError } from '../../src/errors.js';
import { applyOperations } from '../../src/image/index.js';
import type { Operation } from '../../src/recipe/recipe-types.generated.js';
import { contrast, pixels, solid, texture, withRect } from './helpers.js';

let dir: string;
const run = (input: Buffer, ops: Operation[]) => applyOperations(input, ops, { baseDir: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('applyOperations', () => {
  it('returns a PNG even without operations', async () => {
    const out = await run(await solid(8, 6, '#ff0000', 3), []);
    expect(out).toMatchObject({ format: 'png', width: 8, height: 6, hasAlpha: false });
    expect((await sharp(out.data).metadata()).format).toBe('png');
  });

  it('resizes with fit modes and keeps the ratio when one side is given', async () => {
    const input = await solid(200, 100, '#336699', 3);
    expect(await run(input, [{ resize: { width: 100 } }])).toMatchObject({ width: 100, height: 50 });
    expect(await run(input, [{ resize: { width: 50, height: 50 } }])).toMatchObject({
      width: 50,
      height: 50,
    });
    expect(await run(input, [{ resize: { width: 50, height: 50, fit: 'inside' } }])).toMatchObject({
      width: 50,
      height: 25,
    });
    expect(await run(input, [{ resize: { width: 400, without_enlargement: true } }])).toMatchObject({
      width: 200,
      height: 100,
    });
  });

  it('letterboxes with fit contain on a transparent background unless one is given', async () => {
    const input = await solid(200, 100, '#336699', 3);
    const clear = await pixels(
      (await run(input, [{ resize: { width: 100, height: 100, fit: 'contain' } }])).data,
    );
    expect(clear.at(50, 2)[3]).toBe(0);
    expect(clear.at(50, 50)).toEqual([0x33, 0x66, 0x99, 255]);
    const red = await run(input, [
      { resize: { width: 100, height: 100, fit: 'contain', background: '#f00' } },
    ]);
    expect((await pixels(red.data)).at(50, 2)).toEqual([255, 0, 0, 255]);
  });

  it('crops a region and rejects one outside the image', async () => {
    const input = await withRect(
      { width: 100, height: 80 },
      { left: 40, top: 30, width: 20, height: 10, colour: '#0000ff' },
    );
    const out = await run(input, [{ crop: { left: 40, top: 30, width: 20, height: 10 } }]);
    expect(out).toMatchObject({ width: 20, height: 10 });
    const px = await pixels(out.data);
    expect(px.at(0, 0)).toEqual([0, 0, 255, 255]);
    expect(px.at(19, 9)).toEqual([0, 0, 255, 255]);
    await expect(run(input, [{ crop: { left: 90, width: 20, height: 10 } }])).rejects.toThrow(
      /outside the 100x80 image/,
    );
  });

  it('trims a uniform border', async () => {
    const input = await withRect(
      { width: 100, height: 80 },
      { left: 10, top: 20, width: 30, height: 25, colour: '#ff0000' },
    );
    const out = await run(input, [{ trim: {} }]);
    expect(out).toMatchObject({ width: 30, height: 25 });
    expect((await pixels(out.data)).at(0, 0)).toEqual([255, 0, 0, 255]);
  });

  it('trims before resizing in the same chain', async () => {
    const input = await withRect(
      { width: 200, height: 200 },
      { left: 50, top: 50, width: 40, height: 20, colour: '#ff0000' },
    );
    expect(await run(input, [{ trim: {} }, { resize: { width: 80 } }])).toMatchObject({
      width: 80,
      height: 40,
    });
  });

  it('extends each side with a background colour', async () => {
    const input = await solid(10, 10, '#000000', 3);
    const out = await run(input, [{ extend: { all: 5, top: 20, background: '#00ff00' } }]);
    expect(out).toMatchObject({ width: 20, height: 35 });
    const px = await pixels(out.data);
    expect(px.at(0, 0)).toEqual([0, 255, 0, 255]);
    expect(px.at(19, 34)).toEqual([0, 255, 0, 255]);
    expect(px.at(10, 25)).toEqual([0, 0, 0, 255]);
  });

  it('flattens alpha onto white by default or onto a given colour', async () => {
    const input = await solid(4, 4, { r: 0, g: 0, b: 0, alpha: 0 });
    const white = await run(input, [{ flatten: {} }]);
    expect(white.hasAlpha).toBe(false);
    expect((await pixels(white.data)).at(1, 1)).toEqual([255, 255, 255, 255]);
    const half = await solid(4, 4, { r: 0, g: 0, b: 0, alpha: 0.5 });
    const px = (await pixels((await run(half, [{ flatten: { background: '#ff0000' } }])).data)).at(1, 1);
    expect(px[0]).toBeGreaterThan(120);
    expect(px[0]).toBeLessThan(135);
    expect(px.slice(1)).toEqual([0, 0, 255]);
  });

  it('rotates by 90 degrees (dimensions swap, pixels move clockwise)', async () => {
    const input = await withRect(
      { width: 60, height: 20 },
      { left: 0, top: 0, width: 5, height: 5, colour: '#ff0000' },
    );
    const out = await run(input, [{ rotate: { angle: 90 } }]);
    expect(out).toMatchObject({ width: 20, height: 60 });
    const px = await pixels(out.data);
    expect(px.at(19, 0)).toEqual([255, 0, 0, 255]);
    expect(px.at(0, 0)).toEqual([255, 255, 255, 255]);
  });

  it('rotates by any angle onto a transparent background', async () => {
    const out = await run(await solid(100, 100, '#ff0000', 3), [{ rotate: { angle: 45 } }]);
    expect(out.width).toBeGreaterThan(140);
    const px = await pixels(out.data);
    expect(px.at(0, 0)[3]).toBe(0);
    expect(px.at(out.width >> 1, out.height >> 1)).toEqual([255, 0, 0, 255]);
  });

  it('flips horizontally and vertically', async () => {
    const input = await withRect(
      { width: 30, height: 20 },
      { left: 0, top: 0, width: 3, height: 3, colour: '#0000ff' },
    );
    const h = await pixels((await run(input, [{ flip: {} }])).data);
    expect(h.at(29, 0)).toEqual([0, 0, 255, 255]);
    expect(h.at(0, 0)).toEqual([255, 255, 255, 255]);
    const v = await pixels((await run(input, [{ flip: { axis: 'vertical' } }])).data);
    expect(v.at(0, 19)).toEqual([0, 0, 255, 255]);
    expect(v.at(0, 0)).toEqual([255, 255, 255, 255]);
  });

  describe('composite', () => {
    let overlayPath: string;
    beforeAll(async () => {
      overlayPath = join(dir, 'badge.png');
      await writeFile(overlayPath, await solid(10, 10, '#0000ff'));
    });

    it('places the overlay by gravity', async () => {
      const out = await run(await solid(50, 40, '#ffffff', 3), [
        { composite: { image: 'badge.png', gravity: 'southeast' } },
      ]);
      const px = await pixels(out.data);
      expect(px.at(49, 39)).toEqual([0, 0, 255, 255]);
      expect(px.at(40, 30)).toEqual([0, 0, 255, 255]);
      expect(px.at(39, 29)).toEqual([255, 255, 255, 255]);
    });

    it('places it at left/top, resized to a width and faded by opacity', async () => {
      const ops: Operation[] = [
        { composite: { image: overlayPath, left: 5, top: 7, width: 20, opacity: 0.5 } },
      ];
      const px = await pixels((await run(await solid(50, 40, '#ffffff', 3), ops)).data);
      const inside = px.at(5 + 19, 7 + 19);
      expect(inside[2]).toBe(255);
      expect(inside[0]).toBeGreaterThan(120);
      expect(inside[0]).toBeLessThan(135);
      expect(px.at(5 + 20, 7)).toEqual([255, 255, 255, 255]);
      expect(px.at(4, 7)).toEqual([255, 255, 255, 255]);
    });

    it('applies blend modes', async () => {
      const ops: Operation[] = [{ composite: { image: 'badge.png', blend: 'multiply' } }];
      const px = await pixels((await run(await solid(20, 20, '#ff00ff', 3), ops)).data);
      expect(px.at(10, 10)).toEqual([0, 0, 255, 255]);
    });

    it('says so when the overlay is larger than the image', async () => {
      await expect(
        run(await solid(8, 8, '#ffffff', 3), [{ composite: { image: 'badge.png' } }]),
      ).rejects.toThrow(/badge.png \(10x10\) is larger than the image it goes on \(8x8\)/);
    });

    it('names the overlay that cannot be read', async () => {
      await expect(
        run(await solid(8, 8, '#ffffff', 3), [{ composite: { image: 'missing.png' } }]),
      ).rejects.toThrow(/missing\.png/);
    });
  });

  it('modulates brightness and saturation', async () => {
    const input = await solid(4, 4, '#804020', 3);
    const bright = (await pixels((await run(input, [{ modulate: { brightness: 1.5 } }])).data)).at(1, 1);
    expect(bright[0]).toBeGreaterThan(0x80);
    const grey = (await pixels((await run(input, [{ modulate: { saturation: 0 } }])).data)).at(1, 1);
    expect(Math.abs(grey[0] - grey[1])).toBeLessThanOrEqual(1);
    expect(Math.abs(grey[1] - grey[2])).toBeLessThanOrEqual(1);
  });

  it('sharpens (more contrast) and blurs (less)', async () => {
    const input = await texture(64, 64);
    const before = await contrast(input);
    expect(await contrast((await run(input, [{ sharpen: { sigma: 2 } }])).data)).toBeGreaterThan(before);
    expect(await contrast((await run(input, [{ blur: { sigma: 3 } }])).data)).toBeLessThan(before * 0.7);
  });

  it('makes greyscale (r = g = b) and keeps alpha', async () => {
    const input = await solid(4, 4, { r: 255, g: 128, b: 0, alpha: 0.5 });
    const out = await run(input, [{ greyscale: {} }]);
    const [r, g, b, a] = (await pixels(out.data)).at(1, 1);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeGreaterThan(100);
    expect(a).toBe(128);
  });

  it('paints colours added after greyscale in colour, on a grey input too', async () => {
    const input = await sharp(await solid(6, 6, '#808080', 3))
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const out = await run(input, [{ greyscale: {} }, { extend: { all: 2, background: '#ff0000' } }]);
    const px = await pixels(out.data);
    expect(px.at(0, 0)).toEqual([255, 0, 0, 255]);
    expect(px.at(4, 4)).toEqual([128, 128, 128, 255]);
  });

  it('applies operations in the order written, not sharp’s internal order', async () => {
    const input = await solid(200, 200, '#000000', 3);
    // extend then resize: the padding is scaled with the picture
    expect(await run(input, [{ extend: { all: 50 } }, { resize: { width: 100 } }])).toMatchObject({
      width: 100,
    });
    // resize then extend: the padding is added to the resized picture
    expect(await run(input, [{ resize: { width: 100 } }, { extend: { all: 50 } }])).toMatchObject({
      width: 200,
    });
    // resize (contain, transparent) then flatten: the letterbox becomes white, not transparent
    const wide = await solid(200, 100, '#000000', 3);
    const ops: Operation[] = [{ resize: { width: 100, height: 100, fit: 'contain' } }, { flatten: {} }];
    expect((await pixels((await run(wide, ops)).data)).at(50, 2)).toEqual([255, 255, 255, 255]);
    // rotate then crop: the crop applies to the rotated picture
    const tall = await run(await solid(40, 10, '#000000', 3), [
      { rotate: { angle: 90 } },
      { crop: { width: 10, height: 40 } },
    ]);
    expect(tall).toMatchObject({ width: 10, height: 40 });
  });

  it('rejects an unknown or ambiguous operation, naming its position', async () => {
    const input = await solid(4, 4, '#000000', 3);
    const bad = [{ resize: { width: 2 } }, { explode: {} }] as unknown as Operation[];
    await expect(run(input, bad)).rejects.toThrow(/image operation 2 but received "explode"/);
    const two = [{ flip: {}, blur: { sigma: 1 } }] as unknown as Operation[];
    await expect(run(input, two)).rejects.toBeInstanceOf(AssetgenError);
  });

  it('reports a bad colour in the recipe’s wording', async () => {
    const input = await solid(4, 4, '#000000', 3);
    await expect(run(input, [{ extend: { all: 1, background: 'red' } }])).rejects.toThrow(
      /expected #rgb, #rgba, #rrggbb, #rrggbbaa, transparent, white or black for extend.background \(image operation 1\) but received "red"/,
    );
  });

  it('rejects a corrupt input with a clear error', async () => {
    await expect(run(Buffer.from('not an image'), [{ flip: {} }])).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
    });
  });
});
