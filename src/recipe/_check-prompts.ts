/**
 * Very long prompts are a warning, not an error: the request is valid, but the model reads only its
 * beginning (image models' text encoders take a few hundred tokens) or may run out of context.
 */
import type { CatalogModel } from '../models/catalog.js';
import type { CheckContext } from './_context.js';
import type { PathSegment } from './_paths.js';
import { type AssetInstance, describeInstance } from './instances.js';

/** Characters past which an image model ignores the rest (Flux reads ~256–512 tokens, SDXL 77). */
export const LONG_IMAGE_PROMPT = 2_000;
/** Characters past which a language model's context (about 8,000 tokens) may be exceeded. */
export const LONG_TEXT_PROMPT = 24_000;

const PROMPT_KEY = /(^|_)prompt$/;

export function warnLongPrompts(
  context: CheckContext,
  input: Readonly<Record<string, unknown>>,
  raw: Readonly<Record<string, unknown>>,
  base: readonly PathSegment[],
  model: CatalogModel | undefined,
  instance: AssetInstance,
): void {
  const image = model !== undefined && model.kind !== 'text';
  const limit = image ? LONG_IMAGE_PROMPT : LONG_TEXT_PROMPT;
  for (const [key, value] of Object.entries(input)) {
    if (!PROMPT_KEY.test(key) || typeof value !== 'string' || value.length <= limit) continue;
    const note = raw[key] !== value ? ` for asset ${describeInstance(instance)}` : '';
    const why = image
      ? `${model.ref} reads only its first few hundred tokens and ignores the rest`
      : `${model?.ref ?? 'the model'} may not take that much text (about 8,000 tokens for Llama 3)`;
    context.warnings.add(
      [...base, key],
      `the ${key.replaceAll('_', ' ')} is ${value.length.toLocaleString('en-US')} characters long${note}; ${why} (keep it under ${limit.toLocaleString('en-US')} characters)`,
      { dedupe: `${base.join('/')}/${key}\nlong` },
    );
  }
}
