/**
 * The manifest's shape (schema/manifest.schema.json describes the same document for other tools). It
 * stands on its own: nothing here refers to the runner. `manifest_version` changes only when a reader
 * of the previous version could misread a new manifest; adding optional fields does not change it.
 */

/** The format version this assetgen writes (and the newest it reads). */
export const MANIFEST_VERSION = 1;

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
  input: Record<string, unknown>;
  seed: number | null;
  prediction_id: string | null;
  estimated_usd: number | null;
  actual_usd: number | null;
  cache_hit: boolean;
  duration_ms: number;
  /** What the step produced (absent in manifests written before assetgen recorded it). */
  files?: ManifestStepFile[];
  text?: string;
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
}

export interface ManifestAsset {
  id: string;
  variant: Record<string, string | number | boolean>;
  variables: Record<string, string | number | boolean>;
  status: 'ok' | 'failed' | 'skipped' | 'cancelled';
  error?: string;
  steps: ManifestStep[];
  outputs: ManifestOutput[];
}

export interface ManifestRecipe {
  source: string;
  output: string;
  assets: ManifestAsset[];
}

export interface Manifest {
  $schema: string;
  /** The format version (see MANIFEST_VERSION); manifests written before it existed read as 1. */
  manifest_version: typeof MANIFEST_VERSION;
  generator: { name: 'assetgen'; version: string };
  recipes: Record<string, ManifestRecipe>;
}
