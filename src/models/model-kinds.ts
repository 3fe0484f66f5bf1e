/**
 * What a model is, read from its schema: which input takes the upstream image, whether it makes images
 * or text (and so which offline stand-in serves it). A recipe step overrides either when the guess is
 * wrong (`image_input: name`, `kind: image | text`).
 */
import type { CogOutputShape } from './cog-schema.js';
import { isFileProperty } from './cog-schema.js';

/** What a step says about its model when the schema alone is not enough. */
export interface KindOverrides {
  /** The input that takes the upstream image. */
  imageInput?: string;
  kind?: 'image' | 'text';
}

export interface DerivedKind {
  /** `text` for text outputs, else `text-to-image` (the placeholder stand-in). */
  kind: 'text-to-image' | 'text';
  /** The input the upstream image goes to, if any. */
  imageInput?: string;
  /** Every input that takes files, in `x-order`. */
  fileInputs: string[];
}

/**
 * Names that take the image a model works on (`image`, `input_image`, `init_image`, `image_prompt`,
 * `input_images`, `reference_image`, `start_image`, `img` …), in order of preference. Masks, control
 * maps, styles and the like are file inputs too, but never the upstream image.
 */
const PREFERRED = [
  /^image$/,
  /^input_image$/,
  /^init_image$/,
  /^images$/,
  /^input_images$/,
  /^image_input$/,
  /^image_prompt$/,
  /^(start|first|source|base|reference)_images?$/,
  /^img$/,
];
const IMAGE_LIKE = /(^|_)(image|images|img|photo|picture)(_|$)/;
const NOT_UPSTREAM = /(mask|control|depth|pose|style|lora|weights|face|audio|video|canny|seg)/;

function imageInputOf(fileInputs: readonly string[]): string | undefined {
  for (const pattern of PREFERRED) {
    const found = fileInputs.find((name) => pattern.test(name));
    if (found !== undefined) return found;
  }
  return fileInputs.find((name) => IMAGE_LIKE.test(name) && !NOT_UPSTREAM.test(name));
}

/** Kind and image input from an input schema (draft 2020-12, properties in `x-order`) and an output shape. */
export function deriveKind(
  input: Record<string, unknown>,
  outputShape: CogOutputShape,
  overrides: KindOverrides = {},
): DerivedKind {
  const properties = (input.properties ?? {}) as Record<string, unknown>;
  const fileInputs = Object.entries(properties)
    .filter(([, prop]) => isFileProperty(prop))
    .map(([name]) => name);
  const text = outputShape === 'text' || outputShape === 'text-tokens';
  const kind =
    overrides.kind === undefined
      ? text
        ? 'text'
        : 'text-to-image'
      : overrides.kind === 'text'
        ? 'text'
        : 'text-to-image';
  const imageInput = overrides.imageInput ?? imageInputOf(fileInputs);
  return imageInput === undefined ? { kind, fileInputs } : { kind, imageInput, fileInputs };
}

/** Whether the model's `field` takes a list of images (`type: array` of `format: uri`). */
export function takesImageList(model: { inputSchema: Record<string, unknown> }, field: string): boolean {
  const properties = (model.inputSchema.properties ?? {}) as Record<string, { type?: unknown }>;
  return properties[field]?.type === 'array';
}
