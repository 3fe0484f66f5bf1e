/**
 * An append-only spool file that holds a run's records while the run lasts (manifest entries, lock
 * entries), so that memory holds only their places: appends are buffered and written in order in the
 * background, any place can be read back, and closing removes the file. It is named
 * `.<kind>.<pid>.<hex>.spool`; opening one removes the spools of that kind left by killed runs.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processExists } from './claim-record.js';

const FLUSH_BYTES = 256 * 1024;

export interface SpoolFile {
  /**
   * Appends `bytes` at `offset` (the size before it); when enough is pending they go to the file, and
   * `written` resolves once they are there. It never rejects: a write error is kept for `settle`.
   */
  append(bytes: Buffer): { offset: number; written: Promise<void> };
  /** Writes what is pending and waits for every write; throws the first write error. */
  settle(): Promise<void>;
  /** `length` bytes at `offset` (of what was settled). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Reads `length` bytes at `offset` into `target` from `at` (a reader's own buffer, used again). */
  readInto(target: Buffer, at: number, offset: number, length: number): Promise<void>;
  /** Everything appended so far, in bytes. */
  readonly size: number;
  /** Closes and removes the file (again: nothing). */
  close(): Promise<void>;
}

export async function openSpoolFile(dir: string, kind: string): Promise<SpoolFile> {
  await mkdir(dir, { recursive: true });
  await removeDeadSpools(dir, new RegExp(`^\\.${kind}\\.(\\d+)\\.[0-9a-f]+\\.spool$`));
  const path = join(dir, `.${kind}.${process.pid}.${randomBytes(4).toString('hex')}.spool`);
  const handle: FileHandle = await open(path, 'w+');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
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
        await handle.write(chunk, 0, chunk.length);
      } catch (cause) {
        error = cause;
      }
    });
    return writing;
  };

  const readInto = async (target: Buffer, at: number, offset: number, length: number): Promise<void> => {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(target, at + done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`the ${kind} spool ended early`);
      done += bytesRead;
    }
  };

  return {
    append(bytes) {
      if (closed) throw new Error(`the ${kind} spool is closed`);
      const offset = size;
      size += bytes.length;
      pending.push(bytes);
      pendingBytes += bytes.length;
      return { offset, written: pendingBytes >= FLUSH_BYTES ? flush() : Promise.resolve() };
    },
    async settle() {
      await flush();
      if (error !== undefined) throw error;
    },
    async read(offset, length) {
      const bytes = Buffer.allocUnsafe(length);
      await readInto(bytes, 0, offset, length);
      return bytes;
    },
    readInto,
    get size() {
      return size;
    },
    async close() {
      if (closed) return;
      closed = true;
      await writing;
      await handle.close().catch(() => {});
      await rm(path, { force: true }).catch(() => {});
    },
  };
}

/** Removes the spools in `dir` matching `pattern` (group 1: the pid) whose process is gone: a killed run's. */
async function removeDeadSpools(dir: string, pattern: RegExp): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processExists(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => {});
  }
}
