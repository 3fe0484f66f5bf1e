/** The text-to-image stand-in (flux-schnell, flux-dev, sdxl): deterministic placeholder pictures. */
import { contentTypeOf, encodeRaw, type ImageFormat } from '../../image/index.js';
import type { Format } from '../../recipe/recipe-types.generated.js';
import type { PredictionRequest, ProducedFile } from '../types.js';
import { requestedFormat, requestedSeeds, requestedSize } from './image-size.js';
import { renderPlaceholder } from './placeholder.js';
import { placeholderMarkXmp } from './placeholder-mark.js';
import { stringInput, throwIfAborted, writeProduced } from './request-input.js';
import type { StandInResult } from './stand-in.js';

function formatWithQuality(format: ImageFormat, quality: number): Format {
  if (format === 'jpeg') return { jpeg: { quality } };
  if (format === 'webp') return { webp: { quality } };
  return format;
}

export async function placeholderImages(request: PredictionRequest): Promise<StandInResult> {
  const prompt = stringInput(request, 'prompt', '');
  const { width, height } = requestedSize(request);
  const { format, extension, quality } = requestedFormat(request);
  const seeds = requestedSeeds(request, prompt);
  const label = request.model.slice(request.model.indexOf('/') + 1);
  request.onEvent?.({ type: 'log', text: `Using seed: ${seeds[0]}` });
  const files: ProducedFile[] = [];
  for (const [i, seed] of seeds.entries()) {
    throwIfAborted(request.signal);
    const spec = { prompt, seed, width, height, label };
    const encoded = await encodeRaw(renderPlaceholder(spec), formatWithQuality(format, quality), {
      xmp: placeholderMarkXmp(spec),
    });
    files.push(
      await writeProduced(request.workDir, `out-${i}.${extension}`, encoded.data, contentTypeOf(format)),
    );
  }
  return { files };
}
