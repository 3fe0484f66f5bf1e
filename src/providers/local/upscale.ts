/**
 * The upscaler stand-in (nightmareai/real-esrgan): ESRGAN-slim on the CPU (esrgan/) for pictures up to
 * 512 × 512, or a lanczos3 resize by `scale` — for larger ones, when the run asks for lanczos, or when the
 * optional packages are missing; a PNG either way.
 */
import { scaleImage } from '../../image/index.js';
import type { PredictionRequest } from '../types.js';
import { MAX_NETWORK_INPUT_PIXELS, superResolve } from './esrgan/upscale-image.js';
import { numberInput, readImageInput, throwIfAborted, writeProduced } from './request-input.js';
import type { StandInOptions, StandInResult } from './stand-in.js';

export async function upscale(request: PredictionRequest, options: StandInOptions): Promise<StandInResult> {
  const input = readImageInput(request, request.catalog?.imageInput ?? 'image');
  const scale = numberInput(request, 'scale', { default: 4, above: 0, max: 10 });
  if (request.input.face_enhance === true) {
    request.onEvent?.({ type: 'log', text: 'face_enhance has no offline stand-in; plain resize only' });
  }
  const pool = options.superResolution?.();
  // A factor of 1 or less needs no new detail: a resize.
  if (pool === undefined || scale <= 1) {
    const scaled = await scaleImage(input, scale, { kernel: 'lanczos3', maxPixels: options.maxPixels });
    throwIfAborted(request.signal);
    return { files: [await writeProduced(request.workDir, 'output.png', scaled.data, 'image/png')] };
  }
  const { image: scaled, passes } = await superResolve(input, scale, pool, { maxPixels: options.maxPixels });
  if (passes === 0) {
    request.onEvent?.({
      type: 'log',
      text: `larger than ${MAX_NETWORK_INPUT_PIXELS} pixels: resized with lanczos3 instead of ESRGAN`,
    });
  }
  throwIfAborted(request.signal);
  return { files: [await writeProduced(request.workDir, 'output.png', scaled.data, 'image/png')] };
}
