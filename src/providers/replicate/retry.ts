/**
 * Retries that actually wait: exponential backoff with full jitter, raised to whatever the server asked
 * for (`Retry-After` as seconds or an HTTP date, the body's `retry_after`, or `ratelimit-reset` when
 * `ratelimit-remaining` is 0), and the readers of what a reply says about the rate limit (headers, the
 * limit a 429 names). Time is injected (`clock`, `sleep`, `random`) so tests run on a fake clock.
 */
import { CancelledError } from '../../errors.js';
import { TransportError } from './errors.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface TimeSource {
  /** Milliseconds since the epoch. */
  clock: () => number;
  sleep: Sleep;
  /** A number in [0, 1). */
  random: () => number;
}

/** Real time: `Date.now`, abortable timers, `Math.random`. */
export function createRealTime(): TimeSource {
  return { clock: () => Date.now(), sleep: realSleep, random: () => Math.random() };
}

export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long the server asked us to wait, in ms; undefined when it did not say. */
export function parseRetryAfter(headers: Headers, bodyText: string, nowMs: number): number | undefined {
  const header = headers.get('retry-after');
  if (header !== null && header.trim() !== '') {
    const value = header.trim();
    if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  try {
    const body = JSON.parse(bodyText) as { retry_after?: unknown };
    if (typeof body.retry_after === 'number' && body.retry_after >= 0) return body.retry_after * 1000;
  } catch {
    // not JSON
  }
  const remaining = headers.get('ratelimit-remaining');
  const reset = headers.get('ratelimit-reset');
  if (remaining !== null && Number(remaining) === 0 && reset !== null && /^\d+(\.\d+)?$/.test(reset.trim())) {
    return Number(reset) * 1000;
  }
  return undefined;
}

/** `ratelimit-remaining` and `ratelimit-reset` (seconds → ms), where present and numeric. */
export function readRateHeaders(headers: Headers): { remaining?: number; resetMs?: number } {
  const out: { remaining?: number; resetMs?: number } = {};
  const remaining = headers.get('ratelimit-remaining')?.trim();
  const reset = headers.get('ratelimit-reset')?.trim();
  if (remaining !== undefined && /^\d+$/.test(remaining)) out.remaining = Number(remaining);
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset)) out.resetMs = Number(reset) * 1000;
  return out;
}

/**
 * The limit a 429 names, if any: "…reduced to 6 requests per minute with a burst of 1 requests…" (low
 * credit, reference §7.1). Rates per second are turned into per minute.
 */
export function parseStatedLimit(detail: string): { perMinute: number; burst?: number } | undefined {
  const rate = /(\d+(?:\.\d+)?)\s+requests?\s+per\s+(second|minute)/i.exec(detail);
  if (!rate) return undefined;
  const perMinute = Number(rate[1]) * (rate[2]?.toLowerCase() === 'second' ? 60 : 1);
  if (!(perMinute > 0)) return undefined;
  const burst = /burst\s+of\s+(\d+)/i.exec(detail);
  return burst ? { perMinute, burst: Math.max(1, Number(burst[1])) } : { perMinute };
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** Full jitter: a random delay in [0, min(cap, base·2^attempt)). `attempt` counts from 0. */
export function backoffDelay(attempt: number, random: () => number, options = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** The wait before retry number `attempt + 1`: the backoff, but never less than what the server asked. */
export function retryDelay(err: TransportError, attempt: number, random: () => number): number {
  return Math.max(err.retryAfterMs ?? 0, backoffDelay(attempt, random));
}

export interface RetryOptions {
  time: TimeSource;
  /** Total attempts, the first included. */
  maxAttempts: number;
  signal?: AbortSignal | undefined;
  /** Told before each wait (for warnings and rate-limiter feedback). */
  onRetry?: (err: TransportError, delayMs: number, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, or the attempts are used up. Only
 * `TransportError`s marked retryable are retried; for non-idempotent calls the caller decides (see
 * create.ts), this helper is for reads, cancels and uploads.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.signal?.aborted) throw new CancelledError();
      if (!(err instanceof TransportError) || !err.retryable || attempt + 1 >= options.maxAttempts) throw err;
      const delay = retryDelay(err, attempt, options.time.random);
      options.onRetry?.(err, delay, attempt);
      await options.time.sleep(delay, options.signal);
    }
  }
}
