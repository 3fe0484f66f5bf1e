/**
 * A file's lines, read as they are asked for: the next chunk is read only when the lines of the one
 * before are taken, so a slow reader (one that awaits a file lookup per line) holds one chunk, not the
 * file. (`readline`'s async iterator reads ahead of its reader and keeps every line it has not taken.)
 * Lines are split on `\n` (a `\r` before it is dropped); a last line without `\n` comes too. A missing
 * file has no lines.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { errnoOf } from './write-errors.js';

const CHUNK_BYTES = 64 * 1024;

export async function* fileLines(path: string): AsyncGenerator<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const text = carry + decoder.write(buffer.subarray(0, bytesRead));
      let start = 0;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
        yield withoutReturn(text.slice(start, end));
        start = end + 1;
      }
      carry = text.slice(start);
    }
    const last = carry + decoder.end();
    if (last !== '') yield withoutReturn(last);
  } finally {
    await handle.close();
  }
}

const withoutReturn = (line: string): string => (line.endsWith('\r') ? line.slice(0, -1) : line);
