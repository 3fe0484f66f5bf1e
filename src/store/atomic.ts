/**
 * Atomic file writes: data goes to a temporary file in the destination folder, is flushed, then renamed
 * over the final name. A crash leaves either the old file or the new one, never a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
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
