/**
 * The offline ESRGAN upscaler on a real photo (a crop of the recorded SDXL output): better than sharp's
 * lanczos3 by at least 1 dB PSNR on a ×2 downscale, no seams where tiles meet, the same bytes on a re-run
 * (fresh workers), and the weights and the upscaler in the task key. Skipped only when the optional
 * packages are not installed.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import { hashModelFiles } from '../../../src/providers/local/esrgan/model-files.js';
import { passesFor, upscalePass } from '../../../src/providers/local/esrgan/upscale-image.js';
import { createWorkerPool, type WorkerPool } from '../../../src/providers/local/esrgan/worker-pool.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import {
  type LocalUpscaler,
  localTaskKeyParts,
  resolveLocalUpscaler,
} from '../../../src/providers/local/upscaler-choice.js';
import { modelTaskKey } from '../../../src/run/keys.js';
import { request, workDirs } from './helpers.js';

const PHOTO = fileURLToPath(new URL('../../fixtures/photos/corgi-256.png', import.meta.url));
const ESRGAN = 'nightmareai/real-esrgan';
const dirs = workDirs();
const upscaler = await resolveLocalUpscaler('esrgan');
const installed = upscaler.name === 'esrgan';

async function rgb(input: string | Buffer): Promise<Buffer> {
  return sharp(input).removeAlpha().raw().toBuffer();
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

function maxDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** The photo downscaled ×2 (lanczos3), as a PNG file, and its raw RGB. */
async function halfPhoto(): Promise<{ path: string; raw: Buffer }> {
  const png = await sharp(PHOTO).resize(128, 128, { kernel: 'lanczos3' }).png().toBuffer();
  const path = join(await dirs.make(), 'half.png');
  await writeFile(path, png);
  return { path, raw: await rgb(png) };
}

async function upscaleWith(provider: ReturnType<typeof createLocalProvider>, path: string): Promise<Buffer> {
  const result = await provider.predict(request(ESRGAN, { image: path, scale: 2 }, await dirs.make()));
  return readFile(result.files[0]?.path ?? '');
}

afterAll(() => dirs.cleanup());

