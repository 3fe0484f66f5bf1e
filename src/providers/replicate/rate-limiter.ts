/**
 * A token bucket for prediction creates (Replicate allows 600/min, less on a low balance). Callers are
 * served in arrival order. After a 429 the rate is halved for a while (`slowdownMs`), so a run that hit
 * the limit backs off as a whole instead of each task retrying into the wall.
 */
import type { TimeSource } from './retry.js';

export interface RateLimiterOptions {
  perMinute: number;
  /** How many creates may go out back to back (default: a tenth of a minute's worth, at least 1). */
  burst?: number;
  /** How long the halved rate lasts after a 429 (default 60 s). */
  slowdownMs?: number;
  time: Pick<TimeSource, 'clock' | 'sleep'>;
}

export interface RateLimiter {
  /** Resolves when a create may be sent. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Tell the limiter the server said 429: halve the rate for a while. */
  penalize(): void;
  /** Current rate in requests per minute (for tests and warnings). */
  currentPerMinute(): number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { clock, sleep } = options.time;
  const perMinute = Math.max(1, options.perMinute);
  const burst = Math.max(1, options.burst ?? Math.floor(perMinute / 10));
  const slowdownMs = options.slowdownMs ?? 60_000;
  let tokens = burst;
  let last = clock();
  let slowUntil = Number.NEGATIVE_INFINITY;
  let slowFactor = 1;
  let queue: Promise<void> = Promise.resolve();

  const rate = (): number => {
    if (clock() >= slowUntil) slowFactor = 1;
    return perMinute / slowFactor;
  };
  const refill = (): void => {
    const now = clock();
    tokens = Math.min(slowFactor > 1 ? 1 : burst, tokens + ((now - last) * rate()) / 60_000);
    last = now;
  };
  const take = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - tokens) * 60_000) / rate()), signal);
    }
  };

  return {
    acquire(signal) {
      const turn = queue.then(() => take(signal));
      queue = turn.catch(() => undefined);
      return turn;
    },
    penalize() {
      refill();
      slowFactor = Math.min(slowFactor * 2, perMinute);
      slowUntil = clock() + slowdownMs;
      tokens = Math.min(tokens, 0);
    },
    currentPerMinute: rate,
  };
}
