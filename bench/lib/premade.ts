/**
 * Pre-made source pictures for S4 and a provider that hands them out: product-shot-like PNGs (a
 * gradient subject off-centre on a white backdrop, so `trim` has work to do), one per asset id.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { PredictionRequest, PredictionResult, Provider } from '../../src/providers/types.js';
import { assetId } from './workload.js';

export interface PremadeImage {
  id: string;
  path: string;
  sha256: string;
  bytes: number;
}

function svg(i: number, side: number): string {
  const hue = (i * 47) % 360;
  const x = 80 + ((i * 37) % 200);
  const y = 60 + ((i * 53) % 220);
  const w = side - x - 90 - ((i * 13) % 120);
  const h = side - y - 70 - ((i * 29) % 140);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
    <stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 60) % 360},60%,30%)"/>
  </linearGradient></defs>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${(i % 5) * 20}" fill="url(#g)"/>
  <circle cx="${x + w / 2}" cy="${y + h / 3}" r="${Math.min(w, h) / 5}" fill="hsl(${(hue + 180) % 360},50%,85%)" opacity="0.8"/>
  <text x="${x + 20}" y="${y + h - 30}" font-size="48" font-family="sans-serif" fill="#fff">item ${i}</text>
</svg>`;
}

/** Writes `count` 1024² PNGs into `dir` (concurrently, bounded by sharp's own queue). */
export async function makePremadeImages(dir: string, count: number, side = 1024): Promise<PremadeImage[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const id = assetId(i);
      const path = join(dir, `${id}.png`);
      const data = await sharp(Buffer.from(svg(i, side)))
        .png()
        .toBuffer();
      await writeFile(path, data);
      return { id, path, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
    }),
  );
}

/** A free provider whose "model" returns the pre-made picture named by the prompt (an asset id). */
export function createPremadeProvider(images: readonly PremadeImage[]): Provider {
  const byId = new Map(images.map((image) => [image.id, image]));
  return {
    name: 'premade',
    paid: false,
    async predict(request: PredictionRequest): Promise<PredictionResult> {
      const image = byId.get(String(request.input.prompt));
      if (image === undefined) throw new Error(`no pre-made image for ${String(request.input.prompt)}`);
      const path = join(request.workDir, 'out-0.png');
      await copyFile(image.path, path);
      return {
        provider: 'premade',
        files: [{ path, sha256: image.sha256, bytes: image.bytes, contentType: 'image/png' }],
        actualUsd: 0,
      };
    },
  };
}

/** Reads back a picture (for checks). */
export const readImage = (image: PremadeImage): Promise<Buffer> => readFile(image.path);
