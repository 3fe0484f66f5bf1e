/** Helpers for the local provider tests: requests against the real catalog, synthetic product shots. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createCatalog } from '../../../src/models/catalog.js';
import type { InputFile, PredictionRequest } from '../../../src/providers/types.js';

const catalog = createCatalog();

export interface WorkDirs {
  make(): Promise<string>;
  cleanup(): Promise<void>;
}

export function workDirs(): WorkDirs {
  const made: string[] = [];
  return {
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'assetgen-local-'));
      made.push(dir);
      return dir;
    },
    async cleanup() {
      await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/** An upstream step's output as a stand-in receives it (only the path is read). */
export const inputFile = (path: string): InputFile => ({
  kind: 'file',
  path,
  sha256: 'x',
  bytes: 0,
  contentType: 'image/png',
});

export function request(
  model: string,
  input: Record<string, unknown>,
  workDir: string,
  extra: Partial<PredictionRequest> = {},
): PredictionRequest {
  const entry = catalog.get(model);
  return {
    model,
    ...(entry && { catalog: entry }),
    input,
    workDir,
    taskKey: `test-${model}`,
    label: { recipe: 'test', asset: 'a', step: 's' },
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A product shot: a diagonal beige gradient backdrop with grain, a dark blue ellipse (centre cx, cy,
 * radii rx, ry) with a backdrop-coloured hole of radius `hole` in its middle, saved as a noisy JPEG.
 */
export async function productShot(): Promise<{
  jpeg: Buffer;
  width: number;
  height: number;
  subject: Ellipse;
}> {
  const width = 480;
  const height = 320;
  const subject = { cx: 240, cy: 170, rx: 130, ry: 90, hole: 24 };
  const data = Buffer.alloc(width * height * 3);
  const next = random(42);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      let rgb = [232 - 34 * t, 228 - 36 * t, 220 - 40 * t];
      const ex = (x - subject.cx) / subject.rx;
      const ey = (y - subject.cy) / subject.ry;
      const inEllipse = ex * ex + ey * ey <= 1;
      const inHole = (x - subject.cx) ** 2 + (y - subject.cy) ** 2 <= subject.hole ** 2;
      if (inEllipse && !inHole) rgb = [40, 90, 140];
      const grain = (next() - 0.5) * 16;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, Math.round((rgb[c] ?? 0) + grain)));
    }
  }
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 70 })
    .toBuffer();
  return { jpeg, width, height, subject };
}

export interface Ellipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  hole: number;
}

export async function rgba(path: string | Buffer) {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    alpha: (x: number, y: number) => data[(y * info.width + x) * 4 + 3] ?? -1,
    rgb: (x: number, y: number) => [...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 3)],
    alphas: () => {
      const out: number[] = [];
      for (let i = 3; i < data.length; i += 4) out.push(data[i] ?? 0);
      return out;
    },
  };
}
