/**
 * A token bucket for prediction creates (Replicate allows 600/min, less on a low balance). Callers are
 * served in arrival order. After a 429 the rate is halved for a while (`slowdownMs`), so a run that hit
 * the limit backs off as a whole instead of each task retrying into the wall.
 *
 * The bucket alone would let `burst + perMinute` creates into one minute; a window over the send times of
 * the last `perMinute` creates keeps every 60 s — sliding, and so also the server's fixed windows — at
 * the limit (with a second of slack for uneven arrival). Measured against the fake's fixed window: the
 * bucket alone drew 429s, each halving the rate, and finished a rate-bound batch at 1.46× its bound.
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

/**
 * The minute window plus a second of slack: requests reach the server a little later than they leave, and
 * unevenly, so two creates a minute apart here can land 59.9 s apart there.
 */
const WINDOW_MS = 61_000;

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
  // Send times of creates, oldest first; the window is the last perMinute of them (from `oldest` on).
  const sent: number[] = [];
  let oldest = 0;

  const rate = (): number => {
    if (clock() >= slowUntil) slowFactor = 1;
    return perMinute / slowFactor;
  };
  const refill = (): void => {
    const now = clock();
    tokens = Math.min(slowFactor > 1 ? 1 : burst, tokens + ((now - last) * rate()) / 60_000);
    last = now;
  };
  /** Waits until a create is allowed by the minute window, in ms (0: now). */
  const windowWait = (): number => {
    if (sent.length - oldest < perMinute) return 0;
    return Math.max(0, (sent[oldest] as number) + WINDOW_MS - clock());
  };
  const record = (): void => {
    sent.push(clock());
    if (sent.length - oldest > perMinute) oldest += 1;
    // Compact now and then, so the array does not grow with the run.
    if (oldest > 4096 && oldest * 2 > sent.length) {
      sent.splice(0, oldest);
      oldest = 0;
    }
  };
  const take = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      refill();
      const inWindow = windowWait();
      if (tokens >= 1 && inWindow === 0) {
        tokens -= 1;
        record();
        return;
      }
      const forToken = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 60_000) / rate());
      await sleep(Math.max(1, forToken, Math.ceil(inWindow)), signal);
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
