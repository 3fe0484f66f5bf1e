/** The runner's typed events; the CLI turns them into progress output, tests assert on them. */

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
      provider: string;
      recipes: number;
      assets: number;
      tasks: number;
      estimatedUsd: number;
    }
  | { type: 'task-queued'; task: TaskRef }
  | { type: 'task-started'; task: TaskRef }
  | { type: 'task-progress'; task: TaskRef; status: string; predictionId?: string }
  | { type: 'task-token'; task: TaskRef; text: string }
  | { type: 'task-finished'; task: TaskRef; cached: boolean; durationMs: number; actualUsd: number | null }
  | { type: 'task-failed'; task: TaskRef; error: string }
  | { type: 'task-skipped'; task: TaskRef; reason: string }
  | { type: 'cost'; spentUsd: number; reservedUsd: number }
  | { type: 'asset-finished'; asset: string; files: number }
  | { type: 'asset-failed'; asset: string; error: string }
  | { type: 'warning'; message: string }
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
