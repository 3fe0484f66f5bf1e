/** Shared bits of the fake's own tests: an SDK client pointed at the fake, tiny images, a webhook sink. */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Replicate from 'replicate';
import sharp from 'sharp';
import { markedPng } from '../helpers/marked-png.js';
import type { FakeReplicate } from './server.js';
import type { MakeOutputs } from './types.js';

export const CANARY_TOKEN = 'r8_canary_Zt7Qk2Vw9Xy4Lm1Np6Rs3Tu8';

export function sdkClient(fake: FakeReplicate, auth = fake.token): Replicate {
  return new Replicate({ auth, baseUrl: fake.baseUrl, fetch: globalThis.fetch, useFileOutput: false });
}

export function solidPng(width: number, height: number, rgb: [number, number, number] = [200, 40, 40]) {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** A cheap maker: `n` small PNGs (or a text), for tests that make many predictions. */
export const tinyMaker: MakeOutputs = async (request) => {
  if (request.catalog.kind === 'text') return { text: 'tiny answer' };
  const count = Number(request.input.num_outputs ?? 1);
  const png = await markedPng(8, 8, { r: 200, g: 40, b: 40 });
  return { files: Array.from({ length: count }, () => png), contentType: 'image/png' };
};

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A 127.0.0.1 server that records webhook deliveries and answers with `statuses` in turn (then 200). */
export async function startWebhookSink(statuses: number[] = []) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Fetches a URL and returns status and bytes (or the network error). */
export async function download(url: string): Promise<{ status: number; body: Buffer } | { error: Error }> {
  try {
    const response = await fetch(url);
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  } catch (error) {
    return { error: error as Error };
  }
}
