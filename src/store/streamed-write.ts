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
    // One buffer, reused: pieces are encoded into it and written when the next one does not fit, so a
    // long write makes no garbage buffers (they would wait for a GC outside the JS heap). Pieces are
    // taken one after the other, also when a producer does not wait for each.
    const buffer = Buffer.allocUnsafeSlow(DRAIN_BYTES);
    let size = 0;
    const writeAll = async (bytes: Buffer, length: number) => {
      for (let at = 0; at < length; ) at += (await handle.write(bytes, at, length - at)).bytesWritten;
    };
    const drain = async () => {
      if (size === 0) return;
      await writeAll(buffer, size);
      size = 0;
    };
    const take = async (data: string | Buffer) => {
      const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
      if (size + bytes > DRAIN_BYTES) await drain();
      if (bytes > DRAIN_BYTES) {
        const whole = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        await writeAll(whole, whole.length);
      } else if (typeof data === 'string') size += buffer.write(data, size, 'utf8');
      else size += data.copy(buffer, size);
    };
    let taking: Promise<void> = Promise.resolve();
    await produce((data) => {
      taking = taking.then(() => take(data));
      return taking;
    });
    await taking;
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
