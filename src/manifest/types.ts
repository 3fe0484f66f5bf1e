/**
 * The manifest's shape (schema/manifest.schema.json describes the same document for other tools). It
 * stands on its own: nothing here refers to the runner. `manifest_version` changes only when a reader
 * of the previous version could misread a new manifest; adding optional fields does not change it.
 */

/**
 * The format version this assetgen writes (and the newest it reads). 2 added which provider made each
 * recipe and the `placeholder` marks; a version 1 manifest reads as 2, with both derived from its steps.
 */
export const MANIFEST_VERSION = 2;

/** Which provider made a recipe's entry; `offline`: its model steps ran on the offline stand-ins. */
export interface ManifestProvider {
  /** `local` or `replicate`; at the manifest's top `mixed` when its recipes were made by different ones. */
  name: string;
  offline: boolean;
}

export interface ManifestFileInput {
  step: string;
  sha256: string;
}

/** A file a step produced, stored in the cache by content (`<cache>/objects/ab/abcd…`). */
export interface ManifestStepFile {
  sha256: string;
  bytes: number;
  content_type: string;
}

export interface ManifestModelStep {
  id: string;
  kind: 'model';
  provider: string;
  model: string;
  version: string | null;
  /** The deployment (`owner/name`) it ran through; `model`/`version` are its release's. Absent otherwise. */
  deployment?: string;
  input: Record<string, unknown>;
  seed: number | null;
  prediction_id: string | null;
  /**
   * `created`: this run created the prediction; `resumed`: an earlier, interrupted run created it and this
   * run re-attached to it (its cost is counted in this run's spend); null for cache hits and local work.
   * Absent in manifests written before assetgen recorded it.
   */
  prediction_origin?: 'created' | 'resumed' | null;
  estimated_usd: number | null;
  actual_usd: number | null;
  cache_hit: boolean;
  duration_ms: number;
  /** What the step produced (absent in manifests written before assetgen recorded it). */
  files?: ManifestStepFile[];
  text?: string;
  /**
   * Every try, in order, when a quality gate failed (absent when the first try passed): the step's own
   * fields describe the last one. The step cost the sum of the tries' `actual_usd`.
   */
  tries?: ManifestTry[];
}

/** One try of a model step under its quality gates. */
export interface ManifestTry {
  seed: number | null;
  prediction_id: string | null;
  /** What this try cost this run (0 when its result came from the cache). */
  actual_usd: number | null;
  cache_hit: boolean;
  /** The gate this try's result failed, or null when it passed. */
  check: { gate: 'blank' | 'alpha' | 'size' | 'text'; reason: string } | null;
}

export interface ManifestImageStep {
  id: string;
  kind: 'image';
  provider: 'local';
  operations: unknown[];
  cache_hit: boolean;
  duration_ms: number;
  files?: ManifestStepFile[];
}

export type ManifestStep = ManifestModelStep | ManifestImageStep;

export interface ManifestOutput {
  path: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  /** Made from an offline stand-in's picture (provider `local`), not from the real model. */
  placeholder: boolean;
  /** The file's ThumbHash, base64 (absent in manifests written before assetgen made it). */
  thumbhash?: string;
  /** A tiny webp of the file (at most 16 pixels a side) as a `data:` URI; absent like `thumbhash`. */
  lqip?: string;
  /** Present when the file carries a C2PA manifest assetgen signed: the signer certificate's CN. */
  c2pa?: { signer: string };
}

/**
 * The files of one image of one recipe output (`outputs[output]`, image number `image`): the same picture
 * in each of the output's widths, one format. `srcset` lists them (paths as in `outputs`, URL-escaped,
 * with `w` descriptors), narrowest first; `paths` in the same order.
 */
export interface ManifestOutputGroup {
  output: number;
  image: number;
  format: string;
  paths: string[];
  srcset: string;
}

export interface ManifestAsset {
  id: string;
  variant: Record<string, string | number | boolean>;
  variables: Record<string, string | number | boolean>;
  status: 'ok' | 'failed' | 'skipped' | 'cancelled';
  error?: string;
  /** Some model step of this asset ran on an offline stand-in: its outputs are placeholders. */
  placeholder: boolean;
  /** The recipe's `alt:` rendered for this asset (after its text steps ran); absent without one. */
  alt?: string;
  steps: ManifestStep[];
  outputs: ManifestOutput[];
  /** The outputs as srcset groups (absent in manifests written before assetgen made them). */
  groups?: ManifestOutputGroup[];
}

export interface ManifestRecipe {
  source: string;
  output: string;
  provider: ManifestProvider;
  /** The recipe's profile this entry was made with (`--profile`); absent: the recipe as written. */
  profile?: string;
  assets: ManifestAsset[];
}

export interface Manifest {
  $schema: string;
  /** The format version (see MANIFEST_VERSION); manifests written before it existed read as 1. */
  manifest_version: typeof MANIFEST_VERSION;
  generator: { name: 'assetgen'; version: string };
  /** Over all recipes: their provider (`mixed` when they differ); `offline` when any made placeholders. */
  provider: ManifestProvider;
  /** How many output files are placeholders (0: nothing offline shipped). */
  placeholders: number;
  recipes: Record<string, ManifestRecipe>;
  /** Only in a shard's part (`manifest.shard-i-of-n.json`): what `assetgen merge` needs. */
  shard?: ManifestShard;
}

/** A shard part's own record: which shard, and where its assets go in the whole recipes. */
export interface ManifestShard {
  /** 1-based. */
  index: number;
  count: number;
  /** The run's provider (for recipes none of whose model steps ran). */
  provider: ManifestProvider;
  /** The lock its lock part merges into, relative to the folder assetgen ran in; null: no lock part. */
  lock: string | null;
  recipes: Record<string, ManifestShardRecipe>;
}

export interface ManifestShardRecipe {
  /** sha256 of the recipe file's text. */
  sha256: string;
  /** Assets of the whole recipe. */
  assets: number;
  /** Each of the part's assets' place in the whole recipe, in order. */
  positions: number[];
}
