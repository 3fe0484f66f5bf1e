/**
 * Atomic file writes: data goes to a temporary file in the destination folder, is flushed, then renamed
 * over the final name. A crash leaves either the old file or the new one, never a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  if (options.dirExists !== true) await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPathFor(path);
  try {
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
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Copies a file so that `destination` appears complete or not at all. */
export async function copyFileAtomic(source: string, destination: string): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const temporary = temporaryPathFor(destination);
  try {
    await copyFile(source, temporary);
    await rename(temporary, destination);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
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
