/**
 * Options shared by the library's entry points (validate, plan, run, check, update, models add).
 * Everything the CLI takes from argv or the environment arrives here as a plain value: the library never
 * reads `process.env` or argv, and relative paths resolve against `cwd`.
 */
import { resolve } from 'node:path';
import type { LocalUpscalerName } from '../providers/local/upscaler-types.js';

export type { LocalUpscalerName };

import type { S3ConnectionOptions } from '../store/open-store.js';
import type { Store } from '../store/store.js';

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
  /**
   * Most prediction creates per minute (`--rate`); default the account's limit (600), for a shard that
   * ÷ the shard count. The limiter also follows what Replicate reports (ratelimit headers, 429s).
   */
  createsPerMinute?: number;
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
  /**
   * The recipes' profile to apply (`profiles:`, e.g. `draft`); every recipe must declare it. Outputs go
   * to `<out>/<profile>/` with their own manifest; lock entries and manifest entries say the profile.
   */
  profile?: string;
}

/** `RecipeLoadOptions` as `loadRecipes` takes them: folders made absolute. */
export function recipeLoadLimits(
  options: RecipeLoadOptions,
  cwd: string,
): { maxInstances?: number; allowRoots?: string[]; profile?: string } {
  return {
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.maxInstances === undefined ? {} : { maxInstances: options.maxInstances }),
    ...(options.allowRoots === undefined
      ? {}
      : { allowRoots: options.allowRoots.map((dir) => resolve(cwd, dir)) }),
  };
}

/** Which provider runs model steps: `auto` = Replicate when a token is given, else the offline one. */
export type ProviderName = 'auto' | 'local' | 'replicate';

/** The shared cache behind the cache folder (validate, plan, run, check, update, models add, dev). */
export interface CacheOptions {
  /**
   * A cache shared between machines behind `cacheDir`: `s3://bucket/prefix` (AWS S3, R2, MinIO), or a
   * store driver (src/store/store.ts). Results, task claims (they keep runners from running a task twice)
   * and fetched model schemas are read from it and written to it.
   */
  cache?: string | Store;
  /** How to reach an `s3://` cache (region, endpoint, credentials). */
  s3?: S3ConnectionOptions;
}

export interface SessionOptions extends RecipeLoadOptions, CacheOptions {
  /** Folder that relative paths (recipes, cache, lock, output) resolve against. Default: `process.cwd()`. */
  cwd?: string;
  /** Default `auto`. */
  provider?: ProviderName;
  /** The result cache. Default `.assetgen/cache`. With `cache`, the local layer in front of it. */
  cacheDir?: string;
  /** The lock file. Default: `assetgen.lock` beside the first recipe. */
  lock?: string;
  /** Budget in USD for the whole run (on top of each recipe's own `budget.max_usd`). */
  maxUsd?: number;
  replicate?: ReplicateOptions;
  /**
   * Only this shard's assets (1-based, `{ index: 2, count: 4 }` = `--shard 2/4`; plan/shard.ts): each
   * recipe's budget is its `budget.max_usd` ÷ count, unless `maxUsd` is given — then that is the shard's
   * budget and the recipes' budgets hold whole. A run writes its manifest and lock parts for `mergeShards`.
   */
  shard?: { index: number; count: number };
  /**
   * The offline provider's upscaler: `esrgan` (default; a super-resolution network, when its optional
   * packages are installed — else lanczos with a warning) or `lanczos` (a fast resize). Part of the key.
   */
  localUpscaler?: LocalUpscalerName;
}

/** Replicate's default create limit per account, per minute. */
export const REPLICATE_CREATES_PER_MINUTE = 600;

export const DEFAULT_CACHE_DIR = '.assetgen/cache';
export const DEFAULT_OUT_DIR = 'output';
