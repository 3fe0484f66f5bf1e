/** The image library's versions, for cache keys: an upgrade may change output bytes. */
import sharp from 'sharp';

/** `sharp 0.35.5, vips 8.18.7, aom …, webp …` — sharp and libvips first, then the bundled codecs by name. */
export function imageLibraryVersion(): string {
  const { sharp: sharpVersion, vips, ...libraries } = sharp.versions as Record<string, string | undefined>;
  const rest = Object.entries(libraries)
    .filter(([, version]) => version !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, version]) => `${name} ${version}`);
  return [`sharp ${sharpVersion}`, `vips ${vips}`, ...rest].join(', ');
}
