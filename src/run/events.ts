/**
 * The typed events of a run, in the order they happen: `run-started` once (from the library, after the
 * plan and budget check, before any work), then per task `task-queued` (paid tasks waiting for a slot),
 * `task-started`, any `task-progress`/`task-token`, and `task-finished` or `task-failed`/`task-skipped`
 * (`check-failed` when a model step's result fails a quality gate, before its next try)
 * (a task found in the cache: only `task-finished` with `cached: true`); `file-written` per output file
 * put in the output folder; `cost` whenever the spend moves; per asset `asset-finished` or
 * `asset-failed`; `warning` at any time; `stale-outputs` (from the library, once the manifest is
 * written); `run-finished` last. Library callers get them through
 * `onEvent`; the CLI turns them into progress output and, with `--json`, into one JSON line each
 * (schema/events.schema.json). They are a public contract: fields are only ever added, and a change
 * that could mislead a reader of the old shape raises EVENTS_VERSION.
 */
import type { SourceLocation } from '../errors.js';
import type { ManifestOutput } from '../manifest/types.js';

/** The format version of these events (the `v` of every `--json` line). */
export const EVENTS_VERSION = 1;

export interface TaskRef {
  /** `recipe/asset[/variant]` */
  asset: string;
  step: string;
  /** `owner/name` for model steps, `image` for local image steps, `output` for writing outputs. */
  model: string;
}

export type RunEvent =
  | {
      type: 'run-started';
      /** `run`, `frozen` (restore only, never a paid task) or `check` (verify only, writes nothing). */
      mode: 'run' | 'frozen' | 'check';
      provider: string;
      /** Why this provider, in words. */
      reason: string;
      /** Whether the provider costs money (spend and estimate are worth showing). */
      paid: boolean;
      recipes: number;
      /** Asset instances (asset × variant). */
      assets: number;
      /** Steps of every asset (model and image steps). */
      tasks: number;
      /** Output files to write; `tasks + outputFiles` is the number of `task-finished` of a clean run. */
      outputFiles: number;
      /** What the run is expected to spend (cached tasks excluded); null when a price is unknown. */
      estimatedUsd: number | null;
      /** Absolute output folder (the paths in `asset-finished` are relative to it). */
      outDir: string;
      /** What the plan costs on Replicate (its results in the cache excluded), also when running offline. */
      replicateUsd: number | null;
    }
  | { type: 'task-queued'; task: TaskRef }
  | { type: 'task-started'; task: TaskRef }
  | {
      type: 'task-progress';
      task: TaskRef;
      /** The prediction's status, or `waiting` (another run sharing the cache runs this task). */
      status: string;
      predictionId?: string;
      /** Why, in words (`waiting`: which run holds the task). */
      detail?: string;
    }
  | { type: 'task-token'; task: TaskRef; text: string }
  | {
      type: 'task-finished';
      task: TaskRef;
      cached: boolean;
      durationMs: number;
      actualUsd: number | null;
      /** The text a language-model step produced (when it ran, not when it came from the cache). */
      text?: string;
    }
  | { type: 'task-failed'; task: TaskRef; error: string }
  /** A model step's result failed a quality gate (run/checked-model-step.ts); `retrying`: another try follows. */
  | {
      type: 'check-failed';
      task: TaskRef;
      gate: 'blank' | 'alpha' | 'size' | 'text';
      reason: string;
      /** Which try this was (1-based), of how many the step may have. */
      attempt: number;
      attempts: number;
      retrying: boolean;
      /** The failed result came from the cache (an earlier run's). */
      cached: boolean;
    }
  | { type: 'task-skipped'; task: TaskRef; reason: string }
  | { type: 'cost'; spentUsd: number; reservedUsd: number }
  | {
      type: 'file-written';
      asset: string;
      /** Relative to the output folder. */
      path: string;
      format: string;
      width: number;
      height: number;
      bytes: number;
      sha256: string;
      /** The file already had exactly these bytes and was left alone. */
      unchanged: boolean;
    }
  | { type: 'asset-finished'; asset: string; files: number; outputs: readonly ManifestOutput[] }
  /** `tasks`: how many tasks (steps and output files) the asset had in all; those not finished will not come. */
  | {
      type: 'asset-failed';
      asset: string;
      error: string;
      tasks: number;
      /** Where the asset is declared in its recipe (added by the library, not the runner). */
      location?: SourceLocation;
    }
  | { type: 'warning'; message: string; location?: SourceLocation }
  /** After the manifest is written: files assetgen wrote into the output folder that it no longer lists. */
  | {
      type: 'stale-outputs';
      /** The output folder (absolute, real path); the paths are relative to it. */
      outDir: string;
      /** What `--prune` removes (sorted); with `pruned`, what it removed. */
      stale: readonly string[];
      pruned: boolean;
      /** Empty folders assetgen had created that went with them. */
      removedFolders: readonly string[];
      /** Not in the manifest but left alone: `changed` (someone replaced it), `unfinished`, `failed` (to remove). */
      kept: readonly { path: string; reason: 'changed' | 'unfinished' | 'failed'; detail: string }[];
    }
  | {
      type: 'run-finished';
      made: number;
      cached: number;
      failed: number;
      skipped: number;
      spentUsd: number;
      durationMs: number;
      cancelled: boolean;
    };

export type RunEventListener = (event: RunEvent) => void;
