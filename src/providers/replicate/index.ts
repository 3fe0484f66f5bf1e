/**
 * The Replicate provider: `createReplicateProvider(options)` returns a `Provider` (src/providers/types.ts)
 * that runs tasks on Replicate through the `replicate` SDK 1.4.0, with its own waiting retries, create
 * adoption, crash resume (`request.resume`, see resume.ts), polling with backoff, downloads, webhooks
 * and cost. Everything is per instance: the SDK client, the rate limiter, the webhook receiver, the
 * in-flight set. Nothing reads the environment; the CLI passes the token, `REPLICATE_API_BASE_URL` and
 * `REPLICATE_WEBHOOK_SECRET` in.
 */
import { setMaxListeners } from 'node:events';
import { expected, ProviderError, UsageError } from '../../errors.js';
import { verifyImage } from '../../image/index.js';
import type { PredictionRequest, PredictionResult, Provider } from '../types.js';
import { createSdkClient, type FetchLike } from './client.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { clampWait } from './create.js';
import { createCanceller } from './ending.js';
import { createRedactor, type ErrorContext, PROVIDER, toProviderError } from './errors.js';
import { createDurationBook, webhookWaitMs } from './expected-duration.js';
import type { PollOptions } from './poll.js';
import { createRateLimiter } from './rate-limiter.js';
import { createRealTime, type Sleep } from './retry.js';
import { runTask, type TaskEnv } from './task.js';
import { createWebhookReceiver, type WebhookReceiver } from './webhooks.js';

export interface ReplicateWebhookOptions {
  /** Public URL that forwards to the local receiver. */
  url: string;
  /** Where the receiver listens (default 127.0.0.1, port 0 = any free port). */
  listen?: { host?: string; port: number };
  /** `whsec_…`; else fetched from `GET /webhooks/default/secret`. */
  secret?: string;
  /**
   * How long to wait for a delivery before polling, from when the wait starts. Default: until the
   * prediction's expected end — the 90th percentile of this run's durations of the model, before that its
   * typical time — plus a fifth and 2 s (expected-duration.ts); polling then still takes a late delivery.
   */
  fallbackMs?: number;
}

export interface ReplicateProviderOptions {
  token: string;
  baseUrl?: string;
  fetch?: FetchLike;
  /** `Prefer: wait=N` on creates; clamped to 1..60 (default 60). */
  waitSeconds?: number;
  /** Time limit per task; also sent as `Cancel-After`. */
  stepTimeoutMs?: number;
  /** Attempts per HTTP call and per download, the first included (default 6). */
  maxAttempts?: number;
  createsPerMinute?: number;
  clock?: () => number;
  sleep?: Sleep;
  random?: () => number;
  webhook?: ReplicateWebhookOptions;
  onWarning?: (message: string) => void;
  /** Checks that a downloaded file decodes as an image (default: `verifyImage` from src/image). */
  probe?: (path: string) => Promise<unknown>;
  /** Cap on one API request (default: the wait window + 30 s, at least 60 s). */
  requestTimeoutMs?: number;
  /** Polling schedule (defaults: 250 ms × 1.5 up to 5 s, ±20 %; booting after 5 s of `starting`). */
  poll?: Partial<Pick<PollOptions, 'firstDelayMs' | 'factor' | 'maxDelayMs' | 'jitter' | 'bootingAfterMs'>>;
}

export const DEFAULT_BASE_URL = 'https://api.replicate.com/v1';

function splitRef(model: string): { model: string; version?: string } {
  const colon = model.indexOf(':');
  return colon === -1 ? { model } : { model: model.slice(0, colon), version: model.slice(colon + 1) };
}