describe.skipIf(!installed)('ESRGAN upscaler (optional packages installed)', () => {
  const esrgan = upscaler as Extract<LocalUpscaler, { name: 'esrgan' }>;
  let pool: WorkerPool;
  beforeAll(() => {
    pool = createWorkerPool(esrgan.files, 2);
  });
  afterAll(() => pool.close());

  it('beats lanczos3 by at least 1 dB PSNR on a real photo downscaled ×2, and gives the same bytes on a re-run', async () => {
    const truth = await rgb(PHOTO);
    const half = await halfPhoto();
    const first = createLocalProvider({ upscaler, workers: 2 });
    const second = createLocalProvider({ upscaler, workers: 1 });
    const lanczos = createLocalProvider({ upscaler: { name: 'lanczos' } });
    try {
      const network = await upscaleWith(first, half.path);
      const again = await upscaleWith(second, half.path);
      const resized = await upscaleWith(lanczos, half.path);
      expect(await sharp(network).metadata()).toMatchObject({ width: 256, height: 256, format: 'png' });
      const gain = psnr(await rgb(network), truth) - psnr(await rgb(resized), truth);
      expect(gain).toBeGreaterThanOrEqual(1);
      // Fresh workers (another provider, another worker count): the very same file.
      expect(again.equals(network)).toBe(true);
    } finally {
      await Promise.all([first.close?.(), second.close?.(), lanczos.close?.()]);
    }
  });

  it('shows no seams: small tiles give what one tile over the whole picture gives', async () => {
    const half = await halfPhoto();
    const picture = { width: 128, height: 128 };
    const run = async (core: number, margin: number) =>
      (await upscalePass(pool, { rgb: new Uint8Array(half.raw), ...picture }, { core, margin })).rgb;
    const whole = await run(1000, 10);
    const tiled = await run(40, 10);
    expect(maxDifference(tiled, whole)).toBeLessThanOrEqual(1);
    expect(psnr(tiled, whole)).toBeGreaterThan(60);
    // Without a margin the tiles' edges show: the comparison above would catch a seam.
    const seamed = await run(40, 0);
    expect(maxDifference(seamed, whole)).toBeGreaterThan(20);
  });

  it('upscales by 4 with two ×2 passes, by 3 with two passes resized down, keeping a partial alpha', async () => {
    const small = await sharp(PHOTO).resize(40, 30).ensureAlpha(0.5).png().toBuffer();
    const path = join(await dirs.make(), 'alpha.png');
    await writeFile(path, small);
    const provider = createLocalProvider({ upscaler, workers: 2 });
    try {
      for (const [scale, width, height] of [
        [4, 160, 120],
        [3, 120, 90],
        [1.5, 60, 45],
      ] as const) {
        const result = await provider.predict(request(ESRGAN, { image: path, scale }, await dirs.make()));
        const { data, info } = await sharp(result.files[0]?.path).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.channels]).toEqual([width, height, 4]);
        expect(Math.abs((data[3] ?? 0) - 128)).toBeLessThanOrEqual(1);
      }
    } finally {
      await provider.close?.();
    }
  });

  it('hashes model.json and the shards: the same files the same hash, one changed byte another', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'assetgen-weights-'));
    try {
      await cp(esrgan.files.modelDir, copy, { recursive: true });
      expect(await hashModelFiles(copy)).toBe(esrgan.files.weightsSha256);
      const shard = join(copy, 'group1-shard1of1.bin');
      const bytes = await readFile(shard);
      bytes[1000] = (bytes[1000] ?? 0) ^ 1;
      await writeFile(shard, bytes);
      expect(await hashModelFiles(copy)).not.toBe(esrgan.files.weightsSha256);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('ESRGAN upscaler: passes, key, fallback', () => {
  const limits = { maxPixels: 8192 * 8192, maxInputPixels: 512 * 512 };

  it('runs as many ×2 passes as reach the factor, none past 512×512 inputs', () => {
    expect(passesFor(100, 100, 2, limits)).toBe(1);
    expect(passesFor(100, 100, 1.5, limits)).toBe(1);
    expect(passesFor(100, 100, 3, limits)).toBe(2);
    expect(passesFor(100, 100, 4, limits)).toBe(2);
    expect(passesFor(100, 100, 1, limits)).toBe(0);
    expect(passesFor(512, 512, 4, limits)).toBe(1); // the second pass would start from 1024×1024
    expect(passesFor(1024, 1024, 2, limits)).toBe(0);
    expect(passesFor(100, 100, 4, { ...limits, maxPixels: 300 * 300 })).toBe(1);
  });

  it('puts the upscaler and the weights hash in an upscale task key, the drawing in placeholders, nothing else', () => {
    const catalog = createCatalog();
    const upscale = catalog.get(ESRGAN);
    const flux = catalog.get('black-forest-labs/flux-schnell');
    const files = { modelDir: '/m', wasmDir: '/w/', weightsSha256: 'a'.repeat(64) };
    const key = (parts: Record<string, unknown> | undefined) =>
      modelTaskKey({
        provider: 'local',
        model: ESRGAN,
        version: undefined,
        input: { scale: 2 },
        providerParts: parts,
      });
    const withWeights = key(localTaskKeyParts({ name: 'esrgan', files }, upscale));
    const otherWeights = key(
      localTaskKeyParts({ name: 'esrgan', files: { ...files, weightsSha256: 'b'.repeat(64) } }, upscale),
    );
    const lanczos = key(localTaskKeyParts({ name: 'lanczos' }, upscale));
    expect(new Set([withWeights, otherWeights, lanczos, key(undefined)]).size).toBe(4);
    expect(localTaskKeyParts({ name: 'esrgan', files }, flux)).toEqual({ placeholder: 2 });
    expect(
      localTaskKeyParts({ name: 'esrgan', files }, catalog.get('851-labs/background-remover')),
    ).toBeUndefined();
    // No provider parts: the key as it always was (Replicate's keys do not move).
    expect(key(undefined)).toBe(
      modelTaskKey({ provider: 'local', model: ESRGAN, version: undefined, input: { scale: 2 } }),
    );
  });

  it('falls back to lanczos with one line naming the missing packages', async () => {
    const choice = await resolveLocalUpscaler('esrgan', {
      locate: () => ({ missing: ['@tensorflow/tfjs-core'] }),
    });
    expect(choice.name).toBe('lanczos');
    const fallback = choice.name === 'lanczos' ? (choice.fallback ?? '') : '';
    expect(fallback).toMatch(/lanczos.*@tensorflow\/tfjs-core.*--local-upscaler lanczos/);
    expect(fallback).not.toContain('\n');
    expect(await resolveLocalUpscaler('lanczos')).toEqual({ name: 'lanczos' });
  });
});
