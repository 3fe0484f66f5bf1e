/**
 * Turns a prediction's file inputs (`format: uri` properties) into files on disk, as a model worker would
 * download them: `data:` URIs are decoded, URLs pointing at the fake itself (files API, output delivery)
 * are resolved internally, other allowed origins are fetched. Anything else fails the prediction.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputFile } from '../../src/providers/types.js';
import type { DeliveredFile } from './predictions.js';

export interface InputResolver {
  /** The fake's own origin, e.g. `http://127.0.0.1:1234`. */
  origin: string;
  /** Bytes behind a URL of the fake (files API or output delivery); undefined when unknown or expired. */
  local(url: URL): DeliveredFile | undefined;
  fetchableOrigins: readonly string[];
}

export class InputError extends Error {}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
};

export const extensionFor = (contentType: string): string =>
  EXTENSIONS[contentType.split(';')[0]?.trim() ?? ''] ?? 'bin';

/** Recognises common image formats by their magic bytes (uploads often arrive as octet-stream). */
export function sniffContentType(body: Buffer, declared: string): string {
  if (declared !== '' && declared !== 'application/octet-stream') return declared;
  if (body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'image/jpeg';
  if (body.toString('latin1', 0, 4) === 'RIFF' && body.toString('latin1', 8, 12) === 'WEBP')
    return 'image/webp';
  return declared || 'application/octet-stream';
}

export function decodeDataUri(uri: string): DeliveredFile {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/s.exec(uri);
  if (!match) throw new InputError('invalid data URI');
  const [, type = '', base64, payload = ''] = match;
  const body = base64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'utf8');
  return { body, contentType: type.split(';')[0] || 'application/octet-stream' };
}

async function fetchBytes(
  value: string,
  resolver: InputResolver,
  signal: AbortSignal,
): Promise<DeliveredFile> {
  if (value.startsWith('data:')) return decodeDataUri(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`invalid URL ${JSON.stringify(value)}`);
  }
  if (url.origin === resolver.origin) {
    const file = resolver.local(url);
    if (file === undefined) throw new InputError(`could not download ${value}: 404 Not Found`);
    return file;
  }
  if (!resolver.fetchableOrigins.includes(url.origin)) {
    throw new InputError(`could not download ${value}: the fake Replicate does not reach outside hosts`);
  }
  const response = await fetch(url, { signal });
  if (!response.ok) throw new InputError(`could not download ${value}: ${response.status}`);
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  return { body: Buffer.from(await response.arrayBuffer()), contentType };
}

async function materialise(
  value: string,
  name: string,
  workDir: string,
  resolver: InputResolver,
  signal: AbortSignal,
): Promise<InputFile> {
  const fetched = await fetchBytes(value, resolver, signal);
  const file = { body: fetched.body, contentType: sniffContentType(fetched.body, fetched.contentType) };
  const path = join(workDir, `${name}.${extensionFor(file.contentType)}`);
  await writeFile(path, file.body);
  return {
    kind: 'file',
    path,
    sha256: createHash('sha256').update(file.body).digest('hex'),
    bytes: file.body.length,
    contentType: file.contentType,
  };
}

interface UriProperty {
  type?: string;
  format?: string;
  items?: { type?: string; format?: string };
}

/**
 * Replaces every non-empty `format: uri` string input with an `InputFile` written into `workDir`, and
 * every list of them (`type: array`, `items.format: uri`) with a list of `InputFile`s.
 */
export async function materialiseInputs(
  input: Record<string, unknown>,
  schema: Record<string, unknown>,
  workDir: string,
  resolver: InputResolver,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, UriProperty>;
  const out: Record<string, unknown> = { ...input };
  for (const [key, prop] of Object.entries(properties)) {
    const value = input[key];
    if (prop.format === 'uri' && typeof value === 'string' && value !== '') {
      out[key] = await materialise(value, `input-${key}`, workDir, resolver, signal);
    } else if (prop.type === 'array' && prop.items?.format === 'uri' && Array.isArray(value)) {
      const files: InputFile[] = [];
      for (const [i, item] of value.entries()) {
        if (typeof item !== 'string' || item === '') continue;
        files.push(await materialise(item, `input-${key}-${i}`, workDir, resolver, signal));
      }
      out[key] = files;
    }
  }
  return out;
}
