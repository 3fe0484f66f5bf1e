/**
 * A `--frozen` run that the cache probe could not prove complete runs in two passes, so that a failure
 * leaves the output folder as it was: first a verifying pass that writes no output (like `check`) — it
 * runs the local image work and finds any paid task that would have to run — and only when that pass
 * succeeded a second one that restores the outputs from the cache. The caller sees one run: each step's
 * events once (from the first pass), each output and asset once (from the second), one `run-finished`,
 * and entries whose steps say `cache_hit: false` when the first pass made them.
 *
 * Neither pass keeps the assets' entries: the first remembers only the steps it made (and the entries of
 * assets that did not finish, for the report), the second streams each entry to `onAsset` as it comes.
 */
import type { ManifestAsset } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import type { RunEvent, RunEventListener } from '../run/events.js';
import { type RunOptions, type RunResult, runPlan } from '../run/runner.js';

type AssetSink = NonNullable<RunOptions['onAsset']>;

const isOutputTask = (event: RunEvent): boolean => 'task' in event && event.task.model === 'output';

export const completed = (result: RunResult): boolean =>
  result.failed + result.skipped === 0 && !result.cancelled;

/** Where a step sits in the plan, and its id: a step the verifying pass made is found again by it. */
const stepKey = (recipeIndex: number, position: number, stepIndex: number, id: string): string =>
  `${recipeIndex}:${position}:${stepIndex}:${id}`;

export async function runFrozenInTwoPasses(
  plan: Plan,
  options: RunOptions,
  emit: RunEventListener,
  onAsset: AssetSink,
): Promise<RunResult> {
  let verifyEnd: RunEvent | undefined;
  /** The steps the verifying pass made (not cache hits): their duration, by stepKey. */
  const madeSteps = new Map<string, number>();
  /** The verifying pass's assets that did not finish: handed on when that pass fails. */
  const unfinished: [number, number, ManifestAsset][] = [];
  const verdict = await runPlan(plan, {
    ...options,
    writeOutputs: false,
    onEvent: (event) => {
      if (event.type === 'run-finished') verifyEnd = event;
      else if (event.type !== 'asset-finished' && !isOutputTask(event)) emit(event);
    },
    onAsset: (recipeIndex, position, entry) => {
      if (entry.status !== 'ok') unfinished.push([recipeIndex, position, entry]);
      for (const [s, step] of entry.steps.entries())
        if (!step.cache_hit) madeSteps.set(stepKey(recipeIndex, position, s, step.id), step.duration_ms);
    },
  });
  if (!completed(verdict)) {
    for (const [recipeIndex, position, entry] of unfinished) await onAsset(recipeIndex, position, entry);
    if (verifyEnd !== undefined) emit(verifyEnd);
    return verdict;
  }
  unfinished.length = 0;
  const counts = { made: 0, cached: 0 };
  const restored = await runPlan(plan, {
    ...options,
    writeOutputs: true,
    onEvent: (event) => {
      if (event.type === 'run-finished') return;
      if ('task' in event && !isOutputTask(event) && event.type !== 'task-failed') return;
      emit(event);
    },
    onAsset: (recipeIndex, position, entry) => {
      markMadeSteps(entry, recipeIndex, position, madeSteps);
      if (entry.status === 'ok') {
        if (entry.steps.every((step) => step.cache_hit)) counts.cached++;
        else counts.made++;
      }
      return onAsset(recipeIndex, position, entry);
    },
  });
  const result: RunResult = { ...restored, ...counts, durationMs: verdict.durationMs + restored.durationMs };
  const { made, cached, failed, skipped, spentUsd, cancelled, durationMs } = result;
  emit({ type: 'run-finished', made, cached, failed, skipped, spentUsd, cancelled, durationMs });
  return result;
}

/** The restoring pass's entry, with the steps the verifying pass made marked as made (not cached). */
function markMadeSteps(
  entry: ManifestAsset,
  recipeIndex: number,
  position: number,
  madeSteps: ReadonlyMap<string, number>,
): void {
  for (const [s, step] of entry.steps.entries()) {
    if (!step.cache_hit) continue;
    const duration = madeSteps.get(stepKey(recipeIndex, position, s, step.id));
    if (duration === undefined) continue;
    step.cache_hit = false;
    step.duration_ms = duration;
  }
}
