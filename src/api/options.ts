/**
 * Options shared by the library's entry points (validate, plan, run, check, update). Everything the CLI
 * takes from argv or the environment arrives here as a plain value: the library never reads
 * `process.env` or argv, and relative paths resolve against `cwd`.
 */
import { resolve } from 'node:path';
import type { LocalUpscalerName } from '../providers/local/upscaler-types.js';

export type { LocalUpscalerName };

/** What the Replicate provider needs; the CLI fills it from `REPLICATE_*` variables and flags. */
export interface ReplicateOptions {
  /** API token (`REPLICATE_API_TOKEN`). Without one, `provider: 'auto'` runs offline. Never logged. */
  token?: string;
  /** API base URL (`REPLICATE_API_BASE_URL`, `--base-url`); default https://api.replicate.com/v1. */
  baseUrl?: string;
  /** `Prefer: wait` window for creates, in seconds (1-60, default 60). */
  waitSeconds?: number;
  /** Time limit per model step, in seconds; also sent as `Cancel-After`. */
  stepTimeoutSeconds?: number;
  /** Completion by webhook instead of polling. */
  webhook?: {
    /** Public URL that forwards to the local listener. */
    url: string;
    /** Where the listener binds (default 127.0.0.1, port 0 = any free port). */
    host?: string;
    port?: number;
    /** `whsec_…` (`REPLICATE_WEBHOOK_SECRET`); else fetched from the API. */
    secret?: string;
  };
}

/** Limits on what recipes may do, checked while they are loaded (before anything runs). */
export interface RecipeLoadOptions {
  /** Most asset × variant instances per recipe; overrides each recipe's `limits.max_instances` (default 10,000). */
  maxInstances?: number;
  /**
   * Folders besides each recipe's own that overlays and file inputs may be read from (relative to `cwd`).
   * A recipe cannot grant this to itself: only the caller can.
   */
  allowRoots?: readonly string[];
}

/** `RecipeLoadOptions` as `loadRecipes` takes them: folders made absolute. */
export function recipeLoadLimits(
  options: RecipeLoadOptions,
  cwd: string,
): { maxInstances?: number; allowRoots?: string[] } {
  return {
    ...(options.maxInstances === undefined ? {} : { maxInstances: options.maxInstances }),
    ...(options.allowRoots === undefined
      ? {}
      : { allowRoots: options.allowRoots.map((dir) => resolve(cwd, dir)) }),
  };
}

/** Which provider runs model steps: `auto` = Replicate when a token is given, else the offline one. */
export type ProviderName = 'auto' | 'local' | 'replicate';

export interface SessionOptions extends RecipeLoadOptions {
  /** Folder that relative paths (recipes, cache, lock, output) resolve against. Default: `process.cwd()`. */
  cwd?: string;
  /** Default `auto`. */
  provider?: ProviderName;
  /** The result cache. Default `.assetgen/cache`. */
  cacheDir?: string;
  /** The lock file. Default: `assetgen.lock` beside the first recipe. */
  lock?: string;
  /** Budget in USD for the whole run (on top of each recipe's own `budget.max_usd`). */
  maxUsd?: number;
  replicate?: ReplicateOptions;
  /**
   * The offline provider's upscaler: `esrgan` (default; a super-resolution network, when its optional
   * packages are installed — else lanczos with a warning) or `lanczos` (a fast resize). Part of the key.
   */
  localUpscaler?: LocalUpscalerName;
}

export const DEFAULT_CACHE_DIR = '.assetgen/cache';
export const DEFAULT_OUT_DIR = 'output';
