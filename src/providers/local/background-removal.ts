/**
 * The background-removal stand-in (851-labs/background-remover, cjwbw/rembg, lucataco/remove-bg): the
 * matting pass of matting.ts. Honours 851-labs' `threshold`, `reverse`, `background_type` (rgba, white,
 * green, map, or an [R,G,B] list) and `format` (png, jpg, webp).
 */
import { contentTypeOf, decodeRgba, encodeRaw, type ImageFormat, type RawImage } from '../../image/index.js';
import type { PredictionRequest } from '../types.js';
import { removeBackground } from './matting.js';
import {
  localError,
  numberInput,
  readImageInput,
  stringInput,
  throwIfAborted,
  writeProduced,
} from './request-input.js';
import type { StandInOptions, StandInResult } from './stand-in.js';

type Backdrop = { kind: 'transparent' } | { kind: 'map' } | { kind: 'colour'; rgb: [number, number, number] };

function readBackdrop(request: PredictionRequest): Backdrop {
  const value = stringInput(request, 'background_type', 'rgba').trim().toLowerCase();
  if (value === 'rgba') return { kind: 'transparent' };
  if (value === 'map') return { kind: 'map' };
  if (value === 'white') return { kind: 'colour', rgb: [255, 255, 255] };
  if (value === 'green') return { kind: 'colour', rgb: [0, 255, 0] };
  const list = /^\[\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\]$/.exec(value);
  if (list) {
    const rgb = [Number(list[1]), Number(list[2]), Number(list[3])] as [number, number, number];
    if (rgb.every((c) => c <= 255)) return { kind: 'colour', rgb };
  }
  throw localError(
    'LOCAL_INPUT',
    `${request.model}: background_type "${value}" has no offline stand-in (use rgba, white, green, map or [R,G,B])`,
    request,
  );
}

function readFormat(request: PredictionRequest): { format: ImageFormat; extension: string } {
  const value = stringInput(request, 'format', 'png').trim().toLowerCase();
  if (value === 'png' || value === 'webp') return { format: value, extension: value };
  if (value === 'jpg' || value === 'jpeg') return { format: 'jpeg', extension: 'jpg' };
  throw localError(
    'LOCAL_INPUT',
    `${request.model}: format "${value}" is not one of png, jpg, webp`,
    request,
  );
}

/** Puts the cut-out on a colour, or turns it into its matte (white = subject); both without alpha. */
function composeBackdrop(cutout: RawImage, backdrop: Backdrop): RawImage {
  if (backdrop.kind === 'transparent') return cutout;
  const pixels = cutout.width * cutout.height;
  const data = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const a = cutout.data[i * 4 + 3] ?? 0;
    for (let c = 0; c < 3; c++) {
      const under = backdrop.kind === 'map' ? 0 : (backdrop.rgb[c] ?? 0);
      const over = backdrop.kind === 'map' ? 255 : (cutout.data[i * 4 + c] ?? 0);
      data[i * 3 + c] = Math.round((over * a + under * (255 - a)) / 255);
    }
  }
  return { data, width: cutout.width, height: cutout.height, channels: 3 };
}

export async function backgroundRemoval(
  request: PredictionRequest,
  options: StandInOptions,
): Promise<StandInResult> {
  const input = readImageInput(request, request.catalog?.imageInput ?? 'image', options.cwd);
  const threshold = numberInput(request, 'threshold', { default: 0, min: 0, max: 1 });
  const reverse = request.input.reverse === true;
  const backdrop = readBackdrop(request);
  const { format, extension } = readFormat(request);
  const raw = await decodeRgba(input);
  if (raw.width * raw.height > options.maxPixels) {
    throw localError(
      'LOCAL_INPUT',
      `${request.model}: the image is ${raw.width}x${raw.height}, more than the ${options.maxPixels} pixels the offline stand-in handles`,
      request,
    );
  }
  throwIfAborted(request.signal);
  const cutout = composeBackdrop(await removeBackground(raw, { threshold, reverse }), backdrop);
  throwIfAborted(request.signal);
  const encoded = await encodeRaw(cutout, format);
  return {
    files: [await writeProduced(request.workDir, `output.${extension}`, encoded.data, contentTypeOf(format))],
  };
}
