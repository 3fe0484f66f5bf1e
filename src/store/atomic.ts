/**
 * Atomic file writes: data goes to a temporary file in the destination folder (or in `stagingDir`, a
 * folder of assetgen's own on the same file system, so that a crash leaves no temporary file among the
 * user's files), is flushed, then renamed over the final name. A crash leaves either the old file or the
 * new one, never a half-written file. A
 * failure that means the place cannot be written (disk full, no permission, read-only …) comes out as a
 * one-line WriteError naming the final path, not the temporary one.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, copyFile, link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf, type WritePlace, writeFailure } from './write-errors.js';

function temporaryPathFor(path: string, stagingDir?: string): string {
  const name = `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  return join(stagingDir ?? dirname(path), name);
}

/** Writes through `write(temporary)` and renames into place; staged elsewhere first, beside it if that fails. */
async function viaTemporary(
  path: string,
  stagingDir: string | undefined,
  write: (temporary: string) => Promise<void>,
): Promise<void> {
  if (stagingDir !== undefined) {
    const staged = temporaryPathFor(path, stagingDir);
    try {
      await mkdir(stagingDir, { recursive: true });
      await write(staged);
      await rename(staged, path);
      return;
    } catch (error) {
      await rm(staged, { force: true }).catch(() => {});
      // Another file system (EXDEV), or the staging folder unusable: stage beside the file instead.
      if (errnoOf(error) !== 'EXDEV' && !(await isUnusable(stagingDir))) throw error;
    }
  }
  const temporary = temporaryPathFor(path);
  try {
    await write(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}

async function isUnusable(folder: string): Promise<boolean> {
  try {
    await access(folder, constants.W_OK);
    return false;
  } catch {
    return true;
  }
}

export interface AtomicWriteOptions {
  /** The destination folder is known to exist (skips a mkdir per write). */
  dirExists?: boolean;
  /**
   * Flush the data to disk before the rename (default true): the file then survives a power cut, not
   * only a crash of the process. Cache entries skip it (a lost entry is re-fetched or re-made; the
   * journal is what keeps a paid task from being paid twice).
   */
  durable?: boolean;
  /** Permission bits of the file (default: 0o666 less the umask, like any new file). */
  mode?: number;
  /** What is written, for the error: completes "cannot …" (default `write`). */
  doing?: string;
  /** Which of the run's places it is (decides the hint). */
  place?: WritePlace;
  /**
   * Where the temporary file is made (assetgen's own folder on the same file system, e.g. the cache's
   * `tmp/`), so none is ever left among the destination's files; beside the file when it cannot be.
   */
  stagingDir?: string;
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  try {
    if (options.dirExists !== true) await mkdir(dirname(path), { recursive: true });
    await viaTemporary(path, options.stagingDir, async (temporary) => {
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(data);
        if (options.mode !== undefined) await handle.chmod(options.mode);
        if (options.durable !== false) await handle.sync();
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    throw describe(error, path, options);
  }
}

/** Copies a file so that `destination` appears complete or not at all. */
export async function copyFileAtomic(
  source: string,
  destination: string,
  options: Omit<AtomicWriteOptions, 'durable'> = {},
): Promise<void> {
  try {
    if (options.dirExists !== true) await mkdir(dirname(destination), { recursive: true });
    await viaTemporary(destination, options.stagingDir, (temporary) => copyFile(source, temporary));
  } catch (error) {
    throw describe(error, destination, options);
  }
}

/**
 * Creates `path` with `data` unless it exists: never overwrites, never leaves a half file (the complete
 * temporary file is hard-linked into place, which fails when the name is taken). Returns false when the
 * file existed.
 */
export async function createFileAtomic(path: string, data: string | Uint8Array): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
    await writeFileAtomic(temporary, data, { dirExists: true });
    return await linkIntoPlace(temporary, path, data);
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Puts the complete file `temporary` (holding `data`) at `path` unless the name is taken: a hard link,
 * or on a file system without hard links an exclusive create. False when `path` existed. The caller
 * removes `temporary`.
 */
export async function linkIntoPlace(
  temporary: string,
  path: string,
  data: string | Uint8Array,
): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
    // File systems without hard links: an exclusive create (a crash may leave it partly written).
    try {
      await writeFile(path, data, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  }
}

function describe(error: unknown, path: string, options: AtomicWriteOptions): unknown {
  return writeFailure(error, {
    path,
    doing: options.doing ?? 'write',
    ...(options.place === undefined ? {} : { place: options.place }),
    // EEXIST comes from making the folder: a file has its name.
    ...(errnoOf(error) === 'EEXIST' ? { folder: dirname(path) } : {}),
  });
}
