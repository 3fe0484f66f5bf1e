/**
 * What the pieces of the provider share for one provider instance (nothing module-level): the SDK
 * client, time, the token scrubber, the create limiter, retry limits, and the warning sink.
 */
import type Replicate from 'replicate';
import type { ErrorContext, Redact } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TimeSource } from './retry.js';
import { withRetries } from './retry.js';

export interface ProviderContext {
  sdk: Replicate;
  baseUrl: string;
  time: TimeSource;
  redact: Redact;
  limiter: RateLimiter;
  maxAttempts: number;
  warn: (message: string) => void;
}

/** Runs an idempotent SDK call (GET, cancel, upload) with waiting retries and a warning per retry. */
export function callWithRetries<T>(
  ctx: ProviderContext,
  what: string,
  errCtx: ErrorContext,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return withRetries(fn, {
    time: ctx.time,
    maxAttempts: ctx.maxAttempts,
    signal,
    onRetry: (err, delay, attempt) =>
      ctx.warn(
        `replicate: ${errCtx.model}: ${what} failed (${err.detail}${err.status ? `, HTTP ${err.status}` : ''}); ` +
          `retry ${attempt + 1}/${ctx.maxAttempts - 1} in ${Math.round(delay)} ms`,
      ),
  });
}
