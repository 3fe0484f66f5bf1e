/** Test helpers: make small images in memory and read pixels back (independently of src/image). */
import sharp, { type Color } from 'sharp';

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
  /** [r, g, b, a] at (x, y); a is 255 when the image has no alpha. */
  at(x: number, y: number): [number, number, number, number];
}

export async function pixels(input: Buffer | string): Promise<Pixels> {
  const { data, info } = await sharp(input).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  return {
    data,
    width,
    height,
    channels,
    at(x, y) {
      const i = (y * width + x) * channels;
      const px = [...data.subarray(i, i + channels)];
      if (channels <= 2) return [px[0] ?? 0, px[0] ?? 0, px[0] ?? 0, channels === 2 ? (px[1] ?? 0) : 255];
      return [px[0] ?? 0, px[1] ?? 0, px[2] ?? 0, channels === 4 ? (px[3] ?? 0) : 255];
    },
  };
}

export function solid(width: number, height: number, background: Color, channels: 3 | 4 = 4) {
  return sharp({ create: { width, height, channels, background } }).png().toBuffer();
}

/** A white canvas with a coloured rectangle on it. */
export async function withRect(
  canvas: { width: number; height: number; background?: string },
  rect: { left: number; top: number; width: number; height: number; colour: string },
): Promise<Buffer> {
  const box = await solid(rect.width, rect.height, rect.colour);
  return sharp({
    create: {
      width: canvas.width,
      height: canvas.height,
      channels: 4,
      background: canvas.background ?? '#ffffff',
    },
  })
    .composite([{ input: box, left: rect.left, top: rect.top }])
    .png()
    .toBuffer();
}

/** A detailed, photo-like picture (blurred noise) whose encoded size reacts to quality. */
export function texture(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .blur(1.2)
    .png()
    .toBuffer();
}

/** Standard deviation of the first channel: a measure of contrast / detail. */
export async function contrast(input: Buffer): Promise<number> {
  const stats = await sharp(input).stats();
  return stats.channels[0]?.stdev ?? 0;
}
