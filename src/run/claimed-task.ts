/**
 * A paid task run under its claim (store/task-claims.ts), so that runs sharing a cache pay for it once:
 * when another live run holds the task, this one waits — holding no slot and reserving no budget — and
 * serves that run's result from the cache; when the claim goes away without a result (that run's task
 * failed or was cancelled) or is stale (a killed run), this run claims it, re-reads the journal for what
 * the other run recorded (its intent or prediction id, re-attached or adopted as after a crash), and runs it.
 */
import { describeHolder } from '../store/claim-record.js';
import type { OwnedClaim } from '../store/task-claims.js';
import type { RunContext, TaskOutcome } from './context.js';
import type { TaskRef } from './events.js';

export async function runClaimed(
  context: RunContext,
  key: string,
  task: TaskRef,
  options: { useCached: boolean },
  run: () => Promise<TaskOutcome>,
): Promise<TaskOutcome> {
  const claims = context.claims;
  if (claims === undefined) return run();
  let owned: OwnedClaim;
  let contended: boolean;
  const first = await claims.claim(key);
  if ('owned' in first) {
    owned = first.owned;
    contended = owned.tookOver !== undefined;
    // Another run may have stored the result between this run's look-up and its claim.
    const late = options.useCached ? await context.cache.get(key) : undefined;
    if (late !== undefined) {
      await owned.release();
      return { record: late, cached: true };
    }
  } else {
    const waited = await claims.wait(key, {
      signal: context.signal,
      result: () => context.cache.get(key),
      onWaiting: (holder) =>
        context.emit({
          type: 'task-progress',
          task,
          status: 'waiting',
          detail: `held by ${describeHolder(holder)}`,
        }),
    });
    if ('result' in waited) return { record: waited.result, cached: true };
    owned = waited.owned;
    contended = true;
  }
  try {
    if (contended) await context.journal?.refresh();
    return await run();
  } finally {
    await owned.release();
  }
}
