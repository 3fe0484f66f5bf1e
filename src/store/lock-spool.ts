/**
 * A run's lock entries on disk while the run lasts, so that a run of 100,000 paid tasks does not hold
 * 100,000 entries: each entry, as its task finishes, is serialized and appended to a spool file in the
 * cache's `tmp/`; only its place stays in memory (its id and one number). `writeLockStreamed` writes the
 * lock from it — the entries in id order, each read back from the spool — with the same bytes as
 * `writeLock` of the lock built in memory (tested). The spool is removed when the lock is written or
 * `discard`ed; a killed run's spool (its pid gone) is removed by the next spool opened in that folder.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { canonicalJson } from './hash.js';
import { type LockedTask, type LockFileContent, lockedVersion, lockText } from './lock.js';
import { writeFailure } from './write-errors.js';

/** Where a run puts its lock entries: a `Map` keeps them in memory, a spool on disk. */
export interface LockEntrySink {
  set(id: string, entry: LockedTask): unknown;
}

export interface LockSpool extends LockEntrySink {
  /** How many distinct ids it holds. */
  readonly size: number;
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
/** An entry's place packed into one number: offset × 2^20 + length. */
const LENGTH_BITS = 2 ** 20;
const TASK_INDENT = '\n    ';

/** One task entry as the lock holds it: keys sorted, at the indent of `tasks`' members. */
function entryText(entry: LockedTask): string {
  const sorted = JSON.parse(canonicalJson({ ...entry, version: lockedVersion(entry.version) }));
  return JSON.stringify(sorted, null, 2).replaceAll('\n', TASK_INDENT);
}

export async function openLockSpool(dir: string): Promise<LockSpool> {
  const path = join(dir, `.lock.${process.pid}.${randomBytes(4).toString('hex')}.spool`);
  await mkdir(dir, { recursive: true });
  await removeDeadSpools(dir);
  const spool: FileHandle = await open(path, 'w+');
  const places = new Map<string, number>();
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let end = 0;
  let writing: Promise<void> = Promise.resolve();
  let error: unknown;
  let closed = false;

  const flush = (): Promise<void> => {
    if (pendingBytes === 0) return writing;
    const chunk = Buffer.concat(pending, pendingBytes);
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
  const read = async (place: number): Promise<Buffer> => {
    const length = place % LENGTH_BITS;
    const offset = (place - length) / LENGTH_BITS;
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await spool.read(bytes, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error('the lock spool ended early');
      done += bytesRead;
    }
    return bytes;
  };
  const ready = async () => {
    await flush();
    if (error !== undefined) throw error;
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await writing;
    await spool.close().catch(() => {});
    await rm(path, { force: true }).catch(() => {});
  };

  return {
    get size() {
      return places.size;
    },
    set(id, entry) {
      if (closed) throw new Error('the lock spool is closed');
      const bytes = Buffer.from(entryText(entry), 'utf8');
      if (bytes.length >= LENGTH_BITS) throw new RangeError(`the lock entry of ${id} is too long`);
      places.set(id, end * LENGTH_BITS + bytes.length);
      end += bytes.length;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= FLUSH_BYTES) void flush();
    },
    async entries() {
      await ready();
      const all: Record<string, LockedTask> = {};
      for (const [id, place] of places) all[id] = JSON.parse((await read(place)).toString('utf8'));
      return all;
    },
    async writeLock(lockPath, head) {
      try {
        await ready();
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
            if (place !== undefined) await write(await read(place));
            else await write(entryText(head.tasks[id] as LockedTask));
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

/** Spools of runs that were killed (their process is gone): nothing will ever finish them. */
async function removeDeadSpools(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(SPOOL.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
