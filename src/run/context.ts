/** What every task of one run shares. Created per run by `runPlan`; nothing here outlives the run. */

import type { C2paSigner } from '../c2pa/signer.js';
import type { InputFile, Provider } from '../providers/types.js';
import type { Cache, TaskRecord } from '../store/cache.js';
import type { Journal } from '../store/journal.js';
import type { LockEntrySink } from '../store/lock-spool.js';
import type { LockView } from '../store/lock-tasks.js';
import type { OutputFolder } from '../store/output-folder.js';
import type { TaskClaims } from '../store/task-claims.js';
import type { Budget } from './budget.js';
import type { RunEventListener, TaskRef } from './events.js';
import type { PixelMemo } from './pixel-memo.js';
import type { Pools } from './pools.js';
import type { PredictionOrigin, SpendLedger } from './spend.js';

export interface RunContext {
  provider: Provider;
  cache: Cache;
  pools: Pools;
  /** The run's budget (spent and reserved across all recipes). */
  budget: Budget;
  /** The budget a task of this recipe reserves from: the recipe's own limit nested in the run's. */
  budgetFor(recipe: string): Budget;
  /** What the run's predictions cost, by whether this run created them or resumed an earlier run's. */
  spend: SpendLedger;
  signal: AbortSignal;
  emit: RunEventListener;
  /** Absolute output directory. */
  outDir: string;
  /** Writes into the output directory, never through a link out of it. */
  outputs: OutputFolder;
  imageLibrary: string;
  /** Re-run this asset's tasks despite the cache. */
  force(assetKey: string): boolean;
  /** Identical tasks inside one run share one promise while it runs. */
  inflight: Map<string, Promise<TaskOutcome>>;
  /**
   * With `--force`: keys of tasks this run finished, so that a later identical task reads their fresh
   * result from the cache instead of running again. Absent without `--force` (nothing to remember).
   */
  finished?: Set<string>;
  /** Pixels of this run's image-step results, for encoding outputs without a decode. */
  pixels: PixelMemo;
  /** Local files named as model inputs, read once per run, by absolute path (local-inputs.ts). */
  localInputs: ReadonlyMap<string, InputFile>;
  /** Resolved versions of community models given without one. */
  versions: ReadonlyMap<string, string | undefined>;
  /** Crash-safe record of paid creates (absent for free providers). */
  journal?: Journal;
  /** Claims on paid tasks, shared with other runs on the same cache (absent for free providers). */
  claims?: TaskClaims;
  /** Local tasks are claimed too (a store shared between machines): no task is computed twice. */
  claimLocal: boolean;
  /** `--frozen`: no paid task may start; a miss fails its asset with the reason. */
  frozen: boolean;
  /** Look-up only (plan, budget check): nothing runs; the first cache miss ends the asset's chain. */
  probe: boolean;
  /** Copy output files into the output directory (off for probes and `check`). */
  writeOutputs: boolean;
  /** Signs each output file with a C2PA manifest as it is put in place (opt-in: `RunOptions.c2pa`). */
  c2pa?: C2paSigner;
  /** The lock as it was before the run (for pins and frozen reasons). */
  lock: LockView;
  /** Lock entries of this run's model tasks, by `recipe/asset[/variant]#step`. */
  lockEntries: LockEntrySink;
  /** Set once the run knows it cannot write its results: from then on no task starts. */
  stop: StopSwitch;
}

export interface StopSwitch {
  /** Why the run stopped starting work (a WriteError's one line), or undefined. */
  readonly reason: string | undefined;
  /** Stops starting work; returns false when it had already stopped. */
  stop(reason: string): boolean;
}

export function createStopSwitch(): StopSwitch {
  let reason: string | undefined;
  return {
    get reason() {
      return reason;
    },
    stop(why) {
      if (reason !== undefined) return false;
      reason = why;
      return true;
    },
  };
}

export interface TaskOutcome {
  record: TaskRecord;
  cached: boolean;
  /** For a result from a prediction: whether this run created it or resumed an earlier run's. */
  origin?: PredictionOrigin;
}

/**
 * Runs `work` once per key within the run: callers with the same key while it runs share its outcome, and
 * once it has finished the key is only remembered (`finished`, with `--force`), so that a run holds no result records
 * beyond the tasks in flight; a later caller finds the result in the cache.
 */
export function once(
  context: RunContext,
  key: string,
  work: () => Promise<TaskOutcome>,
): Promise<TaskOutcome> {
  const existing = context.inflight.get(key);
  if (existing !== undefined) return existing.then((outcome) => ({ ...outcome, cached: true }));
  const promise = work();
  context.inflight.set(key, promise);
  promise.then(
    () => {
      context.inflight.delete(key);
      context.finished?.add(key);
    },
    () => context.inflight.delete(key),
  );
  return promise;
}

/** A probe reached a task whose result is not cached. */
export class ProbeMissError extends Error {}

export class SkippedError extends Error {
  constructor(
    readonly task: TaskRef,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** A task not started because the run stopped (`StopSwitch`): said once for the run, not per task. */
export class NotStartedError extends SkippedError {
  constructor(task: TaskRef, stopReason: string) {
    super(task, `not started: ${stopReason}`);
  }
}
