/** What `import image from 'assetgen:<recipe>/<asset>'` gives, and the plugin's options. */
import type { RunRecipesOptions } from '../api/run.js';

/** One `<source>` of a `<picture>`: the same image in one format. */
export interface AssetgenImageSource {
  /** `image/avif`, `image/webp`, … */
  type: string;
  srcset: string;
}

export interface AssetgenImage {
  /** URL of the widest file of the asset's first output (its first image). */
  src: string;
  /** Every width of that output, `url 640w, url 1280w`, narrowest first. */
  srcset: string;
  /** The size of the `src` file, in pixels. */
  width: number;
  height: number;
  /** `type` of the `src` file (`image/webp`). */
  type: string;
  /** A tiny webp of the image as a `data:` URI, for a blurred background while it loads ('' if the manifest has none). */
  placeholder: string;
  /** The image's ThumbHash, base64 (decode it with the `thumbhash` package; '' if the manifest has none). */
  thumbhash: string;
  /** The asset's alt text (the recipe's `alt:`, rendered); '' when the recipe gives none. */
  alt: string;
  /** The same image in each format the recipe writes, modern formats first, for `<picture>`. */
  sources: AssetgenImageSource[];
  /** Made by the offline stand-in (a placeholder picture, not the real model's). */
  offline: boolean;
}

/** Run recipes when the build (or the dev server) starts, through the library's `runRecipes`. */
export interface AssetgenViteRun extends Omit<RunRecipesOptions, 'out' | 'cwd'> {
  /** Recipe files, relative to Vite's root. */
  recipes: readonly string[];
}

export interface AssetgenViteOptions {
  /** The output folder assetgen writes, relative to Vite's root (default `output`). */
  out?: string;
  /** The manifest, when it is not `<out>/manifest.json`; the paths it lists resolve against its folder. */
  manifest?: string;
  /**
   * Recipes to run at build start (offline, `provider: 'local'`, unless you pass another provider and a
   * `replicate.token`); a run that does not finish fails the build. Without it, the manifest must exist.
   */
  run?: AssetgenViteRun;
  /** What an import of an offline placeholder does in a build: `warn` (default), `error` or `ignore`. */
  offline?: 'warn' | 'error' | 'ignore';
}
