/**
 * A lock written as a sorted merge of its entries, streamed, with the same bytes as `lockText` of the
 * lock built in memory (tested): the entries kept from the lock before (read from it in sorted order),
 * the entries in memory, and the newest (a run's spool, store/lock-spool.ts) — on equal ids the later
 * wins. No source is held whole: each entry is written as it comes.
 */
import { canonicalJson } from './hash.js';
import { type LockedTask, type LockFileContent, lockedVersion, lockText } from './lock.js';
import type { KeptTasks } from './lock-tasks.js';
import { writeFileStreamed } from './streamed-write.js';
import { writeFailure } from './write-errors.js';

/** Entries by id in sorted order, each as its sorted compact JSON (`sortedEntry`). */
export type SortedEntries = AsyncIterable<readonly [id: string, sorted: string]>;

const TASK_INDENT = '\n    ';

/** One task entry as the lock holds it: keys sorted, versions only version ids. */
export function sortedEntry(entry: LockedTask): string {
  return canonicalJson({ ...entry, version: lockedVersion(entry.version) });
}

/** A sorted entry at the indent of `tasks`' members. */
const indented = (sorted: string): string =>
  JSON.stringify(JSON.parse(sorted), null, 2).replaceAll('\n', TASK_INDENT);

async function* keptEntries(kept: KeptTasks): SortedEntries {
  for await (const [id, entry] of kept.tasks.entries()) if (kept.keep(id)) yield [id, sortedEntry(entry)];
}

async function* recordEntries(tasks: Readonly<Record<string, LockedTask>>): SortedEntries {
  for (const id of Object.keys(tasks).sort()) yield [id, sortedEntry(tasks[id] as LockedTask)];
}

/** The entries of `layers` merged by id, sorted; on equal ids the entry of the later layer. */
async function* merged(layers: readonly SortedEntries[]): SortedEntries {
  const iterators = layers.map((layer) => layer[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
  for (;;) {
    let id: string | undefined;
    for (const head of heads) if (!head.done && (id === undefined || head.value[0] < id)) id = head.value[0];
    if (id === undefined) return;
    let sorted = '';
    for (const [i, head] of heads.entries()) {
      if (head.done || head.value[0] !== id) continue;
      sorted = head.value[1];
      heads[i] = await (iterators[i] as AsyncIterator<readonly [string, string]>).next();
    }
    yield [id, sorted];
  }
}

/**
 * Writes at `path`, atomically, `head`'s pins and deployments with the entries kept from before, then
 * `head.tasks`, then `newest` (later wins on equal ids).
 */
export async function writeMergedLock(
  path: string,
  head: LockFileContent,
  kept: KeptTasks | undefined,
  newest?: SortedEntries,
): Promise<void> {
  // `tasks` sorts last: the head's text ends with its (empty) tasks, which the entries replace.
  const text = lockText({ ...head, tasks: {} });
  const tail = '{}\n}\n';
  if (!text.endsWith(`"tasks": ${tail}`)) throw new Error('unexpected lock layout');
  const layers = [
    ...(kept === undefined ? [] : [keptEntries(kept)]),
    recordEntries(head.tasks),
    ...(newest === undefined ? [] : [newest]),
  ];
  await writeFileStreamed(path, async (write) => {
    await write(text.slice(0, -tail.length));
    let first = true;
    for await (const [id, sorted] of merged(layers)) {
      await write(`${first ? '{' : ','}${TASK_INDENT}${JSON.stringify(id)}: `);
      await write(indented(sorted));
      first = false;
    }
    await write(first ? tail : '\n  }\n}\n');
  }).catch((error: unknown) => {
    throw writeFailure(error, { path, doing: 'write the lock file', place: 'lock' });
  });
}
