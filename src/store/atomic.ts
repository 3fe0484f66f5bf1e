/**
 * Atomic file writes: data goes to a temporary file in the destination folder, is flushed, then renamed
 * over the final name. A crash leaves either the old file or the new one, never a half-written file. A
 * failure that means the place cannot be written (disk full, no permission, read-only …) comes out as a
 * one-line WriteError naming the final path, not the temporary one.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoOf, type WritePlace, writeFailure } from './write-errors.js';

function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporaryPathFor(path);
  try {
    if (options.dirExists !== true) await mkdir(dirname(path), { recursive: true });
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      if (options.mode !== undefined) await handle.chmod(options.mode);
      if (options.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
    throw describe(error, path, options);
  }
}

/** Copies a file so that `destination` appears complete or not at all. */
export async function copyFileAtomic(
  source: string,
  destination: string,
  options: Omit<AtomicWriteOptions, 'durable'> = {},
): Promise<void> {
  const temporary = temporaryPathFor(destination);
  try {
    if (options.dirExists !== true) await mkdir(dirname(destination), { recursive: true });
    await copyFile(source, temporary);
    await rename(temporary, destination);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => {});
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
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    // File systems without hard links: an exclusive create (a crash may leave it partly written).
    try {
      await writeFile(path, data, { flag: 'wx' });
      return true;
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw fallback;
    }
  } finally {
    await rm(temporary, { force: true });
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
