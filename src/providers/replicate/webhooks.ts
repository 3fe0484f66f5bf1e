/**
 * A small webhook receiver for `completed` deliveries, on the hardened listener of webhook-listener.ts
 * (timeouts, JSON only, a body cap). Each delivery is checked before it is believed: `webhook-id`/`webhook-timestamp`/`webhook-signature` present, timestamp within 5 minutes of
 * our clock, a `v1` signature over `id.timestamp.body` made with the `whsec_…` secret (the scheme of the
 * `standardwebhooks` package, compared in constant time), and a `webhook-id` not seen before. Forged or
 * stale deliveries get 401, replays 409; neither is used. Terminal predictions are kept per receiver so
 * a delivery that beats the create's answer is not lost.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { CancelledError } from '../../errors.js';
import { asPrediction, isTerminal, type Prediction } from './prediction.js';
import type { TimeSource } from './retry.js';
import { type Answer, createJsonListener, type Delivery, type ListenerLimits } from './webhook-listener.js';

export interface WebhookReceiverOptions {
  /** `whsec_<base64>` */
  secret: string;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  time: Pick<TimeSource, 'clock' | 'sleep'>;
  toleranceSeconds?: number;
  warn?: (message: string) => void;
  /** Largest accepted body (default 10 MB); see also `limits`. */
  maxBodyBytes?: number;
  /** Timeouts and caps of the HTTP listener (webhook-listener.ts). */
  limits?: ListenerLimits;
}

export interface WebhookReceiver {
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /**
   * The terminal prediction delivered for `id`, or undefined when none came within `ms` (`Infinity`: no
   * time limit, until `signal` aborts; an abort of `signal` is a CancelledError).
   */
  waitFor(id: string, ms: number, signal: AbortSignal): Promise<Prediction | undefined>;
  /** Counts for diagnostics and tests. */
  stats(): { accepted: number; rejected: number; replayed: number };
  close(): Promise<void>;
}

/** What a task with webhooks gets: the URL, the waiter, how long to trust it, where to report its end. */
export interface WebhookPlan {
  url: string;
  wait: WebhookReceiver['waitFor'];
  /** How long, from now, to wait for the delivery before polling (see expected-duration.ts). */
  waitMs: (prediction: Prediction, createSentAt: number, now: number) => number;
  /** A finished prediction (its duration sets later waits). */
  finished: (prediction: Prediction) => void;
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

  const handle = (delivery: Delivery): Answer => {
    const header = (name: string): string | undefined => {
      const value = delivery.headers[name];
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
      delivery.body,
      options.time.clock(),
      seen,
      options.toleranceSeconds,
    );
    if (!verdict.ok) {
      if (verdict.status === 409) counts.replayed++;
      else counts.rejected++;
      options.warn?.(`replicate webhook rejected (${verdict.status}): ${verdict.reason}`);
      return { status: verdict.status, text: verdict.reason };
    }
    seen.add(headers['webhook-id'] as string);
    let prediction: Prediction;
    try {
      prediction = asPrediction(JSON.parse(verdict.body));
    } catch {
      counts.rejected++;
      return { status: 400, text: 'not a prediction' };
    }
    counts.accepted++;
    accept(prediction);
    return { status: 204 };
  };

  return {
    listen() {
      const host = options.host ?? '127.0.0.1';
      server = createJsonListener(handle, {
        ...options.limits,
        maxBodyBytes: options.limits?.maxBodyBytes ?? options.maxBodyBytes ?? 10_000_000,
      });
      const s = server;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port, host, () => {
          s.off('error', reject);
          // Once listening, an error (e.g. out of file descriptors on accept) is reported, never thrown.
          s.on('error', (err) => options.warn?.(`replicate webhook listener: ${err.message}`));
          resolve({ host, port: (s.address() as AddressInfo).port });
        });
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
      const both = AbortSignal.any([signal, stop.signal]);
      const slept = Number.isFinite(ms)
        ? options.time.sleep(ms, both)
        : new Promise<void>((_, reject) => {
            if (both.aborted) reject(new CancelledError());
            both.addEventListener('abort', () => reject(new CancelledError()), { once: true });
          });
      const timer = slept.then(
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
