/** Reads the XMP packet an image file carries (PNG, JPEG, WebP, AVIF), as text. */
import sharp from 'sharp';
import { type ImageInput, imageFailure, openImage } from './input.js';

export interface ImageMetadata {
  format: string;
  width: number;
  height: number;
  xmp?: string;
}

export async function readImageMetadata(path: string): Promise<ImageMetadata> {
  const metadata = await sharp(path)
    .metadata()
    .catch((error: unknown) => {
      throw imageFailure('IMAGE_INVALID', `cannot read ${path} as an image`, error);
    });
  const result: ImageMetadata = {
    format: metadata.format === 'heif' ? 'avif' : String(metadata.format),
    width: metadata.width ?? 0,
    height: metadata.height ?? 0,
  };
  if (metadata.xmp !== undefined) result.xmp = metadata.xmp.toString('utf8');
  return result;
}

/** An image's size (as displayed) and XMP packet, from its file or bytes; undefined when it cannot be read. */
export async function readSizeAndXmp(
  input: ImageInput,
): Promise<{ width: number; height: number; xmp?: string } | undefined> {
  const metadata = await openImage(input)
    .metadata()
    .catch(() => undefined);
  if (metadata === undefined) return undefined;
  const { width, height } = metadata.autoOrient;
  return metadata.xmp === undefined
    ? { width, height }
    : { width, height, xmp: metadata.xmp.toString('utf8') };
}
