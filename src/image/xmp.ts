/** Reads the XMP packet an image file carries (PNG, JPEG, WebP, AVIF), as text. */
import sharp from 'sharp';
import { type ImageInput, imageFailure } from './input.js';

export interface ImageMetadata {
  format: string;
  width: number;
  height: number;
  xmp?: string;
}

/** The format, size and XMP packet of an image file (or its bytes). */
export async function readImageMetadata(input: ImageInput): Promise<ImageMetadata> {
  const metadata = await sharp(input)
    .metadata()
    .catch((error: unknown) => {
      throw imageFailure(
        'IMAGE_INVALID',
        `cannot read ${typeof input === 'string' ? input : 'the image'} as an image`,
        error,
      );
    });
  const result: ImageMetadata = {
    format: metadata.format === 'heif' ? 'avif' : String(metadata.format),
    width: metadata.width ?? 0,
    height: metadata.height ?? 0,
  };
  if (metadata.xmp !== undefined) result.xmp = metadata.xmp.toString('utf8');
  return result;
}
