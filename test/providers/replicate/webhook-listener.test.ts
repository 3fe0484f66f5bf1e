/**
 * The webhook listener defends itself (raw sockets on 127.0.0.1): slowloris heads, bodies that never end,
 * huge bodies, wrong content types and idle connections are cut off, and a genuine delivery is still
 * served afterwards — and while the attacks are still going on.
 */
import { connect, type Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { realSleep } from '../../../src/providers/replicate/retry.js';
import { isJsonContentType } from '../../../src/providers/replicate/webhook-listener.js';
import { createWebhookReceiver, type WebhookReceiver } from '../../../src/providers/replicate/webhooks.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const signer = new Webhook(SECRET);
const LIMITS = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 200,
  idleTimeoutMs: 1_000,
  maxBodyBytes: 64 * 1024,
};

let receiver: WebhookReceiver;
let port: number;
let sockets: Socket[];
beforeEach(async () => {
  sockets = [];
  receiver = createWebhookReceiver({
    secret: SECRET,
    port: 0,
    time: { clock: () => Date.now(), sleep: realSleep },
    limits: LIMITS,
  });
  ({ port } = await receiver.listen());
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  await receiver.close();
});

interface Raw {
  socket: Socket;
  /** Everything the server sent, so far. */
  received(): string;
  /** Resolves when the server closed the connection (or it broke). */
  closed: Promise<void>;
  isClosed(): boolean;
}

function open(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let data = '';
    let closed = false;
    const done = new Promise<void>((r) => socket.once('close', () => r()));
    void done.then(() => {
      closed = true;
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({ socket, received: () => data, closed: done, isClosed: () => closed }),
    );
    socket.once('error', reject);
  });
}

/** Writes `chunk` every `everyMs` until the server closes the socket or `max` writes were made. */
async function trickle(raw: Raw, chunk: string, everyMs: number, max: number): Promise<number> {
  let writes = 0;
  while (!raw.isClosed() && writes < max) {
    raw.socket.write(chunk);
    writes++;
    await realSleep(everyMs);
  }
  return writes;
}

function delivery(id: string, predictionId: string) {
  const body = JSON.stringify({ id: predictionId, status: 'succeeded', output: ['https://x/out-0.png'] });
  const at = new Date();
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, body),
    },
  };
}

async function deliver(id: string, predictionId: string, type?: string) {
  const d = delivery(id, predictionId);
  const headers: Record<string, string> = { ...d.headers };
  if (type === undefined) delete headers['content-type'];
  else headers['content-type'] = type;
  return fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers, body: d.body });
}

/** A genuine delivery is accepted and seen by a waiter. */
async function stillServes(id: string) {
  const waiting = receiver.waitFor(`pred-${id}`, 5_000, new AbortController().signal);
  const res = await deliver(id, `pred-${id}`, 'application/json');
  expect(res.status).toBe(204);
  expect((await waiting)?.status).toBe('succeeded');
}

describe('the webhook listener defends itself', () => {
  it('cuts off a slowloris head (408) and serves a genuine delivery meanwhile', async () => {
    const raw = await open();
    raw.socket.write('POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
    const trickling = trickle(raw, 'X-Slow: yes\r\n', 50, 100);
    await stillServes('msg_during_slowloris');
    const writes = await trickling;
    await raw.closed;
    // 100 lines would take 5 s: the server closed long before.
    expect(writes).toBeLessThan(100);
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408/);
    await stillServes('msg_after_slowloris');
  });

  it('cuts off a body that never ends (408) and stays up', async () => {
    const raw = await open();
    const d = delivery('msg_slow_body', 'pred-slow');
    raw.socket.write(
      'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        Object.entries(d.headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        'Content-Length: 1000\r\n\r\n{"id":',
    );
    const writes = await trickle(raw, ' ', 50, 100);
    await raw.closed;
    expect(writes).toBeLessThan(100);
    expect(raw.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(receiver.stats().accepted).toBe(0);
    await stillServes('msg_after_slow_body');
  });

  it('answers 413 to a huge body, by Content-Length without reading it, and while streaming', async () => {
    const announced = await open();
    announced.socket.write(
      'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Content-Length: 50000000\r\n\r\n',
    );
    await announced.closed;
    expect(announced.received()).toMatch(/^HTTP\/1\.1 413/);

    const chunked = await open();
    chunked.socket.write(
      'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    const piece = 'x'.repeat(16 * 1024);
    const chunk = `${piece.length.toString(16)}\r\n${piece}\r\n`;
    const writes = await trickle(chunked, chunk, 5, 2_000);
    await chunked.closed;
    // 2,000 chunks would be 32 MB: it stopped reading just past the 64 KB cap.
    expect(writes).toBeLessThan(2_000);
    expect(chunked.received()).toMatch(/^HTTP\/1\.1 413/);

    const res = await fetch(`http://127.0.0.1:${port}/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'y'.repeat(LIMITS.maxBodyBytes + 1),
    }).catch((e: unknown) => e);
    if (res instanceof Response) expect(res.status).toBe(413);
    await stillServes('msg_after_huge');
  });

  it('accepts JSON content types only (415), and only POST (405)', async () => {
    expect((await deliver('msg_text', 'p-text', 'text/plain')).status).toBe(415);
    expect((await deliver('msg_none', 'p-none', undefined)).status).toBe(415);
    expect((await deliver('msg_form', 'p-form', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await fetch(`http://127.0.0.1:${port}/hook`)).status).toBe(405);
    // Rejected before the signature was even looked at: the same ids still work.
    expect((await deliver('msg_text', 'p-text', 'application/json; charset=utf-8')).status).toBe(204);
    expect(receiver.stats()).toEqual({ accepted: 1, rejected: 0, replayed: 0 });
    expect(isJsonContentType('application/cloudevents+json')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('text/json')).toBe(false);
  });

  it('closes silent connections and idle keep-alive ones', async () => {
    const silent = await open();
    await silent.closed;
    expect(silent.isClosed()).toBe(true);

    const kept = await open();
    const d = delivery('msg_keepalive', 'pred-keepalive');
    const head = Object.entries({ ...d.headers, 'content-length': String(Buffer.byteLength(d.body)) })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    kept.socket.write(
      `POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n${head}\r\n${d.body}`,
    );
    await kept.closed;
    expect(kept.received()).toMatch(/^HTTP\/1\.1 204/);
    expect(receiver.stats().accepted).toBe(1);
    await stillServes('msg_after_idle');
  });
});
