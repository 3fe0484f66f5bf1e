/**
 * The upscaler stand-in (nightmareai/real-esrgan): ESRGAN-slim on the CPU (esrgan/) for pictures up to
 * 512 × 512, or a lanczos3 resize by `scale` — for larger ones, when the run asks for lanczos, or when the
 * optional packages are missing; a PNG either way. An offline placeholder is drawn again at the new size
 * instead (placeholder-mark.ts): a network adds nothing to a synthetic picture.
 */
import { encodeRaw, type ImageInput, readImageMetadata, scaleImage } from '../../image/index.js';
import type { PredictionRequest, ProducedFile } from '../types.js';
import { MAX_NETWORK_INPUT_PIXELS, superResolve } from './esrgan/upscale-image.js';
import { renderPlaceholder } from './placeholder.js';
import { placeholderMarkXmp, readPlaceholderMark } from './placeholder-mark.js';
import { numberInput, readImageInput, throwIfAborted, writeProduced } from './request-input.js';
import type { StandInOptions, StandInResult } from './stand-in.js';

export async function upscale(request: PredictionRequest, options: StandInOptions): Promise<StandInResult> {
  const input = readImageInput(request, request.catalog?.imageInput ?? 'image', options.cwd);
  const scale = numberInput(request, 'scale', { default: 4, above: 0, max: 10 });
  if (request.input.face_enhance === true) {
    request.onEvent?.({ type: 'log', text: 'face_enhance has no offline stand-in; plain resize only' });
  }
  const redrawn = await redrawPlaceholder(input, scale, options.maxPixels, request);
  if (redrawn !== undefined) return { files: [redrawn] };
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

/**
 * A placeholder (its mark names what it was drawn from and the file has the size the mark says) drawn
 * again at `scale` times its size; undefined for any other picture, or when the result would be larger
 * than allowed (the resize path reports that).
 */
async function redrawPlaceholder(
  input: ImageInput,
  scale: number,
  maxPixels: number,
  request: PredictionRequest,
): Promise<ProducedFile | undefined> {
  const head = await readImageMetadata(input).catch(() => undefined);
  const spec = readPlaceholderMark(head?.xmp);
  if (spec === undefined || head?.width !== spec.width || head.height !== spec.height) return undefined;
  const width = Math.max(1, Math.round(spec.width * scale));
  const height = Math.max(1, Math.round(spec.height * scale));
  if (width * height > maxPixels) return undefined;
  const drawn = { ...spec, width, height };
  const encoded = await encodeRaw(renderPlaceholder(drawn), 'png', { xmp: placeholderMarkXmp(drawn) });
  request.onEvent?.({
    type: 'log',
    text: `an offline placeholder: drawn again at ${width}x${height} (no network needed)`,
  });
  throwIfAborted(request.signal);
  return writeProduced(request.workDir, 'output.png', encoded.data, 'image/png');
}
