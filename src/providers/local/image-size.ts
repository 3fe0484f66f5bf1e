/**
 * What a text-to-image model would produce: its size (flux: aspect_ratio × megapixels; sdxl: width ×
 * height), its file format and quality, its count and seeds.
 */
import { createHash } from 'node:crypto';
import type { ImageFormat } from '../../image/index.js';
import type { PredictionRequest } from '../types.js';
import { inputValue, localError, numberInput, stringInput } from './request-input.js';

/** The sizes flux returns at 1 megapixel (cog-flux's table); "0.25" halves both sides. */
const FLUX_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  '1:1': [1024, 1024],
  '16:9': [1344, 768],
  '21:9': [1536, 640],
  '3:2': [1216, 832],
  '2:3': [832, 1216],
  '4:5': [896, 1088],
  '5:4': [1088, 896],
  '3:4': [896, 1152],
  '4:3': [1152, 896],
  '9:16': [768, 1344],
  '9:21': [640, 1536],
};

const MAX_SIDE = 4096;

const round16 = (n: number): number => Math.max(16, Math.round(n / 16) * 16);

export interface ImageSize {
  width: number;
  height: number;
}

/** Flux's output size; ratios and megapixels outside its table follow the same rule, rounded to 16. */
export function fluxSize(aspectRatio: string, megapixels: string): ImageSize | undefined {
  const known = FLUX_SIZES[aspectRatio];
  if (known && (megapixels === '1' || megapixels === '0.25')) {
    const [width, height] = known;
    return megapixels === '1' ? { width, height } : { width: width / 2, height: height / 2 };
  }
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(aspectRatio);
  const mp = Number(megapixels);
  if (!match || !(mp > 0 && mp <= 16)) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  if (!(ratio > 0 && Number.isFinite(ratio))) return undefined;
  const width = round16(Math.sqrt(mp * 1024 * 1024 * ratio));
  return { width, height: round16(width / ratio) };
}

export function requestedSize(request: PredictionRequest): ImageSize {
  const properties = (request.catalog?.inputSchema.properties ?? {}) as Record<string, unknown>;
  if ('aspect_ratio' in properties || 'aspect_ratio' in request.input) {
    const aspectRatio = stringInput(request, 'aspect_ratio', '1:1');
    const megapixels = String(inputValue(request, 'megapixels') ?? '1');
    const size = fluxSize(aspectRatio, megapixels);
    if (!size || size.width > MAX_SIDE || size.height > MAX_SIDE) {
      throw localError(
        'LOCAL_INPUT',
        `${request.model}: cannot make a picture for aspect_ratio "${aspectRatio}" at ${megapixels} megapixels`,
        request,
      );
    }
    return size;
  }
  const side = { default: 1024, min: 16, max: MAX_SIDE, integer: true };
  return { width: numberInput(request, 'width', side), height: numberInput(request, 'height', side) };
}

export interface RequestedFormat {
  format: ImageFormat;
  /** File name extension without the dot, as the model names its files (`jpg`, not `jpeg`). */
  extension: string;
  quality: number;
}

/** `output_format` (webp, jpg, png) and `output_quality`; models without them produce png. */
export function requestedFormat(request: PredictionRequest): RequestedFormat {
  const name = stringInput(request, 'output_format', 'png').toLowerCase();
  const quality = numberInput(request, 'output_quality', { default: 80, min: 1, max: 100, integer: true });
  if (name === 'png') return { format: 'png', extension: 'png', quality };
  if (name === 'webp') return { format: 'webp', extension: 'webp', quality };
  if (name === 'jpg' || name === 'jpeg') return { format: 'jpeg', extension: 'jpg', quality };
  throw localError(
    'LOCAL_INPUT',
    `${request.model}: output_format "${name}" is not one of webp, jpg, png`,
    request,
  );
}

/** `num_outputs` seeds: the given seed counting up, or one derived from the prompt when none is given. */
export function requestedSeeds(request: PredictionRequest, prompt: string): number[] {
  const count = numberInput(request, 'num_outputs', { default: 1, min: 1, max: 10, integer: true });
  const given = request.input.seed;
  const base =
    given === undefined || given === null
      ? createHash('sha256').update(prompt).digest().readUInt32BE(0) % 2_147_483_648
      : numberInput(request, 'seed', { default: 0, integer: true });
  return Array.from({ length: count }, (_, i) => base + i);
}
