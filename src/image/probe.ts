/**
 * `probeImage`: full decode of an image file or buffer, to check it and measure it. `inspectImageFile`: the
 * same check for a file a recipe names, as a verdict in words (header first, so an image over the pixel
 * limit is refused without decoding it).
 */
import { stat } from 'node:fs/promises';
import { AssetgenError } from '../errors.js';
import { describeInput, type ImageInput, imageFailure, MAX_INPUT_PIXELS, openImage } from './input.js';

export interface ImageInfo {
  width: number;
  height: number;
  /** png, jpeg, webp, avif, gif, tiff … (sharp's name; AVIF is reported as avif, not heif). */
  format: string;
  hasAlpha: boolean;
  bytes: number;
}

/** Width and height as displayed (orientation applied), from the header alone: no pixel is decoded. */
export async function readImageSize(input: ImageInput): Promise<{ width: number; height: number }> {
  const meta = await openImage(input)
    .metadata()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', `cannot read image ${describeInput(input)}`, error);
    });
  return { width: meta.autoOrient.width, height: meta.autoOrient.height };
}

/** Decodes fully (not just the header) and returns dimensions; throws a clear error for truncated/corrupt data. */
export async function probeImage(input: ImageInput): Promise<ImageInfo> {
  const what = describeInput(input);
  const bytes = typeof input === 'string' ? await fileSize(input) : input.length;
  const image = openImage(input);
  const meta = await image.metadata().catch((error: unknown) => {
    throw imageFailure('IMAGE_INVALID', `cannot read image ${what}`, error);
  });
  await decodeEveryPixel(input);
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
  return {
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    format,
    hasAlpha: meta.hasAlpha,
    bytes,
  };
}

/**
 * Checks that an image decodes completely, without measuring it: one decode where `probeImage` also
 * reads the header on its own (for downloads, which only need the check).
 */
export async function verifyImage(input: ImageInput): Promise<void> {
  await decodeEveryPixel(input);
}

async function decodeEveryPixel(input: ImageInput): Promise<void> {
  // The header can be intact while the pixel data is cut short: decode every pixel. One band kept as raw
  // bytes: measured 10–25× faster than stats() (which also computes entropy, sharpness and the dominant
  // colour, and ran ~4 ms even for an 8×8 PNG, serialised), at a quarter of a full raw decode's memory.
  await openImage(input, { failOn: 'truncated' })
    .extractChannel(0)
    .raw()
    .toBuffer()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', `image ${describeInput(input)} is truncated or corrupt`, error);
    });
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw new AssetgenError('IMAGE_INVALID', `cannot read image ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export type ImageFileVerdict =
  | { ok: true; width: number; height: number; format: string }
  | { ok: false; reason: string };

/**
 * Whether a file is an image assetgen can use: its header reads, it has at most `maxPixels` pixels, and
 * (only then) every pixel decodes. The reason completes a sentence that starts with the file's name.
 */
export async function inspectImageFile(
  path: string,
  options: { maxPixels?: number } = {},
): Promise<ImageFileVerdict> {
  const maxPixels = options.maxPixels ?? MAX_INPUT_PIXELS;
  let meta: Awaited<ReturnType<ReturnType<typeof openImage>['metadata']>>;
  try {
    meta = await openImage(path, { limitInputPixels: false }).metadata();
  } catch (error) {
    return { ok: false, reason: `cannot be read as an image (${reasonOf(error)})` };
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > maxPixels) {
    return {
      ok: false,
      reason:
        `is ${width} × ${height} pixels (${megapixels(width * height)} MP); images may have at most ` +
        `${megapixels(maxPixels)} MP (${describeLimit(maxPixels)}) — scale it down`,
    };
  }
  try {
    await openImage(path, { failOn: 'truncated', limitInputPixels: maxPixels })
      .extractChannel(0)
      .raw()
      .toBuffer();
  } catch (error) {
    return { ok: false, reason: `is truncated or corrupt (${reasonOf(error)})` };
  }
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
  return { ok: true, width, height, format };
}

function reasonOf(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).trim();
  return text.split('\n')[0] ?? text;
}

const megapixels = (pixels: number): string => (pixels / 1e6).toFixed(1);

function describeLimit(pixels: number): string {
  const side = Math.floor(Math.sqrt(pixels));
  return side * side === pixels ? `${side} × ${side}` : `${pixels.toLocaleString('en-US')} pixels`;
}
