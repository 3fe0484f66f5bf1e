/**
 * Output formats: the recipe's `Format` (a bare name or `{ webp: { quality … } }`), normalised into a name
 * plus checked options, and mapped onto sharp's encoder options.
 */
import { extname } from 'node:path';
import type { AvifOptions, JpegOptions, PngOptions, WebpOptions } from 'sharp';
import { AssetgenError, expected } from '../errors.js';
import type { Format } from '../recipe/recipe-types.generated.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'avif';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'webp', 'avif'];

export interface NormalizedFormat {
  name: ImageFormat;
  /** The options as the recipe spells them (snake_case), checked; empty when none were given. */
  options: Record<string, unknown>;
}

type OptionRule = { type: 'boolean' } | { type: 'integer'; min: number; max: number };

const OPTION_RULES: Readonly<Record<ImageFormat, Readonly<Record<string, OptionRule>>>> = {
  png: { compression_level: { type: 'integer', min: 0, max: 9 }, palette: { type: 'boolean' } },
  jpeg: {
    quality: { type: 'integer', min: 1, max: 100 },
    progressive: { type: 'boolean' },
    mozjpeg: { type: 'boolean' },
  },
  webp: {
    quality: { type: 'integer', min: 1, max: 100 },
    lossless: { type: 'boolean' },
    effort: { type: 'integer', min: 0, max: 6 },
  },
  avif: {
    quality: { type: 'integer', min: 1, max: 100 },
    lossless: { type: 'boolean' },
    effort: { type: 'integer', min: 0, max: 9 },
  },
};

const EXTENSIONS: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.avif': 'avif',
};

const CONTENT_TYPES: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
};

/** The format a file name asks for (`.png .jpg .jpeg .webp .avif`, any case); undefined otherwise. */
export function formatFromPath(path: string): ImageFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

export function contentTypeOf(format: ImageFormat): string {
  return CONTENT_TYPES[format];
}

export function isImageFormat(value: unknown): value is ImageFormat {
  return typeof value === 'string' && (IMAGE_FORMATS as readonly string[]).includes(value);
}

/** `'webp'` → `{ name: 'webp', options: {} }`; `{ webp: { quality: 80 } }` → `{ name: 'webp', options: { quality: 80 } }`. */
export function normalizeFormat(format: Format | ImageFormat): NormalizedFormat {
  if (isImageFormat(format)) return { name: format, options: {} };
  const names = typeof format === 'object' && format !== null ? Object.keys(format) : [];
  const name = names[0];
  if (names.length !== 1 || !isImageFormat(name)) {
    throw new AssetgenError(
      'IMAGE_OPTION',
      expected('png, jpeg, webp, avif or an object with exactly one of them', 'the output format', format),
    );
  }
  const given: unknown = (format as Record<string, unknown>)[name] ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new AssetgenError('IMAGE_OPTION', expected('an object of options', `format ${name}`, given));
  }
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const rule = OPTION_RULES[name][key];
    if (!rule) {
      const known = Object.keys(OPTION_RULES[name]).join(', ');
      throw new AssetgenError('IMAGE_OPTION', expected(`one of ${known}`, `an option of ${name}`, key));
    }
    checkOption(rule, value, `${name}.${key}`);
    options[key] = value;
  }
  return { name, options };
}

function checkOption(rule: OptionRule, value: unknown, forWhat: string): void {
  if (rule.type === 'boolean') {
    if (typeof value !== 'boolean')
      throw new AssetgenError('IMAGE_OPTION', expected('a boolean', forWhat, value));
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    throw new AssetgenError(
      'IMAGE_OPTION',
      expected(`an integer from ${rule.min} to ${rule.max}`, forWhat, value),
    );
  }
}

export type SharpEncoderOptions =
  | { format: 'png'; options: PngOptions }
  | { format: 'jpeg'; options: JpegOptions }
  | { format: 'webp'; options: WebpOptions }
  | { format: 'avif'; options: AvifOptions };

/** Maps normalised recipe options onto sharp's encoder options (sharp's own defaults fill the rest). */
export function sharpEncoderOptions(format: NormalizedFormat): SharpEncoderOptions {
  const o = format.options as Record<string, number | boolean | undefined>;
  const pick = <T extends object>(entries: Record<string, unknown>): T =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as T;
  switch (format.name) {
    case 'png':
      return {
        format: 'png',
        options: pick<PngOptions>({ compressionLevel: o.compression_level, palette: o.palette }),
      };
    case 'jpeg':
      return {
        format: 'jpeg',
        options: pick<JpegOptions>({ quality: o.quality, progressive: o.progressive, mozjpeg: o.mozjpeg }),
      };
    case 'webp':
      return {
        format: 'webp',
        options: pick<WebpOptions>({ quality: o.quality, lossless: o.lossless, effort: o.effort }),
      };
    case 'avif':
      return {
        format: 'avif',
        options: pick<AvifOptions>({ quality: o.quality, lossless: o.lossless, effort: o.effort }),
      };
  }
}
