/**
 * The lock before a run, read as an index of its tasks instead of parsed whole (100,000 tasks are a
 * 52 MB file): the file is scanned once (store/json-scan.ts) — `models` and `deployments` kept, parsed;
 * each task entry checked as JSON and dropped, only its byte place kept (in typed arrays) and a 63-bit
 * hash of its id (hashed-string-set.ts's) in an open-addressing table, about 30 bytes a task and no
 * string. `get` reads the entry back from the file (held open: a new lock renamed over the path does not
 * change what it reads) and compares its id, so a hit is exact. `entries` reads them in file order —
 * sorted, as assetgen writes locks (a lock edited out of order is sorted once, by reading its ids) — in
 * batches. A lock that is missing, unreadable or not JSON reads as empty, as `readLock` reads it.
 */
import { readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { hashInto } from '../hashed-string-set.js';
import { scanJson } from './json-scan.js';
import { emptyLock, headWithVersionIds, type LockedTask, type LockFileContent, lockedTask } from './lock.js';
import { type LockTasks, lockView, type OpenLock } from './lock-tasks.js';

const FIRST_CAPACITY = 1024;
/** Bytes read at once when walking the entries. */
const BATCH_BYTES = 1024 * 1024;

/** Where each task entry is, growing as the scan finds them: entry i is `"id": {…}` at [start, start + length). */
interface Places {
  starts: Float64Array;
  lengths: Uint32Array;
  /** The two lanes of each id's hash. */
  hashes: Uint32Array;
  /** Open addressing, at most half full: entry index + 1, 0 for an empty slot. */
  slots: Uint32Array;
  size: number;
}

export async function openLock(path: string): Promise<OpenLock> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return lockView(emptyLock());
  }
  try {
    const opened = await indexLock(handle);
    if (opened !== undefined) return opened;
  } catch {
    // unreadable (a folder, an I/O error): empty, as readLock reads it
  }
  await handle.close();
  return lockView(emptyLock());
}

async function indexLock(handle: FileHandle): Promise<OpenLock | undefined> {
  const places: Places = {
    starts: new Float64Array(FIRST_CAPACITY),
    lengths: new Uint32Array(FIRST_CAPACITY),
    hashes: new Uint32Array(FIRST_CAPACITY * 2),
    slots: new Uint32Array(FIRST_CAPACITY * 2),
    size: 0,
  };
  const hash = new Uint32Array(2);
  const readEntry = entryReader(handle, places);
  let previous: string | undefined;
  let sorted = true;
  const scan = await scanJson(handle, {
    capture: (name) => name === 'models' || name === 'deployments',
    members: {
      of: 'tasks',
      // Parsed only to check it is JSON (as readLock would find out), then dropped.
      capture: () => true,
      onMember: ({ name, keyStart, end }) => {
        if (previous !== undefined && !(previous < name)) sorted = false;
        previous = name;
        hashInto(name, hash);
        const found = find(places, hash, (i) => readEntry(i)[0] === name);
        // The same id twice: the last entry wins, as in JSON.parse.
        const at = found ?? add(places, hash);
        places.starts[at] = keyStart;
        places.lengths[at] = end - keyStart;
      },
    },
  });
  if (scan === undefined) return undefined;
  // What the scan left spare is given back: a lock of 100,000 tasks keeps about 3 MB.
  places.starts = places.starts.slice(0, places.size);
  places.lengths = places.lengths.slice(0, places.size);
  places.hashes = places.hashes.slice(0, 2 * places.size);
  const content = headWithVersionIds(scan.top as Partial<LockFileContent>);
  const order = sorted ? undefined : sortedOrder(places, readEntry);
  const tasks = indexedTasks(handle, places, order, readEntry);
  let closed = false;
  return {
    ...content,
    tasks,
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

/** The entry whose hash is `hash` and which `matches`, else undefined. */
function find(places: Places, hash: Uint32Array, matches: (entry: number) => boolean): number | undefined {
  const { slots, hashes } = places;
  const [first, second] = [hash[0] ?? 0, hash[1] ?? 0];
  const mask = slots.length - 1;
  for (let at = (first ^ second) & mask; ; at = (at + 1) & mask) {
    const slot = slots[at] ?? 0;
    if (slot === 0) return undefined;
    const entry = slot - 1;
    if (hashes[2 * entry] === first && hashes[2 * entry + 1] === second && matches(entry)) return entry;
  }
}

function place(slots: Uint32Array, hashes: Uint32Array, entry: number): void {
  const mask = slots.length - 1;
  let at = ((hashes[2 * entry] ?? 0) ^ (hashes[2 * entry + 1] ?? 0)) & mask;
  while (slots[at] !== 0) at = (at + 1) & mask;
  slots[at] = entry + 1;
}

const grown = (array: Uint32Array): Uint32Array => {
  const next = new Uint32Array(array.length * 2);
  next.set(array);
  return next;
};

/** A new entry of hash `hash` (its place is set by the caller); the arrays grow as needed. */
function add(places: Places, hash: Uint32Array): number {
  const entry = places.size++;
  if (entry === places.starts.length) {
    const starts = new Float64Array(entry * 2);
    starts.set(places.starts);
    places.starts = starts;
    places.lengths = grown(places.lengths);
    places.hashes = grown(places.hashes);
  }
  places.hashes[2 * entry] = hash[0] ?? 0;
  places.hashes[2 * entry + 1] = hash[1] ?? 0;
  if (places.size * 2 > places.slots.length) {
    places.slots = new Uint32Array(places.slots.length * 2);
    for (let i = 0; i < places.size; i++) place(places.slots, places.hashes, i);
  } else place(places.slots, places.hashes, entry);
  return entry;
}

/** `"id": {…}` parsed: the id and the entry. */
function parseEntry(bytes: Buffer): [string, LockedTask] {
  const one = JSON.parse(`{${bytes.toString('utf8')}}`) as Record<string, LockedTask>;
  const [id, entry] = Object.entries(one)[0] as [string, LockedTask];
  return [id, lockedTask(entry)];
}

/** Reads entry `i` back from the open file (synchronously: `get` is). */
function entryReader(handle: FileHandle, places: Places): (entry: number) => [string, LockedTask] {
  // One buffer for every read (grown to the longest entry): a look-up leaves no bytes behind.
  let scratch = Buffer.alloc(0);
  return (entry) => {
    const length = places.lengths[entry] ?? 0;
    const start = places.starts[entry] ?? 0;
    if (scratch.length < length) scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * scratch.length, 4096));
    for (let read = 0; read < length; ) {
      const got = readSync(handle.fd, scratch, read, length - read, start + read);
      if (got === 0) throw new Error('the lock file ended early');
      read += got;
    }
    return parseEntry(scratch.subarray(0, length));
  };
}

