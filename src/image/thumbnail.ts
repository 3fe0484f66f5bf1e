/** Small previews (webp) of an image, e.g. for the review page: fitted inside a square, never enlarged. */
import { type ImageInput, imageFailure, openImage } from './input.js';

export interface ThumbnailOptions {
  /** The longest side, in pixels. */
  maxSize: number;
  /** webp quality, 1–100 (default 78). */
  quality?: number;
}

export interface Thumbnail {
  data: Buffer;
  width: number;
  height: number;
  /** The source image's own dimensions. */
  sourceWidth: number;
  sourceHeight: number;
}

export async function makeThumbnail(input: ImageInput, options: ThumbnailOptions): Promise<Thumbnail> {
  const image = openImage(input, { failOn: 'truncated' });
  const meta = await image.metadata().catch((error: unknown) => {
    throw imageFailure('IMAGE_INVALID', 'cannot read the image for a thumbnail', error);
  });
  const { data, info } = await image
    .resize({
      width: options.maxSize,
      height: options.maxSize,
      fit: 'inside',
      withoutEnlargement: true,
      kernel: 'lanczos3',
    })
    .webp({ quality: options.quality ?? 78, effort: 4, smartSubsample: true })
    .toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_ENCODE', 'making a thumbnail failed', error);
    });
  return {
    data,
    width: info.width,
    height: info.height,
    sourceWidth: meta.autoOrient.width,
    sourceHeight: meta.autoOrient.height,
  };
}
