/**
 * Pictures for the fake models of tests: one colour with a white mark (a quarter of each side) in the
 * top-left corner. Tiny, but not blank, so the quality gates (which refuse one-colour pictures) pass them
 * like real art, and a background remover that drops the border colour keeps the mark (1/16 of the frame).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { MakeOutputs } from '../fake-replicate/index.js';

export function markedPng(
  width: number,
  height: number,
  background: string | { r: number; g: number; b: number; alpha?: number },
  channels: 3 | 4 = 3,
): Promise<Buffer> {
  const side = (length: number) => Math.max(1, Math.floor(length / 4));
  const mark = {
    create: { width: side(width), height: side(height), channels: 3 as const, background: '#ffffff' },
  };
  return sharp({ create: { width, height, channels, background } })
    .composite([{ input: mark, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

/** A tiny PNG whose colour depends on the whole input, so every task's output is distinct (12×12, upscales larger, cut-outs transparent but for the mark). */
export const distinctMaker: MakeOutputs = async (request) => {
  const digest = createHash('sha256')
    .update(JSON.stringify(request.input, (_key, value) => (value?.kind === 'file' ? value.sha256 : value)))
    .digest();
  const colour = { r: digest[0] ?? 0, g: digest[1] ?? 0, b: digest[2] ?? 0, alpha: 1 };
  // An upscaler's picture is its input's size times the scale, as its quality gate expects.
  let side = 12;
  const image = request.input.image as { kind?: string; path?: string } | undefined;
  if (request.catalog.kind === 'upscale' && image?.kind === 'file' && image.path !== undefined) {
    const { width = 12 } = await sharp(image.path).metadata();
    side = Math.round(width * Number(request.input.scale ?? 4));
  }
  // A background remover's: the mark kept, the rest transparent.
  if (request.catalog.kind === 'background-removal') colour.alpha = 0;
  return { files: [await markedPng(side, side, colour, 4)], contentType: 'image/png' };
};
