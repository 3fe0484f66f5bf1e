/**
 * A task run under its claim (store/task-claims.ts), so that runs sharing a cache run it once: when another
 * live run holds the task, this one waits — holding no slot and reserving no budget — and serves that run's
 * result from the cache; when the claim goes away without a result (that run's task failed or was
 * cancelled) or is stale (a killed run), this run claims it and runs it. A paid task then first learns what
 * the other run recorded — its intent or prediction id, from the shared journal when the runs share a
 * folder (re-read), or from the claim itself (a remote store) — and re-attaches or adopts as after a crash.
 */
import { describeHolder } from '../store/claim-record.js';
import type { JournalEntry, JournalState } from '../store/journal.js';
import type { OwnedClaim } from '../store/task-claims.js';
import type { RunContext, TaskOutcome } from './context.js';
import type { TaskRef } from './events.js';

/** What the journal (this run's, and the claim's) knows about one task, and where its lines go. */
export interface TaskJournal {
  lookup(): JournalState | undefined;
  /** Appends to the run's journal and notes it in the claim; resolves when both hold it. */
  append(entry: JournalEntry): Promise<void>;
}

/** Of two journal states, the later attempt's (by its intent). */
function latest(a: JournalState | undefined, b: JournalState | undefined): JournalState | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (b.intentAt ?? '') > (a.intentAt ?? '') ? b : a;
}

function taskJournal(
  context: RunContext,
  key: string,
  claim: OwnedClaim | undefined,
): TaskJournal | undefined {
  const journal = context.journal;
  if (journal === undefined) return undefined;
  return {
    lookup: () => latest(journal.lookup(key), claim?.tookOver?.journal),
    async append(entry) {
      await Promise.all([journal.append(entry), claim?.note(entry)]);
    },
  };
}

export async function runClaimed(
  context: RunContext,
  key: string,
  task: TaskRef,
  options: { useCached: boolean },
  run: (journal: TaskJournal | undefined) => Promise<TaskOutcome>,
): Promise<TaskOutcome> {
  const claims = context.claims;
  if (claims === undefined) return run(taskJournal(context, key, undefined));
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
    return await run(taskJournal(context, key, owned));
  } finally {
    await owned.release();
  }
}
