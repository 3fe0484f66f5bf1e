/**
 * Output files, fetched at once (Replicate deletes them after about an hour): each URL (`https:`,
 * `http:`, `data:`) is streamed to `out-<i>.<ext>` in the task's work folder while its sha256 and size
 * are computed. A stream error or a Content-Length mismatch deletes the partial file and retries; a 404
 * or 410 is an expired URL (a clear error, no retry). Every file must decode as an image (`probe`) before
 * it counts. A file served or inlined without an image type (the sync API has sent
 * `data:application/octet-stream;…` outputs) gets the type its first bytes show. Downloads send no
 * Authorization header: output URLs are signed on their own.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProducedFile } from '../types.js';
import type { FetchLike } from './client.js';
import { type ErrorContext, providerError, type Redact } from './errors.js';
import { backoffDelay, type TimeSource } from './retry.js';

export interface DownloadOptions {
  workDir: string;
  fetch: FetchLike;
  time: TimeSource;
  redact: Redact;
  maxAttempts: number;
  signal: AbortSignal;
  /** Throws when the file is not a decodable image. */
  probe: (path: string) => Promise<unknown>;
  warn: (message: string) => void;
  /** Cap per download attempt (default 5 minutes). */
  timeoutMs?: number;
}

const EXT_BY_TYPE: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/tiff': 'tiff',
  'image/svg+xml': 'svg',
};

/** File extension from the content type, else from the URL's path, else `bin`. */
export function extensionFor(contentType: string | null, url: string): string {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const byType = EXT_BY_TYPE[type];
  if (byType) return byType;
  if (!url.startsWith('data:')) {
    try {
      const match = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname);
      if (match?.[1]) return match[1].toLowerCase() === 'jpeg' ? 'jpg' : match[1].toLowerCase();
    } catch {
      // not a URL
    }
  }
  return 'bin';
}

/** The image type a file's first bytes show (PNG, JPEG, WebP, GIF, AVIF, TIFF), else undefined. */
export function sniffImageType(head: Buffer): string | undefined {
  const ascii = (from: number, to: number) => head.toString('latin1', from, to);
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a)
    return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(8, 12))) return 'image/avif';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'image/tiff';
  return undefined;
}

/** The declared type when it names an image, else what the bytes show, else the declared type. */
function effectiveType(declared: string, head: Buffer): string {
  return declared.startsWith('image/') ? declared : (sniffImageType(head) ?? declared);
}

const HEAD_BYTES = 16;

class DownloadFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The bytes and type of a `data:` URI (base64 or percent-encoded); throws when malformed. */
export function decodeDataUri(uri: string): { contentType: string; bytes: Buffer } {
  const match = /^data:([^,]*?),(.*)$/s.exec(uri);
  if (!match) throw new DownloadFailure('malformed data: URI output', false);
  const meta = match[1] ?? '';
  const payload = match[2] ?? '';
  const base64 = /;base64$/i.test(meta);
  const contentType = meta.replace(/;base64$/i, '').split(';')[0] || 'application/octet-stream';
  const bytes = base64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  return { contentType, bytes };
}

async function fetchOnce(url: string, base: string, options: DownloadOptions): Promise<ProducedFile> {
  if (url.startsWith('data:')) {
    const decoded = decodeDataUri(url);
    const contentType = effectiveType(decoded.contentType, decoded.bytes.subarray(0, HEAD_BYTES));
    const path = `${base}.${extensionFor(contentType, url)}`;
    await writeFile(path, decoded.bytes);
    const sha256 = createHash('sha256').update(decoded.bytes).digest('hex');
    return { path, sha256, bytes: decoded.bytes.length, contentType };
  }
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  let response: Response;
  try {
    response = await options.fetch(url, { signal: AbortSignal.any([options.signal, timeout]) });
  } catch (err) {
    throw new DownloadFailure(`network error (${err instanceof Error ? err.message : String(err)})`, true);
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadFailure(
      'output URL has expired or is gone; Replicate deletes outputs about an hour after the prediction',
      false,
      response.status,
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    const retryable = response.status === 429 || response.status >= 500;
    throw new DownloadFailure(`download answered HTTP ${response.status}`, retryable, response.status);
  }
  const declaredType =
    response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream';
  const declared = response.headers.get('content-length');
  const partial = `${base}.part`;
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      if (size < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - size));
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as never), meter, createWriteStream(partial));
  } catch (err) {
    await rm(partial, { force: true });
    throw new DownloadFailure(
      `download broke off (${err instanceof Error ? err.message : String(err)})`,
      true,
    );
  }
  if (declared !== null && Number(declared) !== size) {
    await rm(partial, { force: true });
    throw new DownloadFailure(`download truncated (${size} of ${declared} bytes)`, true);
  }
  const contentType = effectiveType(declaredType, Buffer.concat(head));
  const path = `${base}.${extensionFor(contentType, url)}`;
  await rename(partial, path);
  return { path, sha256: hash.digest('hex'), bytes: size, contentType };
}

/** Downloads one output to `<workDir>/out-<index>.<ext>`, retrying broken transfers, then probes it. */
export async function downloadOutput(
  url: string,
  index: number,
  options: DownloadOptions,
  errCtx: ErrorContext,
): Promise<ProducedFile> {
  const base = join(options.workDir, `out-${index}`);
  const shownUrl = url.startsWith('data:') ? 'a data: URI' : url.split('?')[0];
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await fetchOnce(url, base, options);
      try {
        await options.probe(file.path);
      } catch (err) {
        await rm(file.path, { force: true });
        const why = err instanceof Error ? err.message : String(err);
        throw new DownloadFailure(`output ${index} is not a decodable image (${why})`, false);
      }
      return file;
    } catch (err) {
      if (options.signal.aborted) throw err;
      const failure = err instanceof DownloadFailure ? err : new DownloadFailure(String(err), false);
      if (!failure.retryable || attempt + 1 >= options.maxAttempts) {
        const code =
          failure.status === 404 || failure.status === 410
            ? 'REPLICATE_OUTPUT_EXPIRED'
            : 'REPLICATE_DOWNLOAD';
        throw providerError(
          code,
          `output ${index} (${shownUrl}): ${failure.message}`,
          errCtx,
          options.redact,
          {
            status: failure.status,
            retryable: failure.retryable,
          },
        );
      }
      const delay = backoffDelay(attempt, options.time.random);
      options.warn(
        options.redact(`replicate: ${errCtx.model}: output ${index}: ${failure.message}; retrying`),
      );
      await options.time.sleep(delay, options.signal);
    }
  }
}

/** All outputs of a prediction, one file each, in output order. */
export async function downloadOutputs(
  urls: readonly string[],
  options: DownloadOptions,
  errCtx: ErrorContext,
): Promise<ProducedFile[]> {
  const files: ProducedFile[] = [];
  for (const [index, url] of urls.entries()) files.push(await downloadOutput(url, index, options, errCtx));
  return files;
}
