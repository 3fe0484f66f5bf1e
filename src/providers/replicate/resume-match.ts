/**
 * Matching a prediction left by a crashed run to the task being resumed. The task's input holds
 * `InputFile`s, while the lost create sent each one as a `data:` URI (up to 256 KB) or as the URL of an
 * upload — and a new upload would get a new URL. The rule: every non-file value must be equal (as for an
 * unknown-outcome create, see create.ts), and a file value matches only when the echoed value provably
 * stands for the same bytes — a `data:` URI whose decoded bytes have the file's sha256, or a files-API URL
 * of this API (`<baseUrl>/files/<id>…`) whose `checksums.sha256` is the file's. Anything else (another URL,
 * an upload that expired) is no match: the worst case is paying once more, never adopting the prediction
 * of another image. Nothing is uploaded while looking.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type InputFile, isInputFile } from '../types.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { compareInputs, type LeafRule } from './create.js';
import { decodeDataUri } from './download.js';
import { type ErrorContext, TransportError } from './errors.js';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The upload id of a files-API URL of this API, else undefined. */
export function uploadIdOf(url: string, baseUrl: string): string | undefined {
  const prefix = `${baseUrl.replace(/\/+$/, '')}/files/`;
  if (!url.startsWith(prefix)) return undefined;
  const id = url.slice(prefix.length).split(/[/?#]/)[0] ?? '';
  return /^[A-Za-z0-9_-]+$/.test(id) ? id : undefined;
}

/** `(echoed input) → does it stand for this task's input?` File hashes and upload look-ups are cached. */
export function createResumeMatcher(
  ctx: ProviderContext,
  input: Record<string, unknown>,
  signal: AbortSignal,
  errCtx: ErrorContext,
): (echoed: unknown) => Promise<boolean> {
  const fileHashes = new Map<string, Promise<string>>();
  const uploadHashes = new Map<string, Promise<string | undefined>>();

  const hashOfFile = (file: InputFile): Promise<string> => {
    let pending = fileHashes.get(file.path);
    if (!pending) {
      pending = readFile(file.path).then(sha256);
      fileHashes.set(file.path, pending);
    }
    return pending;
  };

  const hashOfUpload = (id: string): Promise<string | undefined> => {
    let pending = uploadHashes.get(id);
    if (!pending) {
      pending = callWithRetries(ctx, 'looking up an uploaded input', errCtx, signal, () =>
        ctx.sdk.files.get(id, { signal }),
      ).then(
        (file) => file.checksums?.sha256,
        (err: unknown) => {
          // Gone (expired or deleted): it cannot be shown to be the same file.
          if (err instanceof TransportError && (err.status === 404 || err.status === 410)) return undefined;
          throw err;
        },
      );
      uploadHashes.set(id, pending);
    }
    return pending;
  };

  const standsFor = async (file: InputFile, echoed: string): Promise<boolean> => {
    const want = await hashOfFile(file);
    if (echoed.startsWith('data:')) {
      try {
        return sha256(decodeDataUri(echoed).bytes) === want;
      } catch {
        return false;
      }
    }
    const id = uploadIdOf(echoed, ctx.baseUrl);
    return id !== undefined && (await hashOfUpload(id)) === want;
  };

  const rule: LeafRule = (sent, echoed) => {
    if (!isInputFile(sent)) return undefined;
    if (typeof echoed !== 'string') return false;
    return () => standsFor(sent, echoed);
  };

  return async (echoed) => {
    const { equal, deferred } = compareInputs(input, echoed, rule);
    if (!equal) return false;
    for (const check of deferred) if (!(await check())) return false;
    return true;
  };
}