export function createReplicateProvider(options: ReplicateProviderOptions): Provider {
  // Checked here: the SDK would silently fall back to REPLICATE_API_TOKEN from the environment.
  if (typeof options.token !== 'string' || options.token.trim() === '') {
    throw new UsageError(expected('a non-empty API token', 'the Replicate provider', options.token));
  }
  const real = createRealTime();
  const time = {
    clock: options.clock ?? real.clock,
    sleep: options.sleep ?? real.sleep,
    random: options.random ?? real.random,
  };
  const redact = createRedactor([options.token, options.webhook?.secret]);
  const warn = (message: string): void => options.onWarning?.(redact(message));
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  const plainFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const waitSeconds = clampWait(options.waitSeconds ?? 60);
  const limiter = createRateLimiter({ perMinute: options.createsPerMinute ?? 600, time, warn });
  const ctx: ProviderContext = {
    sdk: createSdkClient({
      token: options.token,
      baseUrl,
      fetch: plainFetch,
      redact,
      clock: time.clock,
      requestTimeoutMs: options.requestTimeoutMs ?? Math.max(60_000, (waitSeconds + 30) * 1000),
      onCreateReply: (reply) => limiter.observe(reply),
    }),
    baseUrl,
    time,
    redact,
    limiter,
    maxAttempts: Math.max(1, options.maxAttempts ?? 6),
    warn,
  };
  // Provider-wide abort: every task in flight listens to it (and lets go when it ends), so up to
  // `concurrency` listeners at once are expected — lift Node's leak warning, which fires at 11.
  const closing = new AbortController();
  setMaxListeners(0, closing.signal);
  const inFlight = new Map<string, ErrorContext>();
  const cancelRemote = createCanceller(ctx);
  let receiver: Promise<WebhookReceiver> | undefined;

  const startReceiver = async (): Promise<WebhookReceiver> => {
    const hook = options.webhook as ReplicateWebhookOptions;
    let secret = hook.secret;
    if (secret === undefined) {
      const errCtx = { model: 'webhooks' };
      const got = await callWithRetries(ctx, 'reading the webhook secret', errCtx, closing.signal, () =>
        ctx.sdk.webhooks.default.secret.get(),
      ).catch((err: unknown) => {
        throw toProviderError(err, 'reading the webhook signing secret', errCtx, redact);
      });
      secret = got.key;
    }
    const created = createWebhookReceiver({
      secret,
      host: hook.listen?.host ?? '127.0.0.1',
      port: hook.listen?.port ?? 0,
      time,
      warn,
    });
    await created.listen();
    return created;
  };

  const env: TaskEnv = {
    ctx,
    fetch: plainFetch,
    waitSeconds,
    stepTimeoutMs: options.stepTimeoutMs,
    closing: closing.signal,
    claimed: new Set(),
    inFlight,
    cancelRemote,
    probe: options.probe ?? verifyImage,
    ...(options.poll ? { poll: options.poll } : {}),
  };
  const hook = options.webhook;
  const durations = createDurationBook();
  if (hook) {
    env.webhook = async (request) => {
      if (!receiver) {
        receiver = startReceiver();
        // A failed start (secret not readable, port taken) is not cached: the next task tries again.
        receiver.catch(() => {
          receiver = undefined;
        });
      }
      const r = await receiver;
      return {
        url: hook.url,
        wait: r.waitFor,
        waitMs: (prediction, createSentAt, now) =>
          hook.fallbackMs ??
          webhookWaitMs(
            durations.expectedMs(request.model, request.catalog, request.pricing ?? request.catalog?.pricing),
            prediction,
            createSentAt,
            now,
          ),
        finished: (prediction) => durations.record(request.model, prediction),
      };
    };
  }

  const resolveVersion = async (model: string, signal: AbortSignal): Promise<string | undefined> => {
    const ref = splitRef(model);
    if (ref.version) return ref.version;
    const [owner, name] = ref.model.split('/');
    const errCtx = { model: ref.model };
    try {
      const found = await callWithRetries(ctx, 'looking up the model', errCtx, signal, () =>
        ctx.sdk.models.get(owner ?? '', name ?? '', { signal }),
      );
      if (found.is_official) return undefined;
      const id = found.latest_version?.id;
      if (!id)
        throw new ProviderError('REPLICATE_NO_VERSION', `replicate: ${ref.model} has no published version`, {
          provider: PROVIDER,
          model: ref.model,
        });
      return id;
    } catch (err) {
      throw toProviderError(err, 'looking up the latest version', errCtx, redact, signal);
    }
  };

  return {
    name: PROVIDER,
    paid: true,
    resolveVersion,
    async predict(request: PredictionRequest): Promise<PredictionResult> {
      const ref = splitRef(request.model);
      const official = request.catalog?.official ?? false;
      let version = official ? undefined : (request.version ?? ref.version);
      // Attaching to a journaled prediction needs no version: it ran the one it was created with.
      const attaching = request.resume?.predictionId !== undefined;
      if (!official && version === undefined && !attaching)
        version = await resolveVersion(ref.model, request.signal);
      return runTask(env, { ...request, model: ref.model }, version);
    },
    async close(): Promise<void> {
      const pending = [...inFlight.entries()];
      closing.abort();
      await Promise.all(pending.map(([id, errCtx]) => cancelRemote(id, errCtx)));
      if (receiver) await (await receiver.catch(() => undefined))?.close();
    },
  };
}

export { actualCostUsd } from './cost.js';
export { createWebhookReceiver, verifyDelivery } from './webhooks.js';
