/** Output formats by name and file extension (no image library needed). */
import type { Format } from '../recipe/recipe-types.generated.js';

export type ImageFormatName = 'png' | 'jpeg' | 'webp' | 'avif';

const EXTENSIONS: Readonly<Record<string, ImageFormatName>> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
  avif: 'avif',
};

export function formatFromExtension(path: string): ImageFormatName | undefined {
  const match = /\.([a-z0-9]+)$/i.exec(path);
  return match?.[1] === undefined ? undefined : EXTENSIONS[match[1].toLowerCase()];
}

export function extensionOf(format: ImageFormatName): string {
  return format === 'jpeg' ? 'jpg' : format;
}

export function formatName(format: Format): ImageFormatName {
  return typeof format === 'string' ? format : (Object.keys(format)[0] as ImageFormatName);
}
