/** The change report's data: what differs between two output folders, read from their manifests only. */
import type { ManifestAsset, ManifestOutput } from '../manifest/types.js';

export type AssetChange = 'changed' | 'added' | 'removed' | 'unchanged';

/** Why an asset changed, from the manifests' step records (first causes; their consequences are left out). */
export type ReasonKind =
  | 'status' // ok ↔ failed, or a different failure
  | 'steps' // a step added, removed, reordered or of another kind
  | 'provider' // e.g. the offline stand-in ↔ Replicate
  | 'model' // another model
  | 'model-version' // the same model at another version
  | 'prompt' // a prompt or negative prompt
  | 'seed'
  | 'model-input' // any other model input
  | 'upstream-result' // a step returned a different result for the same request
  | 'post-processing' // an image step's operations
  | 'outputs' // output files added, removed, or another format or size
  | 'pixels'; // the files differ although every recorded step is the same

export interface ChangeReason {
  kind: ReasonKind;
  /** The step it concerns, when it concerns one. */
  step?: string;
  /** One line, e.g. `scale 2 → 4`. */
  detail: string;
  /** Full values where the one line shortens them (prompts). */
  before?: string;
  after?: string;
}

export type OutputFileChange = 'added' | 'removed' | 'changed' | 'unchanged';

export interface OutputDiff {
  path: string;
  change: OutputFileChange;
  before?: ManifestOutput;
  after?: ManifestOutput;
}

export interface AssetDiff {
  /** `recipe/id` or `recipe/id/variant`, as in the run's progress lines. */
  label: string;
  recipe: string;
  id: string;
  /** The variant label (`seed-42`), `''` without variants. */
  variant: string;
  change: AssetChange;
  reasons: ChangeReason[];
  outputs: OutputDiff[];
  before?: ManifestAsset;
  after?: ManifestAsset;
}

/** What the runs that wrote the head manifest spent (model steps that were not cache hits). */
export interface HeadCost {
  spentUsd: number;
  /** Paid model steps that ran (not cache hits) with a known cost. */
  paidSteps: number;
  /** … of which the cost is unknown (`actual_usd: null`). */
  unknownCostSteps: number;
  /** Model steps the offline stand-ins made (placeholders; no cost). */
  offlineSteps: number;
  cachedSteps: number;
}

export interface ChangeCounts {
  changed: number;
  added: number;
  removed: number;
  unchanged: number;
}

export interface ManifestDiff {
  /** Changed, added, removed, then unchanged; inside each, by recipe name and manifest order. */
  assets: AssetDiff[];
  counts: ChangeCounts;
  cost: HeadCost;
  generators: { base: string; head: string };
}

/** A small picture written beside the report, by its relative path. */
export interface ReportImage {
  file: string;
  width: number;
  height: number;
}

/** What the report shows for one asset's pictures. */
export interface AssetVisual {
  before?: ReportImage;
  after?: ReportImage;
  /** The difference picture (changed assets whose files differ). */
  diff?: ReportImage;
  /** Share of differing pixels, 0–1 (changed and unchanged assets that could be compared). */
  score?: number;
  /** The output files that were compared (paths inside their folders). */
  beforePath?: string;
  afterPath?: string;
  /** What could not be shown, or what to know about the comparison. */
  notes: string[];
}
