/**
 * A small webhook receiver (node:http) for `completed` deliveries. Each delivery is checked before it is
 * believed: `webhook-id`/`webhook-timestamp`/`webhook-signature` present, timestamp within 5 minutes of
 * our clock, a `v1` signature over `id.timestamp.body` made with the `whsec_…` secret (the scheme of the
 * `standardwebhooks` package, compared in constant time), and a `webhook-id` not seen before. Forged or
 * stale deliveries get 401, replays 409; neither is used. Terminal predictions are kept per receiver so
 * a delivery that beats the create's answer is not lost.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { CancelledError } from '../../errors.js';
import { asPrediction, isTerminal, type Prediction } from './prediction.js';
import type { TimeSource } from './retry.js';

export interface WebhookReceiverOptions {
  /** `whsec_<base64>` */
  secret: string;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  time: Pick<TimeSource, 'clock' | 'sleep'>;
  toleranceSeconds?: number;
  warn?: (message: string) => void;
  maxBodyBytes?: number;
}

export interface WebhookReceiver {
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /** The terminal prediction delivered for `id`, or undefined when none came within `ms`. */
  waitFor(id: string, ms: number, signal: AbortSignal): Promise<Prediction | undefined>;
  /** Counts for diagnostics and tests. */
  stats(): { accepted: number; rejected: number; replayed: number };
  close(): Promise<void>;
}

export type Verdict = { ok: true; body: string } | { ok: false; status: 401 | 409; reason: string };

/** Checks one delivery; `seen` holds the webhook ids already accepted. */
export function verifyDelivery(
  signer: Webhook,
  headers: Record<string, string | undefined>,
  body: string,
  nowMs: number,
  seen: ReadonlySet<string>,
  toleranceSeconds = 300,
): Verdict {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (!id || !timestamp || !signature) return { ok: false, status: 401, reason: 'missing webhook headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'bad webhook-timestamp' };
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > toleranceSeconds) {
    return { ok: false, status: 401, reason: 'timestamp outside the 5-minute window' };
  }
  const expected = Buffer.from(signer.sign(id, new Date(seconds * 1000), body).split(',')[1] ?? '');
  const matches = signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, status: 401, reason: 'signature does not match' };
  if (seen.has(id)) return { ok: false, status: 409, reason: 'already delivered' };
  return { ok: true, body };
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const signer = new Webhook(options.secret);
  const seen = new Set<string>();
  const delivered = new Map<string, Prediction>();
  const waiters = new Map<string, Set<(p: Prediction) => void>>();
  const counts = { accepted: 0, rejected: 0, replayed: 0 };
  let server: Server | undefined;

  const accept = (prediction: Prediction): void => {
    if (!isTerminal(prediction)) return;
    delivered.set(prediction.id, prediction);
    for (const resolve of waiters.get(prediction.id) ?? []) resolve(prediction);
    waiters.delete(prediction.id);
  };

  const handle = async (req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const body = await readBody(req, options.maxBodyBytes ?? 10_000_000);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
    const header = (name: string): string | undefined => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(' ') : value;
    };
    const headers = {
      'webhook-id': header('webhook-id'),
      'webhook-timestamp': header('webhook-timestamp'),
      'webhook-signature': header('webhook-signature'),
    };
    const verdict = verifyDelivery(
      signer,
      headers,
      body,
      options.time.clock(),
      seen,
      options.toleranceSeconds,
    );
    if (!verdict.ok) {
      if (verdict.status === 409) counts.replayed++;
      else counts.rejected++;
      options.warn?.(`replicate webhook rejected (${verdict.status}): ${verdict.reason}`);
      res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(verdict.reason);
      return;
    }
    seen.add(headers['webhook-id'] as string);
    let prediction: Prediction;
    try {
      prediction = asPrediction(JSON.parse(verdict.body));
    } catch {
      counts.rejected++;
      res.writeHead(400).end();
      return;
    }
    counts.accepted++;
    res.writeHead(204).end();
    accept(prediction);
  };

  return {
    listen() {
      const host = options.host ?? '127.0.0.1';
      server = createServer((req, res) => {
        handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port, host, () => resolve({ host, port: (s.address() as AddressInfo).port }));
      });
    },
    async waitFor(id, ms, signal) {
      const known = delivered.get(id);
      if (known) return known;
      const stop = new AbortController();
      let resolveDelivery: (p: Prediction) => void = () => undefined;
      const delivery = new Promise<Prediction>((resolve) => {
        resolveDelivery = resolve;
      });
      const set = waiters.get(id) ?? new Set();
      set.add(resolveDelivery);
      waiters.set(id, set);
      const timer = options.time.sleep(ms, AbortSignal.any([signal, stop.signal])).then(
        () => undefined,
        (err: unknown) => {
          if (signal.aborted) throw err instanceof CancelledError ? err : new CancelledError();
          return undefined;
        },
      );
      try {
        return await Promise.race([delivery, timer]);
      } finally {
        stop.abort();
        waiters.get(id)?.delete(resolveDelivery);
      }
    },
    stats: () => ({ ...counts }),
    close() {
      const s = server;
      server = undefined;
      if (!s) return Promise.resolve();
      return new Promise((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };
}
