/** Encoding to an output format (png, jpeg, webp, avif), optionally resized to a width. */
import type { Sharp } from 'sharp';
import { AssetgenError, expected } from '../errors.js';
import type { Format } from '../recipe/recipe-types.generated.js';
import { type ImageFormat, normalizeFormat, sharpEncoderOptions } from './formats.js';
import { type ImageInput, imageFailure, openImage, openRaw, type RawImage } from './input.js';

export interface EncodedImage {
  data: Buffer;
  width: number;
  height: number;
  format: ImageFormat;
  hasAlpha: boolean;
}

export interface EncodeOptions {
  /** Resize to this width first, keeping the aspect ratio (enlarges too: the caller decides). */
  width?: number;
  /** An XMP packet to embed (provenance); without it the file carries no metadata. */
  xmp?: string;
}

/** Encodes to a format, optionally resized to a width (keeps aspect ratio). */
export async function encodeImage(
  input: ImageInput,
  format: Format | ImageFormat,
  options: EncodeOptions = {},
): Promise<EncodedImage> {
  return encode(openImage(input), format, options);
}

/** Encodes raw pixels (e.g. pictures drawn in memory) to a format. */
export async function encodeRaw(
  raw: RawImage,
  format: Format | ImageFormat,
  options: EncodeOptions = {},
): Promise<EncodedImage> {
  return encode(openRaw(raw), format, options);
}

async function encode(
  pipeline: Sharp,
  format: Format | ImageFormat,
  options: EncodeOptions,
): Promise<EncodedImage> {
  const normalized = normalizeFormat(format);
  let p = pipeline;
  if (options.width !== undefined) {
    const { width } = options;
    if (!Number.isInteger(width) || width < 1 || width > 16384) {
      throw new AssetgenError(
        'IMAGE_OPTION',
        expected('an integer from 1 to 16384', 'the output width', width),
      );
    }
    p = p.resize({ width, kernel: 'lanczos3' });
  }
  const encoder = sharpEncoderOptions(normalized);
  switch (encoder.format) {
    case 'png':
      p = p.png(encoder.options);
      break;
    case 'jpeg':
      // JPEG has no alpha: put transparent areas on white rather than on whatever colour they hide.
      p = p.flatten({ background: '#ffffff' }).jpeg(encoder.options);
      break;
    case 'webp':
      p = p.webp(encoder.options);
      break;
    case 'avif':
      p = p.avif(encoder.options);
      break;
  }
  if (options.xmp !== undefined) p = p.withXmp(options.xmp);
  const { data, info } = await p.toBuffer({ resolveWithObject: true }).catch((error: unknown) => {
    throw imageFailure('IMAGE_ENCODE', `encoding to ${normalized.name} failed`, error);
  });
  return {
    data,
    width: info.width,
    height: info.height,
    format: normalized.name,
    hasAlpha: normalized.name !== 'jpeg' && info.channels % 2 === 0,
  };
}
