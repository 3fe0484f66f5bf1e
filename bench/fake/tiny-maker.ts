/**
 * A cheap output maker for the fake: tiny PNGs (8×8) whose pixels are the sha256 of the prediction's
 * input, so every distinct input gives a distinct, decodable image (chains never collapse into one
 * task) while the cost per prediction stays far below the simulated model time. An upscaler answers at
 * its input's size times its factor, as the real one does (the runner's size gate checks it). Bench
 * code, so it may call sharp directly.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { isInputFile } from '../../src/providers/types.js';
import { upscaleFactor } from '../../src/run/gate-check.js';
import type { MakeOutputs, MakeOutputsRequest } from '../../test/fake-replicate/index.js';

const SIDE = 8;

/** Input as text, with file inputs reduced to their content hash (their paths are random). */
function fingerprint(input: Record<string, unknown>): string {
  return JSON.stringify(input, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'file'
      ? (value as { sha256: string }).sha256
      : value,
  );
}

/** Width and height of the picture: SIDE², or an upscaler's input times its factor. */
async function sizeOf(request: MakeOutputsRequest): Promise<{ width: number; height: number }> {
  if (request.catalog.kind !== 'upscale') return { width: SIDE, height: SIDE };
  const image = Object.values(request.input).find(isInputFile);
  const factor = upscaleFactor(request.input) ?? 1;
  if (image === undefined) return { width: SIDE, height: SIDE };
  const { width = SIDE, height = SIDE } = await sharp(image.path).metadata();
  return { width: Math.round(width * factor), height: Math.round(height * factor) };
}

function pixels(seed: string, width: number, height: number, channels: 3 | 4): Buffer {
  const out = Buffer.alloc(width * height * channels);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < out.length; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  // A cut-out: every other pixel kept, so the quality gate on background removal sees a subject.
  if (channels === 4) for (let i = 3; i < out.length; i += 4) out[i] = ((i - 3) / 4) % 2 === 0 ? 255 : 0;
  return out;
}

export function createTinyMaker(): MakeOutputs {
  return async (request) => {
    if (request.catalog.kind === 'text') return { text: 'a tiny answer' };
    const channels = request.catalog.kind === 'background-removal' ? 4 : 3;
    const count = Math.max(1, Number(request.input.num_outputs ?? 1));
    const seed = `${request.model}|${fingerprint(request.input)}`;
    const { width, height } = await sizeOf(request);
    const files = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        sharp(pixels(`${seed}|${n}`, width, height, channels), { raw: { width, height, channels } })
          .png({ compressionLevel: 1 })
          .toBuffer(),
      ),
    );
    return { files, contentType: 'image/png' };
  };
}
