/**
 * The filesystem store driver: a folder, each key a file under it (`objects/ab/abcd…` →
 * `<dir>/objects/ab/abcd…`), which is the cache folder's layout, so existing caches read as they are.
 *
 * Writes go to a private temporary file beside the target, then are renamed over it (readers see the old
 * file or the new one, never half of one); they are not forced to disk, as cache entries need not be.
 * `putIfAbsent` hard-links the complete temporary file into place (which fails when the name is taken).
 * `put` with `ifMatch` takes the key's replace lock (created exclusively: of several writers one gets it),
 * compares the version and renames over the file — the file never disappears in between, so a racing
 * `putIfAbsent` cannot slip in. A lock left by a killed process is cleared once it is 10 s old or its
 * process (on this host) is gone. A version is the file's inode, size and modification time.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { linkIntoPlace } from './atomic.js';
import { processExists } from './claim-record.js';
import { checkStoreKey, type ObjectInfo, type Store } from './store.js';

export interface FsStore extends Store {
  readonly dir: string;
  /** The file that holds a key (for the local cache layer, which reads objects in place). */
  pathOf(key: string): string;
}

/** A replace lock older than this was left by a killed process. */
const LOCK_STALE_MS = 10_000;

const versionOf = (info: Stats): string =>
  `${info.ino.toString(36)}-${info.size.toString(36)}-${Math.round(info.mtimeMs * 1000).toString(36)}`;

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';

export function createFsStore(dir: string): FsStore {
  const pathOf = (key: string): string => join(dir, ...checkStoreKey(key));
  const privatePath = (path: string, what: string): string =>
    join(dirname(path), `.${what}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  // Folders made once each, not once per write; made again should one vanish meanwhile.
  const made = new Map<string, Promise<unknown>>();
  const inFolder = async <T>(path: string, write: () => Promise<T>): Promise<T> => {
    const folder = dirname(path);
    let making = made.get(folder);
    if (making === undefined) {
      making = mkdir(folder, { recursive: true });
      made.set(folder, making);
      making.catch(() => made.delete(folder));
    }
    await making;
    try {
      return await write();
    } catch (error) {
      if (!missing(error)) throw error;
      await mkdir(folder, { recursive: true });
      return write();
    }
  };

  const writePrivate = async (path: string, what: string, body: Uint8Array | string): Promise<string> => {
    const temporary = privatePath(path, what);
    await inFolder(temporary, () => writeFile(temporary, body));
    return temporary;
  };

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    try {
      const info = await stat(pathOf(key));
      return info.isFile() ? { size: info.size, etag: versionOf(info) } : undefined;
    } catch (error) {
      if (missing(error)) return undefined;
      throw error;
    }
  };

  const putIfAbsent = async (key: string, body: Uint8Array | string): Promise<boolean> => {
    const path = pathOf(key);
    const temporary = await writePrivate(path, 'new', body);
    try {
      return await linkIntoPlace(temporary, path, body);
    } finally {
      await rm(temporary, { force: true });
    }
  };

  /** Clears a replace lock left by a killed process; true when it did. */
  const clearStaleLock = async (lock: string): Promise<boolean> => {
    try {
      const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
      const holder = JSON.parse(text) as { host?: string; pid?: number };
      const dead = holder.host === hostname() && typeof holder.pid === 'number' && !processExists(holder.pid);
      if (!dead && Date.now() - info.mtimeMs < LOCK_STALE_MS) return false;
    } catch (error) {
      if (missing(error)) return true;
      // Unreadable (cut short): judged by its age alone.
      const info = await stat(lock).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs < LOCK_STALE_MS) return false;
    }
    await rm(lock, { force: true });
    return true;
  };

  const replaceIfMatch = async (key: string, body: Uint8Array | string, etag: string): Promise<boolean> => {
    const path = pathOf(key);
    const lockKey = `${key.slice(0, key.lastIndexOf('/') + 1)}.${key.slice(key.lastIndexOf('/') + 1)}.lock`;
    const lockBody = JSON.stringify({ host: hostname(), pid: process.pid, at: new Date().toISOString() });
    for (let attempt = 0; !(await putIfAbsent(lockKey, lockBody)); attempt++) {
      // Another writer holds the lock for the moment of its compare-and-rename: wait for it, then compare.
      if (attempt >= 50) return false;
      if (!(await clearStaleLock(pathOf(lockKey)))) await sleep(Math.min(2 * 2 ** Math.min(attempt, 6), 100));
    }
    try {
      if ((await head(key))?.etag !== etag) return false;
      const temporary = await writePrivate(path, 'replace', body);
      await rename(temporary, path);
      return true;
    } finally {
      await rm(pathOf(lockKey), { force: true });
    }
  };

  async function* walk(folder: string, prefix: string): AsyncGenerator<string> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (missing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // temporaries and locks
      const key = `${prefix}${entry.name}`;
      if (entry.isDirectory()) yield* walk(join(folder, entry.name), `${key}/`);
      else if (entry.isFile()) yield key;
    }
  }

  return {
    location: dir,
    dir,
    pathOf,
    async get(key) {
      let handle: import('node:fs/promises').FileHandle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (error) {
        if (missing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw error;
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) return undefined;
        return { body: await handle.readFile(), etag: versionOf(info), modifiedMs: info.mtimeMs };
      } finally {
        await handle.close();
      }
    },
    head,
    async put(key, body, options = {}) {
      if (options.ifMatch !== undefined) return replaceIfMatch(key, body, options.ifMatch);
      const path = pathOf(key);
      const temporary = await writePrivate(path, 'put', body);
      try {
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return true;
    },
    putIfAbsent,
    async *list(prefix) {
      const cut = prefix.lastIndexOf('/') + 1;
      const folderKey = prefix.slice(0, cut);
      const folder = folderKey === '' ? dir : pathOf(folderKey.slice(0, -1));
      for await (const key of walk(folder, folderKey)) if (key.startsWith(prefix)) yield key;
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
