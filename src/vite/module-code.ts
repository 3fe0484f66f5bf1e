/**
 * The JavaScript of an `assetgen:` module: the AssetgenImage object, with each file's URL given as an
 * expression (in a build, Rollup's `import.meta.ROLLUP_FILE_URL_<ref>`, which Vite turns into the
 * emitted file's URL under `base`; in dev, a string literal).
 */
import type { ManifestOutput } from '../manifest/types.js';
import type { AssetSelection, SelectedGroup } from './asset-lookup.js';

/** The manifest's formats (png, jpeg, webp, avif) are their media subtypes. */
const contentTypeOf = (format: string): string => `image/${format}`;

/** `url(file)`: a JavaScript expression for the file's URL. */
export function moduleCode(selection: AssetSelection, url: (file: ManifestOutput) => string): string {
  const { primary, sources, asset } = selection;
  const widest = primary.files.at(-1) as ManifestOutput;
  const srcset = (entry: SelectedGroup): string =>
    entry.files.length === 0
      ? '""'
      : entry.files.map((file) => `${url(file)} + ${JSON.stringify(` ${file.width}w`)}`).join(' + ", " + ');
  const lines = [
    `  src: ${url(widest)},`,
    `  srcset: ${srcset(primary)},`,
    `  width: ${widest.width},`,
    `  height: ${widest.height},`,
    `  type: ${JSON.stringify(contentTypeOf(widest.format))},`,
    `  placeholder: ${JSON.stringify(widest.lqip ?? '')},`,
    `  thumbhash: ${JSON.stringify(widest.thumbhash ?? '')},`,
    `  alt: ${JSON.stringify(asset.alt ?? '')},`,
    `  sources: [${sources
      .map(
        (entry) => `{ type: ${JSON.stringify(contentTypeOf(entry.group.format))}, srcset: ${srcset(entry)} }`,
      )
      .join(', ')}],`,
    `  offline: ${asset.placeholder},`,
  ];
  return `// assetgen:${selection.key}\nexport default {\n${lines.join('\n')}\n};\n`;
}
