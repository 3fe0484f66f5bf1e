/**
 * Replicate's rate limits: a per-minute window for creates (600) and one for everything else (3000).
 * Every response carries `ratelimit-remaining` and `ratelimit-reset` (seconds); an exhausted window → 429.
 */
import type { ScaledClock } from './clock.js';

export interface RateLimiter {
  /** Counts one request; returns the headers and whether it is over the limit. */
  take(bucket: 'create' | 'other'): {
    headers: Record<string, string>;
    limited: boolean;
    resetSeconds: number;
  };
}

export function createRateLimiter(
  clock: ScaledClock,
  limits: { create?: number; other?: number } = {},
): RateLimiter {
  const windows = {
    create: { limit: limits.create ?? 600, start: -Infinity, used: 0 },
    other: { limit: limits.other ?? 3000, start: -Infinity, used: 0 },
  };
  return {
    take(bucket) {
      const w = windows[bucket];
      const now = clock.now();
      const length = clock.toClock(60_000);
      if (now >= w.start + length) {
        w.start = now;
        w.used = 0;
      }
      w.used += 1;
      const resetSeconds = Math.max(1, Math.ceil(clock.toSimulated(w.start + length - now) / 1000));
      return {
        limited: w.used > w.limit,
        resetSeconds,
        headers: {
          'ratelimit-remaining': String(Math.max(0, w.limit - w.used)),
          'ratelimit-reset': String(resetSeconds),
        },
      };
    },
  };
}
