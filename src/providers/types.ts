/**
 * The provider contract. A provider turns one resolved model task into files (or text) in a work folder
 * it is given; it never writes into the output folder and never decides about caching or budgets.
 * Drivers: `local` (offline stand-ins) and `replicate` (the real service through the SDK).
 */
import type { CatalogModel, Pricing } from '../models/catalog.js';

/** A file handed to a model as input (an upstream step's image, or a local file the recipe names). */
export interface InputFile {
  kind: 'file';
  path: string;
  sha256: string;
  bytes: number;
  contentType: string;
}

export function isInputFile(value: unknown): value is InputFile {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'file';
}

/** A file a provider produced, already fully written, hashed and checked. */
export interface ProducedFile {
  path: string;
  sha256: string;
  bytes: number;
  contentType: string;
}

/** Progress a provider reports while a task runs. */
export type ProviderEvent =
  /** A prediction exists for this task: created by this call, or (`resumed`) by an earlier run's create. */
  | { type: 'prediction-created'; predictionId: string; resumed?: boolean }
  /**
   * A prediction of this task ended without handing its result to this call (failed, canceled, aborted,
   * or left behind by a cancelled task), with what it cost from its metrics (null when unknown).
   */
  | {
      type: 'prediction-ended';
      predictionId: string;
      status: 'succeeded' | 'failed' | 'canceled' | 'aborted';
      actualUsd: number | null;
    }
  | { type: 'status'; status: 'starting' | 'booting' | 'processing'; predictionId?: string }
  | { type: 'log'; text: string }
  | { type: 'token'; text: string };

export interface PredictionRequest {
  /** `owner/name` */
  model: string;
  /** Resolved version id; absent for official models (they have none). */
  version?: string;
  /**
   * Run through this deployment (`owner/name`) instead: `model`/`version` are its release's (what the
   * step was checked against); Replicate runs whatever release is current.
   */
  deployment?: string;
  /** Catalog entry when the model is known; the local provider needs it to pick a stand-in. */
  catalog?: CatalogModel;
  /** The price the step was planned with (recipe, published or from history); what the actual cost is computed by. */
  pricing?: Pricing;
  /** Input after schema defaults; file inputs are `InputFile` values. */
  input: Record<string, unknown>;
  /** Where the provider writes the files it produces (a fresh, empty folder per task). */
  workDir: string;
  /** Stable key of this task (used by providers for idempotency and journaling). */
  taskKey: string;
  /** For messages: which recipe step and asset this is. */
  label: { recipe: string; asset: string; step: string };
  signal: AbortSignal;
  onEvent?: (event: ProviderEvent) => void;
  /**
   * Crash recovery, from the runner's journal: attach to this prediction instead of creating one, or —
   * when a create was attempted but its id never recorded — first look for a matching prediction created
   * after `createdAfter` and adopt it. Providers without remote state ignore it.
   */
  resume?: { predictionId?: string; createdAfter?: string };
  /**
   * Called once the prediction has finished on the provider's side, with what it cost, before its outputs
   * are fetched: the runner settles the budget and hands the model slot back here, and the provider waits
   * for the returned promise (a transfer slot) before downloading. Providers without remote work may
   * ignore it (the runner then does the same when `predict` returns).
   */
  onModelDone?: (done: { actualUsd: number | null }) => Promise<void>;
}

export interface PredictionResult {
  provider: string;
  files: ProducedFile[];
  /** Text output of language models. */
  text?: string;
  predictionId?: string;
  /** The version that actually ran, when the provider knows it. */
  version?: string;
  /** What the task cost, from the provider's metrics; 0 for local work; null when unknown. */
  actualUsd: number | null;
  metrics?: Record<string, number>;
}

export interface Provider {
  readonly name: string;
  /** Whether tasks on this provider cost money (decides pools and budget checks). */
  readonly paid: boolean;
  /** Latest version of a community model (run before anything is spent); undefined when not applicable. */
  resolveVersion?(model: string, signal: AbortSignal): Promise<string | undefined>;
  predict(request: PredictionRequest): Promise<PredictionResult>;
  /**
   * What, besides the request, decides this provider's result for a model — e.g. the offline upscaler and
   * its weights' hash. Part of the task key; undefined (the default) leaves the key as it was.
   */
  taskKeyParts?(catalog: CatalogModel | undefined): Readonly<Record<string, unknown>> | undefined;
  /** Cancel everything in flight and release resources. */
  close?(): Promise<void>;
}
