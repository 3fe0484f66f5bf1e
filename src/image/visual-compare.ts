/**
 * Comparing two pictures as a person would see them: both are brought to one small size and compared
 * with pixelmatch (a perceptual colour distance in YIQ space that ignores anti-aliasing, semi-transparent
 * pixels blended on a checkerboard so that alpha counts), and the differing pixels are drawn over a faded
 * copy as a webp. Also makes the small webp previews shown beside such a comparison.
 */
import pixelmatch from 'pixelmatch';
import type { Sharp } from 'sharp';
import { type ImageInput, imageFailure, openImage, openRaw } from './input.js';

export interface VisualComparisonOptions {
  /** The longest side of the compared size, in pixels (default 256). */
  size?: number;
  /**
   * pixelmatch's threshold, 0–1: how far two colours may be apart and still match (default 0.05, half
   * pixelmatch's own: at 0.1 a saturation change from 0.9 to 0.3 measured 0 % on some pictures, while the
   * same picture as webp and as avif still measures 0 % at 0.05).
   */
  threshold?: number;
  /** webp quality of the difference picture (default 80). */
  quality?: number;
}

export interface VisualComparison {
  /** The size both pictures were compared at (the first one's aspect ratio). */
  width: number;
  height: number;
  pixels: number;
  differingPixels: number;
  /** differingPixels / pixels, 0–1. */
  share: number;
  /** The aspect ratios differ by more than 1 %: the second picture was stretched to the first one's. */
  stretched: boolean;
  /** The differing pixels in red over a faded copy of the first picture (webp). */
  diffImage: Buffer;
}

export interface Preview {
  data: Buffer;
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
}

const DEFAULT_SIZE = 256;
const DEFAULT_THRESHOLD = 0.05;

async function dimensions(image: Sharp, what: string): Promise<{ width: number; height: number }> {
  const meta = await image.metadata().catch((error: unknown) => {
    throw imageFailure('IMAGE_INVALID', `cannot read ${what}`, error);
  });
  return { width: meta.autoOrient.width, height: meta.autoOrient.height };
}

/** Fits width×height inside a square of `size`, never enlarging, never below 1 px. */
export function fitInside(width: number, height: number, size: number): { width: number; height: number } {
  const scale = Math.min(1, size / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function rgbaAt(image: Sharp, width: number, height: number, what: string): Promise<Buffer> {
  return image
    .resize({ width, height, fit: 'fill', kernel: 'lanczos3' })
    .pipelineColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', `cannot decode ${what}`, error);
    });
}

export async function compareVisually(
  before: ImageInput,
  after: ImageInput,
  options: VisualComparisonOptions = {},
): Promise<VisualComparison> {
  const first = openImage(before, { failOn: 'truncated' });
  const second = openImage(after, { failOn: 'truncated' });
  const [a, b] = await Promise.all([
    dimensions(first, 'the first picture'),
    dimensions(second, 'the second picture'),
  ]);
  const { width, height } = fitInside(a.width, a.height, options.size ?? DEFAULT_SIZE);
  const [pixelsA, pixelsB] = await Promise.all([
    rgbaAt(first, width, height, 'the first picture'),
    rgbaAt(second, width, height, 'the second picture'),
  ]);
  const output = Buffer.alloc(width * height * 4);
  const differingPixels = pixelmatch(pixelsA, pixelsB, output, width, height, {
    threshold: options.threshold ?? DEFAULT_THRESHOLD,
  });
  const diffImage = await openRaw({ data: output, width, height, channels: 4 })
    .webp({ quality: options.quality ?? 80, effort: 2 })
    .toBuffer()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_ENCODE', 'encoding the difference picture failed', error);
    });
  const pixels = width * height;
  return {
    width,
    height,
    pixels,
    differingPixels,
    share: differingPixels / pixels,
    stretched: Math.abs(a.width / a.height / (b.width / b.height) - 1) > 0.01,
    diffImage,
  };
}

/** A small webp of a picture, fitted inside a square of `maxSize`, never enlarged. */
export async function makePreview(
  input: ImageInput,
  options: { maxSize: number; quality?: number; effort?: number },
): Promise<Preview> {
  const image = openImage(input, { failOn: 'truncated' });
  const source = await dimensions(image, 'the picture');
  const { data, info } = await image
    .resize({ width: options.maxSize, height: options.maxSize, fit: 'inside', withoutEnlargement: true })
    // effort 2: half the encoding time of the default 4, a few per cent larger at this size.
    .webp({ quality: options.quality ?? 78, effort: options.effort ?? 2 })
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_ENCODE', 'making a preview failed', error);
    });
  return {
    data,
    width: info.width,
    height: info.height,
    sourceWidth: source.width,
    sourceHeight: source.height,
  };
}
