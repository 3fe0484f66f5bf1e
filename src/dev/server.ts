/**
 * The dev session's HTTP server, on 127.0.0.1 only. It serves the page, the files the page shows (only
 * those: `files()` decides, nothing else on disk is reachable), a server-sent event stream of the
 * session's state, and two JSON POSTs (pick, confirm). Every request must name the server itself in
 * `Host` (a DNS-rebinding page cannot read it); a POST must come from the page's own origin (`Origin`)
 * and carry `application/json`, so a cross-origin form or fetch cannot pick or spend.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { UsageError } from '../errors.js';
import { DEV_CONFIRM_PATH, DEV_EVENTS_PATH, DEV_PICK_PATH } from './dev-script.js';

export const DEV_HOST = '127.0.0.1';
const MAX_BODY = 16 * 1024;
const HEARTBEAT_MS = 15_000;

/** What a POST answers: an HTTP status and a JSON body. */
export interface PostAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface DevServerHandlers {
  /** The URL path the page is served at (its relative links resolve from there). */
  pagePath: string;
  page(): string;
  /** The JSON sent as a `state` event (on connect and on every `broadcast`). */
  state(): string;
  /** The file a GET path names, when the page may show it; undefined: 404. */
  file(pathname: string): string | undefined;
  pick(body: unknown): Promise<PostAnswer>;
  confirm(body: unknown): PostAnswer;
}

export interface DevServer {
  url: string;
  port: number;
  /** Sends the current state to every open page. */
  broadcast(): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.webp': 'image/webp',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
};

/** The type of a file without a telling extension (cache objects), from its first bytes. */
async function sniff(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(12);
    await handle.read(head, 0, 12, 0);
    if (head.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]))) return 'image/png';
    if (head[0] === 0xff && head[1] === 0xd8) return 'image/jpeg';
    if (head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP')
      return 'image/webp';
    if (head.toString('latin1', 4, 12) === 'ftypavif') return 'image/avif';
    return 'application/octet-stream';
  } finally {
    await handle.close();
  }
}

function send(response: ServerResponse, status: number, body: string, type: string): void {
  response.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}

const json = (response: ServerResponse, answer: PostAnswer) =>
  send(response, answer.status, JSON.stringify(answer.body), 'application/json; charset=utf-8');

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('the body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}

export async function startDevServer(
  handlers: DevServerHandlers,
  options: { port: number },
): Promise<DevServer> {
  const streams = new Set<ServerResponse>();
  let port = options.port;
  const hosts = () => [`${DEV_HOST}:${port}`, `localhost:${port}`];

  const post = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const origin = request.headers.origin;
    if (origin === undefined || !hosts().some((host) => origin === `http://${host}`))
      return json(response, { status: 403, body: { ok: false, error: 'cross-origin request refused' } });
    if (!(request.headers['content-type'] ?? '').startsWith('application/json'))
      return json(response, { status: 415, body: { ok: false, error: 'expected application/json' } });
    let body: unknown;
    try {
      body = await readBody(request);
    } catch (error) {
      return json(response, { status: 400, body: { ok: false, error: (error as Error).message } });
    }
    if (path === DEV_PICK_PATH) return json(response, await handlers.pick(body));
    return json(response, handlers.confirm(body));
  };

  const events = (response: ServerResponse) => {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    response.write(`retry: 1000\n\nevent: state\ndata: ${handlers.state()}\n\n`);
    streams.add(response);
    response.on('close', () => streams.delete(response));
  };

  const serveFile = async (response: ServerResponse, file: string) => {
    const type = TYPES[extname(file).toLowerCase()] ?? (await sniff(file).catch(() => undefined));
    if (type === undefined) return send(response, 404, 'not found', 'text/plain; charset=utf-8');
    const stream = createReadStream(file);
    stream.on('open', () => {
      response.writeHead(200, {
        'Content-Type': type,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      stream.pipe(response);
    });
    stream.on('error', () => {
      if (!response.headersSent) send(response, 404, 'not found', 'text/plain; charset=utf-8');
      else response.destroy();
    });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (!hosts().includes(request.headers.host ?? ''))
      return send(response, 421, 'this server answers only to its own address', 'text/plain; charset=utf-8');
    const url = new URL(request.url ?? '/', `http://${DEV_HOST}:${port}`);
    const path = url.pathname;
    if (request.method === 'POST' && (path === DEV_PICK_PATH || path === DEV_CONFIRM_PATH))
      return post(request, response, path);
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(response, 405, 'method not allowed', 'text/plain; charset=utf-8');
    if (path === '/') {
      response.writeHead(302, { Location: handlers.pagePath, 'Cache-Control': 'no-store' });
      return response.end();
    }
    if (path === handlers.pagePath) return send(response, 200, handlers.page(), 'text/html; charset=utf-8');
    if (path === DEV_EVENTS_PATH) return events(response);
    const file = handlers.file(path);
    if (file === undefined) return send(response, 404, 'not found', 'text/plain; charset=utf-8');
    return serveFile(response, file);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, 'internal error', 'text/plain; charset=utf-8');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(
              `port ${options.port} on ${DEV_HOST} is in use: choose another with --port (0: any free port)`,
            )
          : error,
      ),
    );
    server.listen(options.port, DEV_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    url: `http://${DEV_HOST}:${port}/`,
    port,
    broadcast() {
      const data = handlers.state();
      for (const stream of streams) stream.write(`event: state\ndata: ${data}\n\n`);
    },
    async close() {
      clearInterval(heartbeat);
      for (const stream of streams) stream.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
