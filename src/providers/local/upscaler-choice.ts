/**
 * Which upscaler the offline provider runs: ESRGAN (the default, when its optional packages are
 * installed) or a plain lanczos3 resize. Resolved once per session, before the cache is probed, because
 * the choice — and the weights' hash — is part of an upscale task's key.
 */
import type { CatalogModel } from '../../models/catalog.js';
import { hashModelFiles, locateModelPackages } from './esrgan/model-files.js';
import { MAX_NETWORK_INPUT_PIXELS } from './esrgan/network.js';
import type { LocalUpscaler, LocalUpscalerName } from './upscaler-types.js';

export type { LocalUpscaler, LocalUpscalerName } from './upscaler-types.js';

export const LOCAL_UPSCALERS: readonly LocalUpscalerName[] = ['esrgan', 'lanczos'];

/** Weights hashed once per process and folder: the files are part of an installed package. */
const hashes = new Map<string, Promise<string>>();

function weightsHash(modelDir: string): Promise<string> {
  let hash = hashes.get(modelDir);
  if (hash === undefined) {
    hash = hashModelFiles(modelDir);
    hash.catch(() => hashes.delete(modelDir));
    hashes.set(modelDir, hash);
  }
  return hash;
}

export async function resolveLocalUpscaler(
  requested: LocalUpscalerName = 'esrgan',
  options: { locate?: typeof locateModelPackages } = {},
): Promise<LocalUpscaler> {
  if (requested === 'lanczos') return { name: 'lanczos' };
  const located = (options.locate ?? locateModelPackages)();
  if ('missing' in located) {
    return {
      name: 'lanczos',
      fallback:
        `offline upscales use lanczos: ESRGAN needs the optional packages ${located.missing.join(', ')} ` +
        '(npm install --include=optional, or --local-upscaler lanczos to choose this)',
    };
  }
  try {
    return { name: 'esrgan', files: { ...located, weightsSha256: await weightsHash(located.modelDir) } };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      name: 'lanczos',
      fallback: `offline upscales use lanczos: the ESRGAN weights cannot be read (${reason})`,
    };
  }
}

/**
 * What an upscale task's key carries besides its input: the upscaler, and for ESRGAN the weights' hash
 * and the version of the way it is run (tiles, passes, rounding).
 */
export function upscalerKey(upscaler: LocalUpscaler): Record<string, unknown> {
  if (upscaler.name === 'lanczos') return { upscaler: 'lanczos3' };
  return {
    upscaler: 'esrgan-slim-x2',
    weights: upscaler.files.weightsSha256,
    maxInputPixels: MAX_NETWORK_INPUT_PIXELS,
    pipeline: 1,
  };
}

/**
 * The version of the offline placeholder drawing as a task's key carries it: 2 since placeholders carry
 * their mark (placeholder-mark.ts) and upscales of them are drawn again.
 */
const PLACEHOLDER_DRAWING = 2;

/**
 * What an offline task's key carries for its model's kind: the placeholder drawing for text-to-image and
 * upscales (which draw placeholders again), the upscaler for upscales; nothing else.
 */
export function localTaskKeyParts(
  upscaler: LocalUpscaler,
  catalog: CatalogModel | undefined,
): Record<string, unknown> | undefined {
  if (catalog?.kind === 'text-to-image') return { placeholder: PLACEHOLDER_DRAWING };
  if (catalog?.kind === 'upscale') return { ...upscalerKey(upscaler), placeholder: PLACEHOLDER_DRAWING };
  return undefined;
}
