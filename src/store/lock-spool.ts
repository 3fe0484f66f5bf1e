/**
 * A run's lock entries on disk while the run lasts, so that a run of 100,000 paid tasks holds none of
 * them: each entry, as its task finishes, is appended to a spool file in the cache's `tmp/` as one line
 * (its id, a tab, the entry as compact JSON with sorted keys); nothing per entry stays in memory.
 * `writeLock` then reads the spool once to index it (the last line of an id wins, as in a `Map`), sorts
 * the ids and writes the lock — merged with the entries kept from before, each entry read back and
 * indented — with the same bytes as `writeLock` of the lock built in memory (tested). The spool is removed when the lock is written or `discard`ed; a
 * killed run's spool (its pid gone) is removed by the next spool opened in that folder.
 */
import type { LockedTask, LockFileContent } from './lock.js';
import { type SortedEntries, sortedEntry, writeMergedLock } from './lock-stream.js';
import type { KeptTasks } from './lock-tasks.js';
import { openSpoolFile } from './spool-file.js';

/** Where a run puts its lock entries: a `Map` keeps them in memory, a spool on disk. */
export interface LockEntrySink {
  set(id: string, entry: LockedTask): unknown;
}

export interface LockSpool extends LockEntrySink {
  /** Every entry, read back (for a shard's lock part). */
  entries(): Promise<Record<string, LockedTask>>;
  /**
   * Writes `head` (models, deployments, entries in memory) with the entries `kept` from the lock before
   * and this spool's entries (the spool's win over `head.tasks`, which win over `kept`, of the same id)
   * at `path`, atomically, streamed (store/lock-stream.ts); then drops the spool.
   */
  writeLock(path: string, head: LockFileContent, kept?: KeptTasks): Promise<void>;
  /** Drops the spool. */
  discard(): Promise<void>;
}

const READ_BYTES = 1024 * 1024;
/** A line's place packed into one number: offset × 2^20 + length. */
const LENGTH_BITS = 2 ** 20;
export async function openLockSpool(dir: string): Promise<LockSpool> {
  const spool = await openSpoolFile(dir, 'lock');
  /** Where each id's last entry is (the entry after the tab), read through once. */
  const index = async (): Promise<Map<string, number>> => {
    await spool.settle();
    const places = new Map<string, number>();
    const { size } = spool;
    // One buffer, read into again and again (a buffer per read was 2 × the spool's size of native garbage
    // waiting for a GC: 90 MB at 100,000 tasks); the line cut at its end moves to its start.
    let buffer = Buffer.allocUnsafe(READ_BYTES);
    let filled = 0;
    let bufferAt = 0;
    while (bufferAt + filled < size) {
      if (filled === buffer.length) {
        const longer = Buffer.allocUnsafe(buffer.length * 2); // a line longer than the buffer
        buffer.copy(longer, 0, 0, filled);
        buffer = longer;
      }
      const length = Math.min(buffer.length - filled, size - bufferAt - filled);
      await spool.readInto(buffer, filled, bufferAt + filled, length);
      filled += length;
      const view = buffer.subarray(0, filled);
      let start = 0;
      for (let end = view.indexOf(10); end !== -1; end = view.indexOf(10, start)) {
        const tab = view.indexOf(9, start);
        const id = JSON.parse(view.toString('utf8', start, tab)) as string;
        const entryLength = end - tab - 1;
        if (entryLength >= LENGTH_BITS) throw new RangeError(`the lock entry of ${id} is too long`);
        places.set(id, (bufferAt + tab + 1) * LENGTH_BITS + entryLength);
        start = end + 1;
      }
      buffer.copyWithin(0, start, filled);
      bufferAt += start;
      filled -= start;
    }
    return places;
  };
  const read = async (place: number): Promise<string> => {
    const length = place % LENGTH_BITS;
    return (await spool.read((place - length) / LENGTH_BITS, length)).toString('utf8');
  };
  const close = () => spool.close();

  return {
    set(id, entry) {
      spool.append(Buffer.from(`${JSON.stringify(id)}\t${sortedEntry(entry)}\n`, 'utf8'));
    },
    async entries() {
      const all: Record<string, LockedTask> = {};
      for (const [id, place] of await index()) all[id] = JSON.parse(await read(place));
      return all;
    },
    async writeLock(lockPath, head, kept) {
      try {
        const places = await index();
        const ids = [...places.keys()].sort();
        async function* spooled(): SortedEntries {
          for (const id of ids) yield [id, await read(places.get(id) as number)];
        }
        await writeMergedLock(lockPath, head, kept, spooled());
      } finally {
        await close();
      }
    },
    discard: close,
  };
}
