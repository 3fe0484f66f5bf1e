/** Opening image inputs (a Buffer or a file path) and wording the errors they cause. */
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { AssetgenError } from '../errors.js';

export type ImageInput = Buffer | string;

/**
 * The most pixels an input image may have (sharp's own default, 16383 × 16383, made explicit): every
 * decode uses it, and recipe validation refuses larger files with the same number.
 */
export const MAX_INPUT_PIXELS = 16383 * 16383;

/** Raw 8-bit pixels, interleaved, rows top to bottom. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export function describeInput(input: ImageInput): string {
  return typeof input === 'string' ? input : `a buffer of ${input.length} bytes`;
}

/** A sharp pipeline over an encoded input, turned upright by its EXIF orientation. */
export function openImage(input: ImageInput, options: SharpOptions = {}): Sharp {
  return sharp(input, { autoOrient: true, limitInputPixels: MAX_INPUT_PIXELS, ...options });
}

/** A sharp pipeline over raw pixels. */
export function openRaw(raw: RawImage): Sharp {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
}

/** sharp's wording when the input itself cannot be decoded (unknown format, truncated, missing file). */
const UNREADABLE_INPUT =
  /Input (file|buffer)|unsupported image format|premature end|read error|truncated|corrupt/i;

/**
 * Wraps a sharp failure into an AssetgenError whose message says what was being done. Failures to decode
 * the input get the code IMAGE_INVALID whatever step noticed them.
 */
export function imageFailure(code: string, doing: string, cause: unknown): AssetgenError {
  if (cause instanceof AssetgenError) return cause;
  const reason = (cause instanceof Error ? cause.message : String(cause)).trim();
  return new AssetgenError(UNREADABLE_INPUT.test(reason) ? 'IMAGE_INVALID' : code, `${doing}: ${reason}`, {
    cause,
  });
}
