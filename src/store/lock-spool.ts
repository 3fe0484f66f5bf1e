/**
 * A run's lock entries on disk while the run lasts, so that a run of 100,000 paid tasks holds none of
 * them: each entry, as its task finishes, is appended to a spool file in the cache's `tmp/` as one line
 * (its id, a tab, the entry as compact JSON with sorted keys); nothing per entry stays in memory.
 * `writeLock` then reads the spool once to index it (the last line of an id wins, as in a `Map`), sorts
 * the ids and writes the lock — each entry read back and indented — with the same bytes as `writeLock` of
 * the lock built in memory (tested). The spool is removed when the lock is written or `discard`ed; a
 * killed run's spool (its pid gone) is removed by the next spool opened in that folder.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removeDeadSpools } from './dead-spools.js';
import { canonicalJson } from './hash.js';
import { type LockedTask, type LockFileContent, lockedVersion, lockText } from './lock.js';
import { writeFailure } from './write-errors.js';

/** Where a run puts its lock entries: a `Map` keeps them in memory, a spool on disk. */
export interface LockEntrySink {
  set(id: string, entry: LockedTask): unknown;
}

export interface LockSpool extends LockEntrySink {
  /** Every entry, read back (for a shard's lock part). */
  entries(): Promise<Record<string, LockedTask>>;
  /**
   * Writes `head` (models, deployments and the entries kept from before) with this spool's entries
   * added (the spool's win over `head.tasks` of the same id) at `path`, atomically; then drops the spool.
   */
  writeLock(path: string, head: LockFileContent): Promise<void>;
  /** Drops the spool. */
  discard(): Promise<void>;
}

const FLUSH_BYTES = 256 * 1024;
const READ_BYTES = 1024 * 1024;
/** A line's place packed into one number: offset × 2^20 + length. */
const LENGTH_BITS = 2 ** 20;
const TASK_INDENT = '\n    ';

/** One task entry as the lock holds it: keys sorted, versions only version ids. */
function sortedEntry(entry: LockedTask): string {
  return canonicalJson({ ...entry, version: lockedVersion(entry.version) });
}

/** A sorted entry at the indent of `tasks`' members. */
const indented = (sorted: string): string =>
  JSON.stringify(JSON.parse(sorted), null, 2).replaceAll('\n', TASK_INDENT);

export async function openLockSpool(dir: string): Promise<LockSpool> {
  const path = join(dir, `.lock.${process.pid}.${randomBytes(4).toString('hex')}.spool`);
  await mkdir(dir, { recursive: true });
  await removeDeadSpools(dir, SPOOL);
  const spool: FileHandle = await open(path, 'w+');
  let pending: string[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> = Promise.resolve();
  let error: unknown;
  let closed = false;

  const flush = (): Promise<void> => {
    if (pendingBytes === 0) return writing;
    const chunk = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    writing = writing.then(async () => {
      if (error !== undefined) return;
      try {
        await spool.write(chunk, 0, chunk.length);
      } catch (cause) {
        error = cause;
      }
    });
    return writing;
  };
  const readAt = async (offset: number, length: number): Promise<Buffer> => {
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await spool.read(bytes, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error('the lock spool ended early');
      done += bytesRead;
    }
    return bytes;
  };
  /** Where each id's last entry is (the entry after the tab), read through once. */
  const index = async (): Promise<Map<string, number>> => {
    await flush();
    if (error !== undefined) throw error;
    const places = new Map<string, number>();
    const { size } = await spool.stat();
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    for (let at = 0; at < size; at += READ_BYTES) {
      const chunk = Buffer.concat([carry, await readAt(at, Math.min(READ_BYTES, size - at))]);
      let start = 0;
      for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
        const tab = chunk.indexOf(9, start);
        const id = JSON.parse(chunk.toString('utf8', start, tab)) as string;
        const length = end - tab - 1;
        if (length >= LENGTH_BITS) throw new RangeError(`the lock entry of ${id} is too long`);
        places.set(id, (carryAt + tab + 1) * LENGTH_BITS + length);
        start = end + 1;
      }
      carry = chunk.subarray(start);
      carryAt += start;
    }
    return places;
  };
  const read = async (place: number): Promise<string> => {
    const length = place % LENGTH_BITS;
    return (await readAt((place - length) / LENGTH_BITS, length)).toString('utf8');
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await writing;
    await spool.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
  };

  return {
    set(id, entry) {
      if (closed) throw new Error('the lock spool is closed');
      const line = `${JSON.stringify(id)}\t${sortedEntry(entry)}\n`;
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= FLUSH_BYTES) void flush();
    },
    async entries() {
      const all: Record<string, LockedTask> = {};
      for (const [id, place] of await index()) all[id] = JSON.parse(await read(place));
      return all;
    },
    async writeLock(lockPath, head) {
      try {
        const places = await index();
        // `tasks` sorts last: the head's text ends with its (empty) tasks, which the entries replace.
        const text = lockText({ ...head, tasks: {} });
        const tail = '{}\n}\n';
        if (!text.endsWith(`"tasks": ${tail}`)) throw new Error('unexpected lock layout');
        const ids = [...new Set([...Object.keys(head.tasks), ...places.keys()])].sort();
        await writeStreamed(lockPath, async (write) => {
          await write(text.slice(0, -tail.length));
          if (ids.length === 0) {
            await write(tail);
            return;
          }
          for (const [i, id] of ids.entries()) {
            await write(`${i === 0 ? '{' : ','}${TASK_INDENT}${JSON.stringify(id)}: `);
            const place = places.get(id);
            const sorted =
              place === undefined ? sortedEntry(head.tasks[id] as LockedTask) : await read(place);
            await write(indented(sorted));
          }
          await write('\n  }\n}\n');
        });
      } finally {
        await close();
      }
    },
    discard: close,
  };
}

/** Writes `path` through a temporary file beside it (named as store/atomic.ts names them), flushed and renamed. */
async function writeStreamed(
  path: string,
  produce: (write: (data: string | Buffer) => Promise<void>) => Promise<void>,
): Promise<void> {
  const temporary = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let out: FileHandle | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
    out = await open(temporary, 'w');
    const handle = out;
    let parts: Buffer[] = [];
    let size = 0;
    const drain = async () => {
      if (size === 0) return;
      const chunk = Buffer.concat(parts, size);
      parts = [];
      size = 0;
      await handle.write(chunk, 0, chunk.length);
    };
    await produce(async (data) => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      parts.push(bytes);
      size += bytes.length;
      if (size >= FLUSH_BYTES * 4) await drain();
    });
    await drain();
    await out.sync();
    await out.close();
    out = undefined;
    await rename(temporary, path);
  } catch (error) {
    await out?.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw writeFailure(error, { path, doing: 'write the lock file', place: 'lock' });
  }
}

const SPOOL = /^\.lock\.(\d+)\.[0-9a-f]+\.spool$/;
