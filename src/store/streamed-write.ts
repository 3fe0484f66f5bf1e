/**
 * A file written piece by piece (a manifest or lock assembled from its spool): the pieces go, buffered,
 * into a temporary file beside it (named as atomic.ts names them), which is flushed and renamed over the
 * final name. A failure removes the temporary file and leaves the old file as it was; the error comes
 * out as it was thrown (the caller names the place).
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const DRAIN_BYTES = 1024 * 1024;

export type WritePiece = (data: string | Buffer) => Promise<void>;

export async function writeFileStreamed(
  path: string,
  produce: (write: WritePiece) => Promise<void>,
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
      if (size >= DRAIN_BYTES) await drain();
    });
    await drain();
    await out.sync();
    await out.close();
    out = undefined;
    await rename(temporary, path);
  } catch (error) {
    await out?.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw error;
  }
}
