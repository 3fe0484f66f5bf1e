/**
 * The HTTP side of the webhook receiver, built to stay up when it is exposed to the internet (it listens
 * behind a public URL): a head must arrive within `headersTimeoutMs` and the whole request within
 * `requestTimeoutMs` (slowloris heads and bodies that never end are cut with 408), idle keep-alive
 * connections close after `keepAliveTimeoutMs` and any silent socket after `idleTimeoutMs`; only `POST`
 * (405), only JSON content types (415, before reading the body), bodies up to `maxBodyBytes` (413, from
 * `Content-Length` or while reading), and a cap on open connections. 413 and 415 close the connection.
 * Whatever a client does, the server keeps serving the next delivery.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';

export interface ListenerLimits {
  /** The request head must be complete within this (default 10 s). */
  headersTimeoutMs?: number;
  /** The whole request, head and body (default 30 s). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** A socket silent for this long is destroyed (default 30 s). */
  idleTimeoutMs?: number;
  /** Largest accepted body (default 10 MB). */
  maxBodyBytes?: number;
  /** Open connections at most (default 256). */
  maxConnections?: number;
}

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  text?: string;
}

/** `application/json`, or any `application/…+json`, with parameters (`; charset=utf-8`). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

type BodyResult = { ok: true; body: string } | { ok: false; reason: 'too-large' | 'aborted' };

function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        finish({ ok: false, reason: 'too-large' });
      } else chunks.push(chunk);
    });
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => finish({ ok: false, reason: 'aborted' }));
    req.on('close', () => finish({ ok: false, reason: 'aborted' }));
  });
}

/** A node:http server that hands each acceptable JSON POST to `handle` and answers with its status. */
export function createJsonListener(
  handle: (delivery: Delivery) => Answer | Promise<Answer>,
  limits: ListenerLimits = {},
): Server {
  const requestTimeout = Math.max(1, limits.requestTimeoutMs ?? 30_000);
  const headersTimeout = Math.min(requestTimeout, Math.max(1, limits.headersTimeoutMs ?? 10_000));
  const maxBody = limits.maxBodyBytes ?? 10_000_000;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5_000,
      // How often Node checks the two timeouts above (its default, 30 s, would let them run long).
      connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(headersTimeout / 4))),
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      const reply = (status: number, text = '', close = false): void => {
        if (res.headersSent || res.destroyed) return;
        const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
        if (close) headers.connection = 'close';
        if (status === 405) headers.allow = 'POST';
        res.writeHead(status, headers).end(text);
      };
      const run = async (): Promise<void> => {
        if (req.method !== 'POST') return reply(405, 'only POST', true);
        const type = req.headers['content-type'];
        if (!isJsonContentType(type)) {
          return reply(
            415,
            `expected a JSON content type but received ${JSON.stringify(type ?? null)}`,
            true,
          );
        }
        const length = Number(req.headers['content-length'] ?? Number.NaN);
        if (length > maxBody) return reply(413, `body over ${maxBody} bytes`, true);
        const body = await readBody(req, maxBody);
        if (!body.ok) {
          if (body.reason === 'too-large') reply(413, `body over ${maxBody} bytes`, true);
          return;
        }
        const answer = await handle({ headers: req.headers, body: body.body });
        reply(answer.status, answer.text ?? '');
      };
      run().catch(() => reply(500, '', true));
    },
  );
  server.setTimeout(limits.idleTimeoutMs ?? 30_000);
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 100;
  server.maxConnections = limits.maxConnections ?? 256;
  return server;
}
