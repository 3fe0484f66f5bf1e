/**
 * HTTP plumbing of the fake: replies as values (so faults can be applied when writing), Replicate's
 * error bodies, body reading, auth, ids and timestamps.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Headers = Record<string, string>;

export type Reply =
  | { kind: 'body'; status: number; headers: Headers; body: Buffer }
  /** Long-lived replies (SSE): `run` writes the head and the body itself. */
  | {
      kind: 'stream';
      status: number;
      headers: Headers;
      run(res: ServerResponse, signal: AbortSignal): Promise<void>;
    };

export function jsonReply(status: number, value: unknown, headers: Headers = {}): Reply {
  return {
    kind: 'body',
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  };
}

export function bytesReply(status: number, body: Buffer, contentType: string, headers: Headers = {}): Reply {
  return { kind: 'body', status, headers: { 'content-type': contentType, ...headers }, body };
}

/** An RFC 7807-ish error as Replicate sends it (`application/problem+json`). */
export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Reply {
  const { title, ...rest } = extra;
  const body = title === undefined ? { detail, status, ...rest } : { title, detail, status, ...rest };
  return {
    kind: 'body',
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: Buffer.from(JSON.stringify(body)),
  };
}

export const notFound = (): Reply => problem(404, 'The requested resource could not be found.');

export function throttled(retryAfter: number, header: boolean, body: boolean): Reply {
  const detail = `Request was throttled. Your rate limit resets in ~${retryAfter}s.`;
  const reply = body ? problem(429, detail, { retry_after: retryAfter }) : problem(429, detail);
  if (header) reply.headers['retry-after'] = String(retryAfter);
  return reply;
}

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(`body over ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export type AuthResult = 'ok' | 'missing' | 'invalid';

/** Accepts `Bearer <token>` and `Token <token>`. */
export function checkAuth(header: string | undefined, token: string): AuthResult {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^(Bearer|Token)\s+(\S+)\s*$/i.exec(header);
  return match?.[2] === token ? 'ok' : 'invalid';
}

export function unauthenticated(result: Exclude<AuthResult, 'ok'>): Reply {
  const detail =
    result === 'missing'
      ? 'You did not pass an authentication token'
      : 'You did not pass a valid authentication token';
  return problem(401, detail, { title: 'Unauthenticated' });
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A 26-character lowercase alphanumeric id like Replicate's prediction and file ids. */
export function newId(length = 26): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** Parses a JSON object body; undefined when it is not a JSON object. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
