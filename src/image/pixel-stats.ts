/**
 * `pixelStats`: what the quality gates need to know about a picture, from one small decode — its size,
 * how much each channel varies (a blank or one-colour picture hardly does), its mean colour and the share
 * of opaque pixels. Measured on a copy shrunk to at most 128 × 128 (a box average: noise and JPEG ringing
 * do not make a flat picture look varied, and a subject of a few percent of the frame still counts).
 */
import { type ImageInput, imageFailure, openImage } from './input.js';

export interface PixelStats {
  width: number;
  height: number;
  hasAlpha: boolean;
  /** The largest standard deviation of the R, G, B channels over the visible pixels (0–255). */
  maxStdev: number;
  /** Mean colour of the visible pixels, `#rrggbb` (`#000000` when none is visible). */
  meanColour: string;
  /** Share of pixels with alpha ≥ 128 (1 for a picture without an alpha channel). */
  opaqueShare: number;
}

const SAMPLE_SIDE = 128;

/** The version of this measure: stats kept in cache records under another version are measured again. */
export const PIXEL_STATS_VERSION = 1;

export async function pixelStats(input: ImageInput): Promise<PixelStats> {
  const image = openImage(input);
  const meta = await image.metadata().catch((error: unknown) => {
    throw imageFailure('IMAGE_INVALID', 'cannot read image', error);
  });
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  const scale = Math.min(1, SAMPLE_SIDE / Math.max(width, height));
  const { data } = await image
    .resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), {
      fit: 'fill',
      kernel: 'linear',
    })
    .pipelineColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', 'cannot decode image', error);
    });
  return { width, height, hasAlpha: meta.hasAlpha, ...measure(data) };
}

function measure(rgba: Buffer): Pick<PixelStats, 'maxStdev' | 'meanColour' | 'opaqueShare'> {
  const sum = [0, 0, 0];
  const squares = [0, 0, 0];
  let visible = 0;
  let opaque = 0;
  const pixels = rgba.length / 4;
  for (let i = 0; i < rgba.length; i += 4) {
    const alpha = rgba[i + 3] ?? 0;
    if (alpha >= 128) opaque += 1;
    if (alpha === 0) continue;
    visible += 1;
    for (let c = 0; c < 3; c += 1) {
      const value = rgba[i + c] ?? 0;
      sum[c] = (sum[c] ?? 0) + value;
      squares[c] = (squares[c] ?? 0) + value * value;
    }
  }
  const mean = sum.map((total) => (visible === 0 ? 0 : total / visible));
  const stdev = squares.map((total, c) => {
    if (visible === 0) return 0;
    const m = mean[c] ?? 0;
    return Math.sqrt(Math.max(0, total / visible - m * m));
  });
  const hex = mean.map((m) => Math.round(m).toString(16).padStart(2, '0')).join('');
  return {
    maxStdev: Math.max(...stdev),
    meanColour: `#${hex}`,
    opaqueShare: pixels === 0 ? 0 : opaque / pixels,
  };
}
