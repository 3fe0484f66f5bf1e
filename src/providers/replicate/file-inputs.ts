/**
 * File inputs (`InputFile` values anywhere in a task's input) become what the API takes: a `data:` URI
 * when the file is at most 256 KB (Replicate's guidance; such inputs are not stored), otherwise an upload
 * through the files API (`POST /files`, SDK `files.create`) whose `urls.get` is passed on. Never the
 * SDK's `data-uri` strategy (in 1.4.0 it serialises the client, token included, into the body). Plain
 * strings (URLs) pass through untouched.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type InputFile, isInputFile } from '../types.js';

export const MAX_INLINE_BYTES = 256 * 1024;

/** Uploads one file and returns the URL to pass as the input value. */
export type Uploader = (file: InputFile, bytes: Buffer) => Promise<string>;

export function toDataUri(bytes: Buffer, contentType: string): string {
  return `data:${contentType || 'application/octet-stream'};base64,${bytes.toString('base64')}`;
}

/**
 * The file's bytes. One that will be inlined is read synchronously: a read of at most 256 KB takes tens of
 * microseconds, while the four thread-pool hops of an async read measured ~13 ms under load — time the
 * task spends holding its model slot before the create.
 */
async function readInput(file: InputFile, maxInlineBytes: number): Promise<Buffer> {
  return file.bytes <= maxInlineBytes ? readFileSync(file.path) : readFile(file.path);
}

/** A copy of `input` where every `InputFile` is replaced by a data URI or an uploaded file's URL. */
export async function prepareInputs(
  input: Record<string, unknown>,
  upload: Uploader,
  maxInlineBytes = MAX_INLINE_BYTES,
): Promise<Record<string, unknown>> {
  // One upload per distinct file within a task, even when the same file appears twice.
  const done = new Map<string, Promise<string>>();
  const convert = (file: InputFile): Promise<string> => {
    const key = `${file.path}\u0000${file.sha256}`;
    let pending = done.get(key);
    if (!pending) {
      pending = readInput(file, maxInlineBytes).then((bytes) =>
        bytes.length <= maxInlineBytes ? toDataUri(bytes, file.contentType) : upload(file, bytes),
      );
      done.set(key, pending);
    }
    return pending;
  };
  const walk = async (value: unknown): Promise<unknown> => {
    if (isInputFile(value)) return convert(value);
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      const entries = await Promise.all(
        Object.entries(value).map(async ([k, v]) => [k, await walk(v)] as const),
      );
      return Object.fromEntries(entries);
    }
    return value;
  };
  return (await walk(input)) as Record<string, unknown>;
}

/** The `File` the SDK's `files.create` sends (its own name, not `buffer_<time>`). */
export function toUploadFile(file: InputFile, bytes: Buffer): File {
  return new File([new Uint8Array(bytes)], basename(file.path), {
    type: file.contentType || 'application/octet-stream',
  });
}
