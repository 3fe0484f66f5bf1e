/**
 * Pixel access for code outside src/image (the local provider's placeholder and matting): decode to raw
 * RGBA, blur a single channel, rescale. sharp stays behind this module boundary.
 */
import type { KernelEnum } from 'sharp';
import { AssetgenError, expected } from '../errors.js';
import type { EncodedImage } from './encode.js';
import { type ImageInput, imageFailure, openImage, openRaw, type RawImage } from './input.js';

/** Decodes to 8-bit sRGB RGBA (alpha added when absent), upright by EXIF orientation. */
export async function decodeRgba(input: ImageInput): Promise<RawImage> {
  const { data, info } = await openImage(input)
    .pipelineColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', 'cannot decode image', error);
    });
  return { data, width: info.width, height: info.height, channels: 4 };
}

/** Gaussian blur of one 8-bit channel (e.g. an alpha matte); returns a new buffer of the same size. */
export async function blurChannel(
  data: Uint8Array,
  width: number,
  height: number,
  sigma: number,
): Promise<Buffer> {
  const raw: RawImage = {
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    width,
    height,
    channels: 1,
  };
  const out = await openRaw(raw)
    .blur(sigma)
    // sharp would otherwise hand back three (sRGB) channels for a one-channel input.
    .extractChannel(0)
    .raw()
    .toBuffer()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_OPERATION', 'blurring a channel failed', error);
    });
  return out;
}

/** Rescales by a factor (lanczos3 unless told) and encodes as PNG. */
export async function scaleImage(
  input: ImageInput,
  factor: number,
  options: { kernel?: keyof KernelEnum; maxPixels?: number } = {},
): Promise<EncodedImage> {
  if (!(typeof factor === 'number' && factor > 0 && Number.isFinite(factor))) {
    throw new AssetgenError('IMAGE_OPTION', expected('a positive number', 'the scale factor', factor));
  }
  const image = openImage(input);
  const meta = await image.metadata().catch((error: unknown) => {
    throw imageFailure('IMAGE_INVALID', 'cannot read image', error);
  });
  const width = Math.max(1, Math.round(meta.autoOrient.width * factor));
  const height = Math.max(1, Math.round(meta.autoOrient.height * factor));
  const maxPixels = options.maxPixels ?? 16384 * 16384;
  if (width * height > maxPixels) {
    throw new AssetgenError(
      'IMAGE_OPTION',
      `scaling ${meta.autoOrient.width}x${meta.autoOrient.height} by ${factor} gives ${width}x${height}, ` +
        `more than the ${maxPixels} pixels allowed`,
    );
  }
  const { data, info } = await image
    .resize({ width, height, fit: 'fill', kernel: options.kernel ?? 'lanczos3' })
    .png()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_OPERATION', `scaling by ${factor} failed`, error);
    });
  return { data, width: info.width, height: info.height, format: 'png', hasAlpha: info.channels % 2 === 0 };
}

/** Resizes raw pixels to exactly `width × height` (lanczos3), keeping their channels. */
export async function resizeRaw(raw: RawImage, width: number, height: number): Promise<RawImage> {
  if (raw.width === width && raw.height === height) return raw;
  let pipeline = openRaw(raw).resize({ width, height, fit: 'fill', kernel: 'lanczos3' });
  // As in blurChannel: one channel in, one channel out (not three sRGB ones).
  if (raw.channels === 1) pipeline = pipeline.extractChannel(0);
  const { data, info } = await pipeline
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_OPERATION', `resizing to ${width}x${height} failed`, error);
    });
  return { data, width: info.width, height: info.height, channels: raw.channels };
}
