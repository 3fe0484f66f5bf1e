/**
 * Webhook deliveries, signed like Replicate (Standard Webhooks): `webhook-id` (stable across retries),
 * `webhook-timestamp` (per attempt), `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>` with
 * the base64-decoded `whsec_` secret. `output`/`logs` are throttled; only `completed` is retried.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ScaledClock } from './clock.js';
import type { FaultPlan } from './faults.js';
import { newId } from './http.js';
import type { PredictionState } from './predictions.js';
import type { WebhookAttempt, WebhookEvent } from './types.js';

export function signWebhook(secret: string, id: string, timestamp: number | string, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export const DEFAULT_EVENTS: readonly WebhookEvent[] = ['start', 'output', 'logs', 'completed'];

export interface WebhookDispatcherOptions {
  clock: ScaledClock;
  secret: string;
  faults: FaultPlan;
  /** The prediction JSON as `GET` would return it now. */
  snapshot(state: PredictionState): string;
  retryDelaysMs: readonly number[];
  throttleMs: number;
  /** Aborted when the server closes. */
  signal: AbortSignal;
}

export interface WebhookDispatcher {
  notify(state: PredictionState, event: WebhookEvent): void;
  readonly attempts: readonly WebhookAttempt[];
  /** Resolves when no delivery is in flight or scheduled. */
  idle(): Promise<void>;
}

interface Throttle {
  lastSent: number;
  scheduled: boolean;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { clock, signal } = options;
  const attempts: WebhookAttempt[] = [];
  const inFlight = new Set<Promise<void>>();
  const throttles = new Map<string, Throttle>();

  const post = async (url: string, id: string, timestamp: number, body: string, signature: string) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Replicate-Webhooks/fake',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return 0;
    }
  };

  const deliver = async (state: PredictionState, event: WebhookEvent, url: string) => {
    const fault = options.faults.takeForWebhook(event);
    const webhookId = `msg_${newId(27)}`;
    const body = options.snapshot(state);
    const base = { webhookId, predictionId: state.id, event };
    if (fault?.type === 'drop') {
      attempts.push({ ...base, attempt: 1, status: -1 });
      return;
    }
    if (fault?.type === 'delay') await clock.sleep(fault.ms, signal);
    if (fault?.type === 'forge') {
      const forgedBody = body.replace(/"status":"[a-z]+"/, '"status":"succeeded"');
      const forgedId = `msg_${newId(27)}`;
      const ts = Math.floor(clock.now() / 1000);
      const status = await post(
        url,
        forgedId,
        ts,
        forgedBody,
        signWebhook(newWebhookSecret(), forgedId, ts, forgedBody),
      );
      attempts.push({ webhookId: forgedId, predictionId: state.id, event, attempt: 1, status, forged: true });
    }
    const retries = event === 'completed' ? options.retryDelaysMs : [];
    for (let attempt = 1; attempt <= retries.length + 1 && !signal.aborted; attempt += 1) {
      if (attempt > 1) await clock.sleep(retries[attempt - 2] ?? 0, signal);
      if (signal.aborted) return;
      const ts = Math.floor(clock.now() / 1000);
      const signature = signWebhook(options.secret, webhookId, ts, body);
      const copies = fault?.type === 'duplicate' ? 2 : 1;
      let ok = false;
      for (let copy = 0; copy < copies; copy += 1) {
        const status = await post(url, webhookId, ts, body, signature);
        attempts.push({ ...base, attempt, status });
        ok ||= status >= 200 && status < 300;
      }
      if (ok) return;
    }
  };

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  return {
    attempts,
    notify(state, event) {
      const url = state.webhook;
      if (url === undefined || signal.aborted) return;
      if (!(state.webhookEventsFilter ?? DEFAULT_EVENTS).includes(event)) return;
      if (event === 'start' || event === 'completed') {
        track(deliver(state, event, url));
        return;
      }
      const key = `${state.id}:${event}`;
      const throttle = throttles.get(key) ?? { lastSent: -Infinity, scheduled: false };
      throttles.set(key, throttle);
      if (throttle.scheduled) return;
      const wait = throttle.lastSent + clock.toClock(options.throttleMs) - clock.now();
      throttle.scheduled = true;
      track(
        (async () => {
          if (wait > 0) await clock.sleep(clock.toSimulated(wait), state.settled.signal);
          throttle.scheduled = false;
          if (state.settled.signal.aborted) return; // superseded by `completed`
          throttle.lastSent = clock.now();
          await deliver(state, event, url);
        })(),
      );
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
