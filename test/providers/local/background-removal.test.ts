import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { InputFile } from '../../../src/providers/types.js';
import { type Ellipse, productShot, request, rgba, workDirs } from './helpers.js';

const dirs = workDirs();
afterAll(() => dirs.cleanup());
const provider = createLocalProvider();
const REMOVER = '851-labs/background-remover';

function inputFile(path: string): InputFile {
  return { kind: 'file', path, sha256: 'unused', bytes: 0, contentType: 'image/jpeg' };
}

async function cutout(model: string, input: Record<string, unknown>) {
  const result = await provider.predict(request(model, input, await dirs.make()));
  const file = result.files[0];
  if (!file) throw new Error('no file');
  return { file, image: await rgba(file.path), meta: await sharp(file.path).metadata() };
}

describe('local background-removal stand-in on a noisy JPEG product shot', () => {
  let shotPath: string;
  let subject: Ellipse;
  let size: { width: number; height: number };
  beforeAll(async () => {
    const shot = await productShot();
    shotPath = join(await dirs.make(), 'shot.jpg');
    await writeFile(shotPath, shot.jpeg);
    subject = shot.subject;
    size = { width: shot.width, height: shot.height };
  });

  it.each(['851-labs/background-remover', 'cjwbw/rembg', 'lucataco/remove-bg'])(
    '%s: clears the backdrop, keeps the subject and its enclosed hole, softens the edge',
    async (model) => {
      const { file, image, meta } = await cutout(model, { image: inputFile(shotPath) });
      expect(file.contentType).toBe('image/png');
      expect(meta).toMatchObject({ format: 'png', width: size.width, height: size.height, hasAlpha: true });
      const { width: w, height: h } = size;
      for (const [x, y] of [
        [0, 0],
        [w - 1, 0],
        [0, h - 1],
        [w - 1, h - 1],
        [20, h >> 1],
      ] as const) {
        expect(image.alpha(x, y)).toBeLessThanOrEqual(3);
      }
      // subject body, and the backdrop-coloured hole inside it (not connected to the border)
      expect(image.alpha(subject.cx - subject.rx / 2, subject.cy)).toBeGreaterThanOrEqual(252);
      expect(image.alpha(subject.cx, subject.cy)).toBeGreaterThanOrEqual(252);
      // along a row through the centre, the alpha crosses the left edge through intermediate values
      const row = Array.from({ length: 9 }, (_, i) =>
        image.alpha(subject.cx - subject.rx - 4 + i, subject.cy),
      );
      expect(row.some((a) => a > 10 && a < 245)).toBe(true);
      expect(row[0]).toBeLessThanOrEqual(3);
      expect(row[8]).toBeGreaterThanOrEqual(245);
      // almost everything outside the ellipse is clear; almost everything inside is opaque
      const alphas = image.alphas();
      let outside = 0;
      let clearOutside = 0;
      let inside = 0;
      let solidInside = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const e = ((x - subject.cx) / subject.rx) ** 2 + ((y - subject.cy) / subject.ry) ** 2;
          const a = alphas[y * w + x] ?? 0;
          if (e > 1.1) {
            outside++;
            if (a <= 3) clearOutside++;
          } else if (e < 0.9) {
            inside++;
            if (a >= 252) solidInside++;
          }
        }
      }
      expect(clearOutside / outside).toBeGreaterThan(0.995);
      expect(solidInside / inside).toBeGreaterThan(0.995);
    },
  );

  it('keeps the subject’s colour at the edge rather than the backdrop’s', async () => {
    const { image } = await cutout(REMOVER, { image: inputFile(shotPath) });
    for (let x = subject.cx - subject.rx - 3; x < subject.cx - subject.rx + 4; x++) {
      const a = image.alpha(x, subject.cy);
      if (a > 60 && a < 250) {
        const [r = 0] = image.rgb(x, subject.cy);
        expect(r).toBeLessThan(150);
      }
    }
  });

  it('threshold > 0 gives a hard matte; reverse keeps the backdrop instead', async () => {
    const hard = await cutout(REMOVER, { image: inputFile(shotPath), threshold: 0.5 });
    expect(new Set(hard.image.alphas())).toEqual(new Set([0, 255]));
    const reversed = await cutout(REMOVER, { image: inputFile(shotPath), reverse: true });
    expect(reversed.image.alpha(0, 0)).toBeGreaterThanOrEqual(252);
    expect(reversed.image.alpha(subject.cx - subject.rx / 2, subject.cy)).toBeLessThanOrEqual(3);
  });

  it('puts the cut-out on white, or returns the matte, or writes jpg/webp when asked', async () => {
    const white = await cutout(REMOVER, { image: inputFile(shotPath), background_type: 'white' });
    expect(white.meta.hasAlpha).toBe(false);
    expect(white.image.rgb(0, 0)).toEqual([255, 255, 255]);
    const map = await cutout(REMOVER, { image: inputFile(shotPath), background_type: 'map' });
    expect(map.image.rgb(0, 0)).toEqual([0, 0, 0]);
    expect(map.image.rgb(subject.cx - 60, subject.cy)).toEqual([255, 255, 255]);
    const jpg = await cutout(REMOVER, { image: inputFile(shotPath), format: 'jpg' });
    expect(jpg.meta.format).toBe('jpeg');
    expect(jpg.file.path.endsWith('output.jpg')).toBe(true);
    await expect(
      provider.predict(
        request(REMOVER, { image: inputFile(shotPath), background_type: 'blur' }, await dirs.make()),
      ),
    ).rejects.toMatchObject({ code: 'LOCAL_INPUT', message: expect.stringContaining('"blur"') });
  });
});

describe('local background-removal stand-in on the placeholder pictures', () => {
  it('cuts the placeholder’s subject card out of its backdrop', async () => {
    const dir = await dirs.make();
    const generated = await provider.predict(
      request('black-forest-labs/flux-schnell', { prompt: 'a mug', seed: 4, megapixels: '0.25' }, dir),
    );
    const picture = generated.files[0];
    if (!picture) throw new Error('no picture');
    const { image } = await cutout(REMOVER, { image: inputFile(picture.path) });
    const { width, height } = image;
    expect(image.alpha(0, 0)).toBe(0);
    expect(image.alpha(width - 1, height - 1)).toBe(0);
    expect(image.alpha(width >> 1, height >> 1)).toBe(255);
    // the text on the card (lighter than the card, not connected to the border) stays opaque
    const middleRow = Array.from({ length: width }, (_, x) => image.alpha(x, height >> 1));
    const opaque = middleRow.filter((a) => a === 255).length;
    expect(opaque).toBeGreaterThan(width * 0.7);
    const edge = Array.from({ length: 12 }, (_, i) =>
      image.alpha(Math.round(width * 0.13) - 6 + i, height >> 1),
    );
    expect(edge.some((a) => a > 0 && a < 255)).toBe(true);
  });
});
