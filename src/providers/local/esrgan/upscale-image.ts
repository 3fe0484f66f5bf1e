/**
 * An upscale by any factor with the ×2 network: as many ×2 passes as reach the factor (on a real photo,
 * repeating ×2 and resizing the result down measured better than one ×2 pass and lanczos for the rest),
 * then a lanczos3 resize to the exact size. The colour goes through the network; an alpha channel, when
 * the picture has one that is not fully opaque, is resized with lanczos3.
 */
import { AssetgenError } from '../../../errors.js';
import {
  decodeRgba,
  type EncodedImage,
  encodeRaw,
  type ImageInput,
  resizeRaw,
} from '../../../image/index.js';
import type { WorkerPool } from './worker-pool.js';

export interface SuperResolutionOptions {
  maxPixels: number;
}

/** ×2 passes for a factor: enough to reach it, fewer when an intermediate picture would be too large. */
export function passesFor(width: number, height: number, factor: number, maxPixels: number): number {
  let passes = Math.max(1, Math.ceil(Math.log2(factor) - 1e-9));
  while (passes > 1 && width * height * 4 ** passes > maxPixels) passes -= 1;
  return passes;
}

export async function superResolve(
  input: ImageInput,
  factor: number,
  pool: WorkerPool,
  options: SuperResolutionOptions,
): Promise<EncodedImage> {
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
  const passes = passesFor(width, height, factor, options.maxPixels);
  const up = await pool.upscale(rgb, width, height, passes);
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
  if (opaque) return encodeRaw(colour, 'png');
  const matte = await resizeRaw({ data: alpha, width, height, channels: 1 }, targetWidth, targetHeight);
  const rgba = Buffer.alloc(targetWidth * targetHeight * 4);
  for (let i = 0; i < targetWidth * targetHeight; i++) {
    rgba[i * 4] = colour.data[i * 3] ?? 0;
    rgba[i * 4 + 1] = colour.data[i * 3 + 1] ?? 0;
    rgba[i * 4 + 2] = colour.data[i * 3 + 2] ?? 0;
    rgba[i * 4 + 3] = matte.data[i] ?? 255;
  }
  return encodeRaw({ data: rgba, width: targetWidth, height: targetHeight, channels: 4 }, 'png');
}
