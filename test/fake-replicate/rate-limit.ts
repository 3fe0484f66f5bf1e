/**
 * Replicate's rate limits as token buckets: one for creates (600/min, bucket of 600) and one for everything
 * else (3000/min). Every reply carries `ratelimit-remaining` (whole tokens left after this request) and
 * `ratelimit-reset` (seconds until the bucket is full again, at least 1) — the recordings show `599`/`1`
 * after one create. An empty bucket answers 429 with `retry_after` (seconds until the next token) in the
 * body and no `Retry-After` header (reference §7.1, §14).
 *
 * `lowCredit` plays an account with less than $5 of credit: creates are reduced to 6 per minute with a burst
 * of 1, and the 429 says so in Replicate's own words.
 */
import type { ScaledClock } from './clock.js';
import { problem, type Reply } from './http.js';

export interface RateLimits {
  /** Creates per simulated minute (default 600; 6 with `lowCredit`). */
  create?: number;
  /** Create bucket size (default: a minute's worth; 1 with `lowCredit`). */
  createBurst?: number;
  /** Other requests per simulated minute (default 3000, bucket of as many). */
  other?: number;
  /** Less than $5 of credit: creates at 6/min with a burst of 1, with the low-credit 429 text. */
  lowCredit?: boolean;
}

export interface RateLimitTake {
  headers: Record<string, string>;
  /** The 429 to send when the bucket was empty. */
  throttled?: Reply;
}

export interface RateLimiter {
  /** Counts one request against its bucket. */
  take(bucket: 'create' | 'other'): RateLimitTake;
  /** Changes the limits from now on (e.g. credit topped up); buckets start full. */
  set(limits: RateLimits): void;
}

interface Bucket {
  perMinute: number;
  size: number;
  tokens: number;
  last: number;
}

export const LOW_CREDIT = { perMinute: 6, burst: 1 } as const;

export function lowCreditDetail(perMinute: number, burst: number, retryAfter: number): string {
  return (
    `Request was throttled. Your rate limit for creating predictions is reduced to ${perMinute} requests per ` +
    `minute with a burst of ${burst} requests while you have less than $5.0 in credit. ` +
    `Your rate limit resets in ~${retryAfter}s.`
  );
}

export function createRateLimiter(clock: ScaledClock, initial: RateLimits = {}): RateLimiter {
  let lowCredit = false;
  const buckets = {} as Record<'create' | 'other', Bucket>;
  const bucket = (perMinute: number, size: number): Bucket => ({
    perMinute: Math.max(1e-9, perMinute),
    size: Math.max(1, size),
    tokens: Math.max(1, size),
    last: clock.now(),
  });
  const set = (limits: RateLimits): void => {
    lowCredit = limits.lowCredit === true;
    const create = limits.create ?? (lowCredit ? LOW_CREDIT.perMinute : 600);
    const burst = limits.createBurst ?? (lowCredit ? LOW_CREDIT.burst : create);
    const other = limits.other ?? 3000;
    buckets.create = bucket(create, burst);
    buckets.other = bucket(other, other);
  };
  set(initial);

  /** Simulated ms per token. */
  const interval = (b: Bucket): number => 60_000 / b.perMinute;
  const refill = (b: Bucket): void => {
    const now = clock.now();
    b.tokens = Math.min(b.size, b.tokens + clock.toSimulated(now - b.last) / interval(b));
    b.last = now;
  };

  return {
    set,
    take(kind) {
      const b = buckets[kind];
      refill(b);
      const allowed = b.tokens >= 1;
      if (allowed) b.tokens -= 1;
      const untilFull = (b.size - b.tokens) * interval(b);
      const headers = {
        'ratelimit-remaining': String(Math.floor(b.tokens)),
        'ratelimit-reset': String(Math.max(1, Math.ceil(untilFull / 1000))),
      };
      if (allowed) return { headers };
      const retryAfter = Math.max(1, Math.ceil(((1 - b.tokens) * interval(b)) / 1000));
      const detail =
        kind === 'create' && lowCredit
          ? lowCreditDetail(b.perMinute, b.size, retryAfter)
          : `Request was throttled. Your rate limit resets in ~${retryAfter}s.`;
      return { headers, throttled: problem(429, detail, { retry_after: retryAfter }) };
    },
  };
}
