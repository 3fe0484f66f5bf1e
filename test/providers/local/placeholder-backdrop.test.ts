/**
 * The offline placeholder previews trimmed and cut-out layouts like real art: its backdrop is one plain
 * colour, so `trim` leaves exactly the subject (centred, no band of backdrop) and the local background
 * removal leaves a fully transparent backdrop. Real images, decoded and measured.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOperations } from '../../../src/image/index.js';
import type { Manifest } from '../../../src/manifest/types.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { InputFile } from '../../../src/providers/types.js';
import { runCli } from '../../helpers/cli.js';
import { request, rgba, workDirs } from './helpers.js';

const dirs = workDirs();
afterAll(() => dirs.cleanup());
const provider = createLocalProvider();

type Image = Awaited<ReturnType<typeof rgba>>;
const distance = (a: number[], b: number[]) => Math.hypot(...a.map((value, i) => value - (b[i] ?? 0)));

/** The bounding box of the pixels that differ from `backdrop` by more than `threshold`. */
function subjectBox(image: Image, backdrop: number[], threshold = 12) {
  let left = image.width;
  let right = -1;
  let top = image.height;
  let bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (distance(image.rgb(x, y), backdrop) <= threshold) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return { left, right, top, bottom };
}

async function placeholder(format: string, aspect: string) {
  const input = {
    prompt: 'a small red bird on a branch',
    aspect_ratio: aspect,
    megapixels: '0.25',
    output_format: format,
  };
  const result = await provider.predict(request('black-forest-labs/flux-schnell', input, await dirs.make()));
  const file = result.files[0];
  if (file === undefined) throw new Error('no file');
  return file;
}

describe.each([
  ['png', '1:1'],
  ['webp', '16:9'],
  ['jpg', '3:4'],
])('the %s placeholder (%s)', (format, aspect) => {
  let path: string;
  let image: Image;
  let backdrop: number[];
  beforeAll(async () => {
    path = (await placeholder(format, aspect)).path;
    image = await rgba(path);
    backdrop = image.rgb(0, 0);
  });

  it('has a plain backdrop: every border pixel is the corner’s colour', () => {
    const tolerance = format === 'png' ? 0 : 6; // lossy formats: only coding noise
    for (let x = 0; x < image.width; x++) {
      expect(distance(image.rgb(x, 0), backdrop)).toBeLessThanOrEqual(tolerance);
      expect(distance(image.rgb(x, image.height - 1), backdrop)).toBeLessThanOrEqual(tolerance);
    }
    for (let y = 0; y < image.height; y++) {
      expect(distance(image.rgb(0, y), backdrop)).toBeLessThanOrEqual(tolerance);
      expect(distance(image.rgb(image.width - 1, y), backdrop)).toBeLessThanOrEqual(tolerance);
    }
  });

  it('trim leaves the subject alone: centred, no band of backdrop on any side', async () => {
    // Lossy formats ring for a pixel or two around the card: the subject's box ignores that noise.
    const lossy = format !== 'png';
    const threshold = lossy ? 40 : 12;
    const box = subjectBox(image, backdrop, threshold);
    expect(Math.abs(box.left - (image.width - 1 - box.right))).toBeLessThanOrEqual(lossy ? 2 : 0);
    expect(Math.abs(box.top - (image.height - 1 - box.bottom))).toBeLessThanOrEqual(lossy ? 2 : 0);

    const trimmed = await rgba((await applyOperations(path, [{ trim: {} }], { baseDir: '.' })).data);
    const inner = subjectBox(trimmed, backdrop, threshold);
    const margins = [
      inner.left,
      trimmed.width - 1 - inner.right,
      inner.top,
      trimmed.height - 1 - inner.bottom,
    ];
    for (const margin of margins) expect(margin).toBeLessThanOrEqual(lossy ? 3 : 0);
    // Along each edge of the trimmed picture the subject shows (backdrop only at the rounded corners).
    const edges = {
      top: Array.from({ length: trimmed.width }, (_, x) => trimmed.rgb(x, inner.top)),
      bottom: Array.from({ length: trimmed.width }, (_, x) => trimmed.rgb(x, inner.bottom)),
      left: Array.from({ length: trimmed.height }, (_, y) => trimmed.rgb(inner.left, y)),
      right: Array.from({ length: trimmed.height }, (_, y) => trimmed.rgb(inner.right, y)),
    };
    for (const [side, pixels] of Object.entries(edges)) {
      const backdropShare =
        pixels.filter((rgb) => distance(rgb, backdrop) <= threshold).length / pixels.length;
      expect(backdropShare, side).toBeLessThan(0.3);
    }
  });

  it('the local background removal makes the whole backdrop transparent and keeps the subject', async () => {
    const file: InputFile = {
      kind: 'file',
      path,
      sha256: 'unused',
      bytes: 0,
      contentType: `image/${format}`,
    };
    const result = await provider.predict(
      request('851-labs/background-remover', { image: file }, await dirs.make()),
    );
    const cut = await rgba(result.files[0]?.path ?? '');
    const box = subjectBox(image, backdrop);
    let leftover = 0;
    let holes = 0;
    for (let y = 0; y < cut.height; y++) {
      for (let x = 0; x < cut.width; x++) {
        const outside = x < box.left - 1 || x > box.right + 1 || y < box.top - 1 || y > box.bottom + 1;
        if (outside && cut.alpha(x, y) !== 0) leftover++;
        const inside = x > box.left + 40 && x < box.right - 40 && y > box.top + 40 && y < box.bottom - 40;
        if (inside && cut.alpha(x, y) !== 255) holes++;
      }
    }
    expect(leftover).toBe(0);
    expect(holes).toBe(0);
  });
});

describe('a cut-out layout offline (generate → upscale → remove background → trim → extend)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-cutout-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the subject centred on transparency with exactly the extended margin', async () => {
    await writeFile(
      join(dir, 'cutout.yaml'),
      `name: cutout
assets:
  - id: mug
    subject: a glazed ceramic coffee mug
steps:
  - id: draft
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", aspect_ratio: "4:3", megapixels: "0.25" }
  - id: upscale
    model: nightmareai/real-esrgan
    input: { scale: 2 }
  - id: cutout
    model: 851-labs/background-remover
  - id: tidy
    image:
      - trim: { threshold: 5 }
      - extend: { all: 24, background: transparent }
outputs:
  - path: "{{ id }}.png"
`,
    );
    const result = await runCli(['run', 'cutout.yaml', '--provider', 'local'], { cwd: dir });
    expect(result.code, result.err).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'output/manifest.json'), 'utf8')) as Manifest;
    const path = manifest.recipes.cutout?.assets[0]?.outputs[0]?.path ?? '';
    const image = await rgba(join(dir, 'output', path));
    const { info } = await sharp(join(dir, 'output', path))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    let left = image.width;
    let right = -1;
    let top = image.height;
    let bottom = -1;
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        if (image.alpha(x, y) < 128) continue;
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
    // The card fills the trimmed picture; the 24 px margin is the same on all four sides.
    expect([left, image.width - 1 - right, top, image.height - 1 - bottom]).toEqual([24, 24, 24, 24]);
    expect(image.alpha(0, 0)).toBe(0);
    expect(image.alpha(image.width >> 1, image.height >> 1)).toBe(255);
  });
});
