/**
 * Output groups: the files one recipe output writes for one image, in each of its widths, with the
 * `srcset` that lists them. Pure: built from manifest outputs only, so anything that reads a manifest
 * can rely on the same rule.
 */
import type { ManifestOutput, ManifestOutputGroup } from './types.js';

/**
 * A path as a srcset URL: each segment percent-escaped, so spaces, commas and `#`/`?` cannot break the
 * list; plain names (letters, digits, `-`, `_`, `.`) stay as they are.
 */
export function srcsetUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `a-640.webp 640w, a-1280.webp 1280w`: the files narrowest first, each width once. */
export function srcsetOf(files: readonly Pick<ManifestOutput, 'path' | 'width'>[]): string {
  return sortedByWidth(files)
    .map((file) => `${srcsetUrl(file.path)} ${file.width}w`)
    .join(', ');
}

/** The group of `files` (the outputs of `outputs[output]` for image number `image`, any order). */
export function outputGroup(
  output: number,
  image: number,
  files: readonly ManifestOutput[],
): ManifestOutputGroup {
  const sorted = sortedByWidth(files);
  return {
    output,
    image,
    format: sorted[0]?.format ?? 'png',
    paths: sorted.map((file) => file.path),
    srcset: srcsetOf(sorted),
  };
}

function sortedByWidth<T extends Pick<ManifestOutput, 'width'>>(files: readonly T[]): T[] {
  const sorted: T[] = [];
  for (const file of [...files].sort((a, b) => a.width - b.width))
    if (sorted.at(-1)?.width !== file.width) sorted.push(file);
  return sorted;
}
