/**
 * A `--frozen` run that the cache probe could not prove complete runs in two passes, so that a failure
 * leaves the output folder as it was: first a verifying pass that writes no output (like `check`) — it
 * runs the local image work and finds any paid task that would have to run — and only when that pass
 * succeeded a second one that restores the outputs from the cache. The caller sees one run: each step's
 * events once (from the first pass), each output and asset once (from the second), one `run-finished`,
 * and a result whose steps say `cache_hit: false` when the first pass made them.
 */
import type { Plan } from '../plan/plan.js';
import type { RunEvent, RunEventListener } from '../run/events.js';
import { type RunOptions, type RunResult, runPlan } from '../run/runner.js';

const isOutputTask = (event: RunEvent): boolean => 'task' in event && event.task.model === 'output';

export const completed = (result: RunResult): boolean =>
  result.failed + result.skipped === 0 && !result.cancelled;

export async function runFrozenInTwoPasses(
  plan: Plan,
  options: RunOptions,
  emit: RunEventListener,
): Promise<RunResult> {
  let verifyEnd: RunEvent | undefined;
  const verdict = await runPlan(plan, {
    ...options,
    writeOutputs: false,
    onEvent: (event) => {
      if (event.type === 'run-finished') verifyEnd = event;
      else if (event.type !== 'asset-finished' && !isOutputTask(event)) emit(event);
    },
  });
  if (!completed(verdict)) {
    if (verifyEnd !== undefined) emit(verifyEnd);
    return verdict;
  }
  const restored = await runPlan(plan, {
    ...options,
    writeOutputs: true,
    onEvent: (event) => {
      if (event.type === 'run-finished') return;
      if ('task' in event && !isOutputTask(event) && event.type !== 'task-failed') return;
      emit(event);
    },
  });
  const result = mergePasses(verdict, restored);
  const { made, cached, failed, skipped, spentUsd, cancelled, durationMs } = result;
  emit({ type: 'run-finished', made, cached, failed, skipped, spentUsd, cancelled, durationMs });
  return result;
}

/** The restoring pass's result, with what the verifying pass made marked as made (not cached). */
function mergePasses(verdict: RunResult, restored: RunResult): RunResult {
  for (const [r, recipe] of restored.recipes.entries()) {
    for (const [a, asset] of recipe.assets.entries()) {
      const earlier = verdict.recipes[r]?.assets[a];
      for (const [s, step] of asset.steps.entries()) {
        const first = earlier?.steps[s];
        if (first === undefined || first.id !== step.id || first.cache_hit) continue;
        step.cache_hit = false;
        step.duration_ms = first.duration_ms;
      }
    }
  }
  const ok = restored.recipes.flatMap((recipe) => recipe.assets).filter((asset) => asset.status === 'ok');
  const cached = ok.filter((asset) => asset.steps.every((step) => step.cache_hit)).length;
  return {
    ...restored,
    made: ok.length - cached,
    cached,
    durationMs: verdict.durationMs + restored.durationMs,
  };
}
