/**
 * An upscale by any factor with the ×2 network: as many ×2 passes as reach the factor (on a real photo,
 * repeating ×2 and resizing the result down measured better than one ×2 pass and lanczos for the rest),
 * each over tiles spread across the workers, then a lanczos3 resize to the exact size. A pass runs only
 * on a picture of at most `maxInputPixels` (the CPU cost grows with it: ~12 µs a pixel on one core);
 * what is left of the factor is lanczos. The colour goes through the network; an alpha channel, when the
 * picture has one that is not fully opaque, is resized with lanczos3.
 */
import { AssetgenError } from '../../../errors.js';
import {
  decodeRgba,
  type EncodedImage,
  encodeRaw,
  type ImageInput,
  resizeRaw,
  scaleImage,
} from '../../../image/index.js';
import { MAX_NETWORK_INPUT_PIXELS } from './network.js';
import { cutWindow, DEFAULT_TILES, placeCore, planTiles, type TileOptions } from './tiles.js';
import type { UpscaledRgb, WorkerPool } from './worker-pool.js';

export { MAX_NETWORK_INPUT_PIXELS };

export interface SuperResolutionOptions {
  /** Largest output, in pixels. */
  maxPixels: number;
  /** Largest picture a ×2 pass runs on (default MAX_NETWORK_INPUT_PIXELS). */
  maxInputPixels?: number;
  tiles?: TileOptions;
}

/**
 * ×2 passes for a factor: enough to reach it, fewer when a pass's input would be larger than
 * `maxInputPixels` or its output larger than `maxPixels` (0: no pass, a plain resize).
 */
export function passesFor(
  width: number,
  height: number,
  factor: number,
  limits: { maxPixels: number; maxInputPixels: number },
): number {
  const wanted = factor <= 1 ? 0 : Math.max(1, Math.ceil(Math.log2(factor) - 1e-9));
  let passes = 0;
  let pixels = width * height;
  while (passes < wanted && pixels <= limits.maxInputPixels && pixels * 4 <= limits.maxPixels) {
    passes += 1;
    pixels *= 4;
  }
  return passes;
}

/** One ×2 pass: every tile's window to the pool, each result's core put in place as it arrives. */
export async function upscalePass(
  pool: WorkerPool,
  picture: UpscaledRgb,
  tiles: TileOptions = DEFAULT_TILES,
): Promise<UpscaledRgb> {
  const { rgb, width, height } = picture;
  const scale = 2;
  const output = new Uint8Array(width * scale * height * scale * 3);
  await Promise.all(
    planTiles(width, height, tiles).map(async (tile) => {
      const result = await pool.run(cutWindow(rgb, width, tile), tile.windowWidth, tile.windowHeight);
      if (result.width !== tile.windowWidth * scale || result.height !== tile.windowHeight * scale) {
        throw new Error(
          `the network returned ${result.width}x${result.height} for a ${tile.windowWidth}x${tile.windowHeight} tile`,
        );
      }
      placeCore(output, width * scale, result.rgb, tile, scale);
    }),
  );
  return { rgb: output, width: width * scale, height: height * scale };
}

export async function superResolve(
  input: ImageInput,
  factor: number,
  pool: WorkerPool,
  options: SuperResolutionOptions,
): Promise<{ image: EncodedImage; passes: number }> {
  const raw = await decodeRgba(input);
  const { width, height } = raw;
  const targetWidth = Math.max(1, Math.round(width * factor));
  const targetHeight = Math.max(1, Math.round(height * factor));
  if (targetWidth * targetHeight > options.maxPixels) {
    throw new AssetgenError(
      'IMAGE_OPTION',
      `scaling ${width}x${height} by ${factor} gives ${targetWidth}x${targetHeight}, ` +
        `more than the ${options.maxPixels} pixels allowed`,
    );
  }
  const passes = passesFor(width, height, factor, {
    maxPixels: options.maxPixels,
    maxInputPixels: options.maxInputPixels ?? MAX_NETWORK_INPUT_PIXELS,
  });
  if (passes === 0) {
    return {
      image: await scaleImage(input, factor, { kernel: 'lanczos3', maxPixels: options.maxPixels }),
      passes,
    };
  }
  const pixels = width * height;
  const rgb = new Uint8Array(pixels * 3);
  const alpha = Buffer.alloc(pixels);
  let opaque = true;
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = raw.data[i * 4] ?? 0;
    rgb[i * 3 + 1] = raw.data[i * 4 + 1] ?? 0;
    rgb[i * 3 + 2] = raw.data[i * 4 + 2] ?? 0;
    const a = raw.data[i * 4 + 3] ?? 255;
    alpha[i] = a;
    if (a !== 255) opaque = false;
  }
  let up: UpscaledRgb = { rgb, width, height };
  for (let pass = 0; pass < passes; pass++) up = await upscalePass(pool, up, options.tiles);
  const colour = await resizeRaw(
    {
      data: Buffer.from(up.rgb.buffer, up.rgb.byteOffset, up.rgb.byteLength),
      width: up.width,
      height: up.height,
      channels: 3,
    },
    targetWidth,
    targetHeight,
  );
  if (opaque) return { image: await encodeRaw(colour, 'png'), passes };
  const matte = await resizeRaw({ data: alpha, width, height, channels: 1 }, targetWidth, targetHeight);
  const rgba = Buffer.alloc(targetWidth * targetHeight * 4);
  for (let i = 0; i < targetWidth * targetHeight; i++) {
    rgba[i * 4] = colour.data[i * 3] ?? 0;
    rgba[i * 4 + 1] = colour.data[i * 3 + 1] ?? 0;
    rgba[i * 4 + 2] = colour.data[i * 3 + 2] ?? 0;
    rgba[i * 4 + 3] = matte.data[i] ?? 255;
  }
  return {
    image: await encodeRaw({ data: rgba, width: targetWidth, height: targetHeight, channels: 4 }, 'png'),
    passes,
  };
}