/** The entries' indices by id, for a lock whose file does not list them sorted (an edited lock). */
function sortedOrder(places: Places, readEntry: (entry: number) => [string, LockedTask]): Uint32Array {
  const ids = Array.from({ length: places.size }, (_, entry) => readEntry(entry)[0]);
  const order = Uint32Array.from(ids.keys());
  return order.sort((a, b) => {
    const [x, y] = [ids[a] as string, ids[b] as string];
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function indexedTasks(
  handle: FileHandle,
  places: Places,
  order: Uint32Array | undefined,
  readEntry: (entry: number) => [string, LockedTask],
): LockTasks {
  const hash = new Uint32Array(2);
  const get = (id: string): LockedTask | undefined => {
    hashInto(id, hash);
    let found: LockedTask | undefined;
    find(places, hash, (entry) => {
      const [name, task] = readEntry(entry);
      if (name === id) found = task;
      return name === id;
    });
    return found;
  };
  return {
    get,
    has: (id) => get(id) !== undefined,
    size: places.size,
    async *entries() {
      const { size, starts, lengths } = places;
      let batch = Buffer.alloc(0);
      const entryAt = (k: number) => (order === undefined ? k : (order[k] ?? 0));
      for (let k = 0; k < size; ) {
        // A batch: the next entries that follow one another in the file, up to BATCH_BYTES.
        const first = entryAt(k);
        const from = starts[first] ?? 0;
        let to = from + (lengths[first] ?? 0);
        let last = k + 1;
        for (; last < size; last++) {
          const next = entryAt(last);
          const nextStart = starts[next] ?? 0;
          const nextEnd = nextStart + (lengths[next] ?? 0);
          if (nextStart < to || nextEnd - from > BATCH_BYTES) break;
          to = nextEnd;
        }
        // Reused from batch to batch: each entry is parsed before the next read.
        if (batch.length < to - from) batch = Buffer.allocUnsafeSlow(Math.max(to - from, BATCH_BYTES));
        const bytes = batch.subarray(0, to - from);
        for (let read = 0; read < bytes.length; ) {
          const { bytesRead } = await handle.read(bytes, read, bytes.length - read, from + read);
          if (bytesRead === 0) throw new Error('the lock file ended early');
          read += bytesRead;
        }
        for (; k < last; k++) {
          const entry = entryAt(k);
          const at = (starts[entry] ?? 0) - from;
          yield parseEntry(bytes.subarray(at, at + (lengths[entry] ?? 0)));
        }
      }
    },
  };
}
