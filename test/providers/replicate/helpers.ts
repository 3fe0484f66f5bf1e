/**
 * Test helpers for the Replicate provider: a tiny recording HTTP server on 127.0.0.1, a fake clock whose
 * `sleep` moves time at once (and records every wait), real PNG bytes, and temp folders.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CancelledError } from '../../../src/errors.js';
import type { TimeSource } from '../../../src/providers/replicate/retry.js';
import { type MakeOutputs, renderPlaceholder } from '../../fake-replicate/index.js';
import { markedPng } from '../../helpers/marked-png.js';

export const CANARY = 'r8_CANARY-token-0123456789abcdef-SECRET';

export interface RecordedRequest {
  method: string;
  path: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** Fake-clock time when the request arrived (when a clock was given). */
  at?: number;
}

export type Handler = (
  req: RecordedRequest,
  res: ServerResponse,
  raw: { socket: Socket; request: IncomingMessage },
) => void | Promise<void>;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  count(method: string, path: string | RegExp): number;
  close(): Promise<void>;
}

export async function startServer(handler: Handler, clock?: () => number): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, res) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        path: url.pathname,
        url,
        headers: request.headers,
        body: Buffer.concat(chunks),
      };
      if (clock) recorded.at = clock();
      requests.push(recorded);
      Promise.resolve(handler(recorded, res, { socket: request.socket, request })).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: String(err) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (method, path) =>
      requests.filter(
        (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
      ).length,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Drops the connection without an answer (after the request was read: "processed, then reset"). */
export function reset(raw: { socket: Socket }): void {
  raw.socket.resetAndDestroy();
}

export interface FakeTime extends TimeSource {
  /** Every wait asked for, in ms. */
  sleeps: number[];
  advance(ms: number): void;
}

/** A clock that moves only when code sleeps (instantly) or the test advances it. */
export function createFakeTime(start = Date.now(), random = () => 0.5): FakeTime {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: () => now,
    random,
    sleeps,
    advance(ms) {
      now += ms;
    },
    async sleep(ms, signal) {
      if (signal?.aborted) throw new CancelledError();
      sleeps.push(ms);
      now += Math.max(0, ms);
      // Let real I/O (the test server) make progress between polls.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw new CancelledError();
    },
  };
}

/**
 * Fake time that also lets real time pass: each sleep moves the clock by `ms` and waits `ms × realFraction`
 * of real time, so a server running on the wall clock makes progress while waits are measured on the clock.
 */
export function createScaledTime(realFraction: number, start = Date.now()): FakeTime {
  const time = createFakeTime(start);
  return {
    ...time,
    async sleep(ms, signal) {
      await time.sleep(ms, signal);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.max(0, ms * realFraction));
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(new CancelledError());
          },
          { once: true },
        );
      });
    },
  };
}

/** Outputs for the fake server: one small PNG per requested image (one colour and a mark), or fixed text for language models. */
export const smallImageMaker: MakeOutputs = async (request) => {
  if (request.catalog.kind === 'text') return { text: 'A glazed mug, photographed on seamless white.' };

  const count = Number(request.input.num_outputs ?? 1);
  const image = await markedPng(24, 16, '#c83');
  return { files: Array.from({ length: count }, () => image), contentType: 'image/png' };
};

/**
 * smallImageMaker, except that upscalers and background removers work on their input as the real ones
 * do: for runs whose quality gates check an upscale's size or a cut-out's transparency.
 */
export const chainImageMaker: MakeOutputs = async (request) =>
  request.catalog.kind === 'upscale' || request.catalog.kind === 'background-removal'
    ? renderPlaceholder(request)
    : smallImageMaker(request);

export function png(
  width: number,
  height: number,
  color = { r: 200, g: 60, b: 20, alpha: 1 },
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: color } })
    .png()
    .toBuffer();
}

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'assetgen-replicate-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function prediction(
  baseUrl: string,
  id: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    model: 'black-forest-labs/flux-schnell',
    version: 'hidden',
    input: {},
    output: null,
    logs: '',
    error: null,
    status: 'starting',
    source: 'api',
    data_removed: false,
    created_at: new Date().toISOString(),
    urls: {
      get: `${baseUrl}/v1/predictions/${id}`,
      cancel: `${baseUrl}/v1/predictions/${id}/cancel`,
    },
    ...fields,
  };
}
